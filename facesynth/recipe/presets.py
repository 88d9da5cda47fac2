"""Expression presets: data in expression_presets.yaml, read once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml


@cache
def _data() -> dict[str, Any]:
    text = resources.files("facesynth.recipe").joinpath("expression_presets.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def preset_names() -> tuple[str, ...]:
    return tuple(_data()["presets"])


def canonical_preset(name: str) -> str | None:
    """The preset a user's name refers to ('fear' -> 'scared'), or None."""
    key = name.strip().lower()
    key = _data()["aliases"].get(key, key)
    return key if key in _data()["presets"] else None


def preset_weights(name: str) -> MappingProxyType[str, float]:
    canonical = canonical_preset(name)
    if canonical is None:
        raise KeyError(name)
    return MappingProxyType({k: float(v) for k, v in _data()["presets"][canonical].items()})


def random_mix_shapes() -> tuple[str, ...]:
    return tuple(_data()["random_mix_shapes"])


# ARKit's tongueOut is the one ARKit shape random mixing leaves out by default (many rigs have no tongue).
_NOT_MIXED_BY_DEFAULT = ("tongueOut",)


@cache
def _shape_keys() -> frozenset[str]:
    """Lower-case spellings of every ARKit shape: `eyeBlink_L`, `eyeBlinkLeft`, and the unsided
    stem of a sided shape (`cheekPuff` for `cheekPuff_L` + `cheekPuff_R`, as face packs accept)."""
    keys: set[str] = set()
    for name in (*random_mix_shapes(), *_NOT_MIXED_BY_DEFAULT):
        key = name.lower()
        keys.add(key)
        for suffix, word in (("_l", "left"), ("_r", "right")):
            if key.endswith(suffix):
                keys.update((key[: -len(suffix)] + word, key[: -len(suffix)]))
    return frozenset(keys)


def is_shape_name(name: str) -> bool:
    """True for an ARKit blendshape name in any spelling face packs accept (case-insensitive)."""
    return name.strip().lower() in _shape_keys()
