"""ARKit blendshape names: the one table, its two spellings, and the word splitter for names.

facesynth spells sided shapes with `_L`/`_R` (`eyeBlink_L`); Apple's ARKit spells them
`eyeBlinkLeft`. Every module that names, matches or guesses an expression uses this table, so
the spellings cannot drift apart. Pure Python: the recipe layer (below every other) imports it.
"""

from __future__ import annotations

import re

# The 52 ARKit blendshapes: 18 with a left and a right shape, 16 without a side.
SIDED: tuple[str, ...] = (
    "eyeBlink", "eyeLookDown", "eyeLookIn", "eyeLookOut", "eyeLookUp", "eyeSquint", "eyeWide",
    "mouthSmile", "mouthFrown", "mouthDimple", "mouthStretch", "mouthPress", "mouthLowerDown",
    "mouthUpperUp", "browDown", "browOuterUp", "cheekSquint", "noseSneer",
)  # fmt: skip
UNSIDED: tuple[str, ...] = (
    "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker",
    "mouthLeft", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "browInnerUp", "cheekPuff", "tongueOut",
)  # fmt: skip
ARKIT_NAMES: frozenset[str] = frozenset([f"{n}_{s}" for n in SIDED for s in "LR"] + list(UNSIDED))

# ICT-FaceKit and the built-in head split two unsided shapes per side and have no tongue: their
# 53 shapes are what random expression mixing draws from when a recipe names none.
SPLIT_PER_SIDE: tuple[str, ...] = ("browInnerUp", "cheekPuff")
FACE_SHAPES: tuple[str, ...] = tuple(sorted(
    (ARKIT_NAMES - set(SPLIT_PER_SIDE) - {"tongueOut"}) | {f"{n}_{s}" for n in SPLIT_PER_SIDE for s in "LR"}
))  # fmt: skip

_SIDE_WORDS = (("Left", "_L"), ("Right", "_R"))


def facesynth_spelling(name: str) -> str:
    """`eyeBlinkLeft` -> `eyeBlink_L`; names without a side word (`jawLeft` is unsided) unchanged."""
    for word, suffix in _SIDE_WORDS:
        if name.endswith(word) and name not in UNSIDED:
            return name[: -len(word)] + suffix
    return name


def apple_spelling(name: str) -> str:
    """`eyeBlink_L` -> `eyeBlinkLeft`; other names unchanged."""
    for word, suffix in _SIDE_WORDS:
        if name.endswith(suffix):
            return name[: -len(suffix)] + word
    return name


def unsided(name: str) -> str:
    """`browInnerUp_L` -> `browInnerUp` (the base name a one-sided rig may have)."""
    return name[:-2] if name.endswith(("_L", "_R")) else name


def is_arkit(name: str) -> bool:
    """True for an ARKit name in either spelling, also with a side an unsided shape lacks (`cheekPuff_L`)."""
    spelled = facesynth_spelling(name)
    return spelled in ARKIT_NAMES or unsided(spelled) in ARKIT_NAMES


def alias_keys(name: str) -> tuple[str, ...]:
    """Lower-case spellings a name may match: as written, and with Left/Right <-> _L/_R swapped."""
    key = name.strip().lower()
    keys = [key]
    for word, suffix in _SIDE_WORDS:
        word, suffix = word.lower(), suffix.lower()
        if key.endswith(suffix):
            keys.append(key[: -len(suffix)] + word)
        elif key.endswith(word):
            keys.append(key[: -len(word)] + suffix)
    return tuple(keys)


def name_words(name: str) -> list[str]:
    """Lower-case words of a shape-key or material name, split at separators, digits and camelCase
    humps (an all-caps run is one word): 'mouthSmile_L' -> mouth, smile, l; 'CC_Base_Eye01' -> cc,
    base, eye, 01."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]
