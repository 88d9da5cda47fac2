"""Expression presets: data in expression_presets.yaml, read once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from facesynth.arkit import FACE_SHAPES


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
    return FACE_SHAPES
