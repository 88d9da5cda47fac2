"""Shape-key -> ARKit expression maps: guess them from names, write them into a recipe.

No bpy here: the operators hand over plain names and mappings, so this is testable and usable
from any Python.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from facesynth.arkit import ARKIT_NAMES, apple_spelling
from facesynth.arkit import name_words as _words
from facesynth.atomic import write_text
from facesynth.errors import UserError
from facesynth.recipe import parse_recipe

# A target may be spelled the facesynth way (eyeBlink_L) or Apple's way (eyeBlinkLeft).
_APPLE_SPELLING = {apple_spelling(n): n for n in ARKIT_NAMES if n.endswith(("_L", "_R"))}
ACCEPTED_TARGETS: frozenset[str] = ARKIT_NAMES | frozenset(_APPLE_SPELLING)
GUESS_CUTOFF = 0.75


def _split_side(shape_key: str) -> tuple[list[str], str | None]:
    """`Eye_L_Look_Down` -> (['eye', 'look', 'down'], 'L'); a 'blendShape1.'-style prefix is dropped."""
    words = _words(shape_key.rsplit(".", 1)[-1])
    for word, side in (("l", "L"), ("left", "L"), ("r", "R"), ("right", "R")):
        if word in words:
            words.remove(word)
            return words, side
    return words, None


_SIDED: dict[str, list[tuple[list[str], str]]] = {
    side: [(_words(n[:-2]), n) for n in sorted(ARKIT_NAMES) if n.endswith(f"_{side}")] for side in "LR"}
"""side -> (words of the base name, facesynth name), e.g. 'L' -> (['eye', 'blink'], 'eyeBlink_L')."""
_UNSIDED: list[tuple[list[str], str]] = [(_words(n), n) for n in sorted(ARKIT_NAMES) if not n.endswith(("_L", "_R"))]


def _similarity(a: list[str], b: list[str]) -> float:
    """difflib ratio of the joined words, in order or sorted (exporters reorder: Mouth_Down_Lower)."""
    if a == b or sorted(a) == sorted(b):
        return 1.0
    return max(difflib.SequenceMatcher(None, "".join(a), "".join(b)).ratio(),
               difflib.SequenceMatcher(None, "".join(sorted(a)), "".join(sorted(b))).ratio())


def canonical_target(name: str) -> str:
    """facesynth's spelling of an ARKit target (`eyeBlinkLeft` -> `eyeBlink_L`)."""
    return _APPLE_SPELLING.get(name, name)


def guess_arkit_name(shape_key: str) -> tuple[str | None, float]:
    """The most similar ARKit name to a shape-key name and its similarity (None below the cutoff).

    A side in the name (L/Left/R/Right as a word) only ever matches that side's shapes (or an
    unsided one such as jawLeft); a name without a side only matches unsided shapes.
    """
    words, side = _split_side(shape_key)
    if not words:
        return None, 0.0
    candidates = [(words, k, n) for k, n in _UNSIDED]
    if side is not None:
        side_word = "left" if side == "L" else "right"
        candidates += [([*words, side_word], k, n) for k, n in _UNSIDED]
        candidates += [(words, k, n) for k, n in _SIDED[side]]
    best: tuple[float, str | None] = (0.0, None)
    for query, key, target in candidates:
        score = _similarity(query, key)
        if score > best[0]:
            best = (score, target)
    return (best[1], best[0]) if best[0] >= GUESS_CUTOFF else (None, 0.0)


def guess_map(shape_keys: Iterable[str]) -> dict[str, str]:
    """Shape key -> ARKit name for every key with a close name; each target used once (best match wins)."""
    scored = []
    for name in shape_keys:
        target, score = guess_arkit_name(name)
        if target is not None:
            scored.append((score, name, target))
    out: dict[str, str] = {}
    taken: set[str] = set()
    for _score, name, target in sorted(scored, key=lambda s: -s[0]):
        if target not in taken:
            out[name] = target
            taken.add(target)
    return {name: out[name] for name in shape_keys if name in out}


def check_map(mapping: Mapping[str, str]) -> dict[str, str]:
    """Refuse unknown targets and two keys on one target; returns the map in facesynth spelling."""
    out: dict[str, str] = {}
    for key, target in mapping.items():
        if target not in ACCEPTED_TARGETS:
            close = difflib.get_close_matches(target, sorted(ACCEPTED_TARGETS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(f"expression map: shape key {key!r} -> {target!r} is not an ARKit name{hint}")
        name = canonical_target(target)
        if name in out.values():
            other = next(k for k, v in out.items() if v == name)
            raise UserError(f"expression map: shape keys {other!r} and {key!r} both map to {name!r}")
        out[key] = name
    return out


def updated_recipe_text(text: str, source: str, mapping: Mapping[str, str],
                        character_path: str | None = None) -> str:
    """The recipe `text` with subjects.face_model.expression_map set to `mapping`, validated.

    Everything else in the recipe is kept (its values; YAML comments are not, except the leading
    comment block). `character_path` (relative to the recipe) replaces the face model when given;
    it is required when the recipe names a built-in face model.
    """
    data: Any = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UserError(f"{source}: expected a mapping of recipe sections at the top level")
    subjects = data.setdefault("subjects", {})
    if not isinstance(subjects, dict):
        raise UserError(f"{source}: subjects: expected a mapping")
    fm = subjects.get("face_model", "builtin")
    if character_path:
        fm = {**fm, "path": character_path} if isinstance(fm, dict) else {"path": character_path}
    elif isinstance(fm, str) and fm in ("builtin", "ict-facekit"):
        raise UserError(f"{source}: subjects.face_model is {fm!r}, a built-in pack without shape keys; "
                        "set the character file to write an expression map for")
    elif isinstance(fm, str):
        fm = {"path": fm}
    if not isinstance(fm, dict):
        raise UserError(f"{source}: subjects.face_model: expected a name, a path or a mapping")
    fm["expression_map"] = dict(check_map(mapping))
    subjects["face_model"] = fm
    header = "".join(line + "\n" for line in _leading_comments(text))
    new_text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    parse_recipe(new_text, source)  # raises RecipeError (a UserError) naming the field
    return new_text


def write_expression_map(recipe_path: str | Path, mapping: Mapping[str, str],
                         character_path: str | None = None, out_path: str | Path | None = None) -> Path:
    """Write `mapping` into the recipe at `recipe_path` (or a copy at `out_path`), atomically.

    Nothing is written when the result does not validate.
    """
    recipe_path = Path(recipe_path)
    try:
        text = recipe_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{recipe_path}: cannot read the recipe ({exc})") from None
    new_text = updated_recipe_text(text, str(recipe_path), mapping, character_path)
    return write_text(Path(out_path) if out_path else recipe_path, new_text)


def _leading_comments(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines
