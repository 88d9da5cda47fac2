"""facesynth: synthetic face datasets with exact ground truth.

`import facesynth` is cheap and never imports bpy or torch; the public API below loads lazily.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from facesynth._version import __version__

_LAZY = {
    "load_recipe": ("facesynth.recipe", "load_recipe"),
    "Recipe": ("facesynth.recipe", "Recipe"),
    "plan": ("facesynth.sampling", "plan"),
    "sample_spec": ("facesynth.sampling", "sample_spec"),
    "SampleSpec": ("facesynth.sampling", "SampleSpec"),
    "load_pack": ("facesynth.assets", "load_pack"),
    "open_dataset": ("facesynth.io", "open_dataset"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'facesynth' has no attribute {name!r}")
