"""One home per table: output kinds, ARKit names, META_VERSION (issue 17 item 16)."""

from __future__ import annotations

import re
from pathlib import Path

import facesynth
from facesynth import arkit
from facesynth.assets.builtin_head.shape import EXPRESSION_NAMES
from facesynth.farm.producer import _MAKERS
from facesynth.io.layout import KINDS
from facesynth.outputs import FILE_KINDS, OUTPUT_KINDS, RECIPE_OUTPUTS
from facesynth.recipe import OUTPUT_KINDS as RECIPE_KINDS
from facesynth.recipe import presets
from facesynth.recipe.schema import Recipe

PKG = Path(facesynth.__file__).parent
ADDON = PKG.parent / "blender_addons"


def _sources() -> dict[Path, str]:
    files = [*PKG.rglob("*.py"), *ADDON.rglob("*.py"), *PKG.rglob("*.yaml")]
    return {p: p.read_text("utf-8") for p in files}


def test_meta_version_and_kind_files_are_defined_once() -> None:
    sources = _sources()
    assigned = [p.name for p, text in sources.items() if re.search(r"^META_VERSION\s*=", text, re.M)]
    assert assigned == ["outputs.py"]
    for suffix in (v.suffix for v in FILE_KINDS.values()):
        holders = sorted(p.name for p, text in sources.items() if f'"{suffix}"' in text)
        assert holders == ["outputs.py"], (suffix, holders)


def test_every_consumer_derives_from_the_kind_table() -> None:
    assert RECIPE_KINDS == RECIPE_OUTPUTS == tuple(k for k, v in OUTPUT_KINDS.items() if v.in_recipe)
    assert Recipe.model_json_schema()["properties"]["outputs"]["items"]["enum"] == list(RECIPE_OUTPUTS)
    assert KINDS is FILE_KINDS
    assert set(_MAKERS) == set(FILE_KINDS)
    assert {"landmarks", "dense_landmarks"} <= set(RECIPE_OUTPUTS) - set(FILE_KINDS)


def test_arkit_names_live_in_one_table() -> None:
    sources = _sources()
    # The rarest ARKit name stands for a hand-written list of them.
    holders = sorted(p.name for p, text in sources.items() if "mouthShrugUpper" in text)
    # builtin_head/shape.py: the built-in pack's basis order (checked against the table below).
    assert holders == ["arkit.py", "shape.py"], holders
    assert len(arkit.ARKIT_NAMES) == 52 and len(arkit.FACE_SHAPES) == 53
    assert set(EXPRESSION_NAMES) == set(arkit.FACE_SHAPES)
    assert presets.random_mix_shapes() == arkit.FACE_SHAPES == tuple(sorted(arkit.FACE_SHAPES))
    word_splitters = sorted(p.name for p, text in sources.items() if re.search(r"^def _?(name_)?words\(", text, re.M))
    assert word_splitters == ["arkit.py", "character.py"]  # character.py adds joined neighbours to it
    assert "name_words(" in sources[PKG / "assets" / "character.py"]


def test_spellings() -> None:
    assert arkit.facesynth_spelling("eyeBlinkLeft") == "eyeBlink_L"
    assert arkit.facesynth_spelling("jawLeft") == "jawLeft"  # unsided: Left is part of the name
    assert arkit.apple_spelling("mouthSmile_R") == "mouthSmileRight"
    assert all(arkit.facesynth_spelling(arkit.apple_spelling(n)) == n for n in arkit.ARKIT_NAMES)
    assert arkit.is_arkit("eyeBlinkLeft") and arkit.is_arkit("cheekPuff_L")
    assert not arkit.is_arkit("browDown") and not arkit.is_arkit("jawOpn")
    assert arkit.alias_keys("eyeBlink_L") == ("eyeblink_l", "eyeblinkleft")
    assert arkit.name_words("CC_Base_EyeOcclusion01") == ["cc", "base", "eye", "occlusion", "01"]
