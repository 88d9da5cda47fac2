"""facesynth for artists: build recipe samples in the open scene and map a character's shape keys.

Needs the `facesynth` package importable in Blender's Python (see docs/blender_addon.md).
"""

from __future__ import annotations

try:
    import facesynth  # noqa: F401
except ImportError as exc:  # a clear hint in Blender's add-on list instead of a bare traceback
    raise ImportError("the facesynth add-on needs the facesynth package in Blender's Python: "
                      "run Blender's python with `-m pip install facesynth` (docs/blender_addon.md)") from exc

import bpy

from . import operators, panel, properties

_CLASSES = (*operators.CLASSES, *panel.CLASSES)


def register() -> None:
    properties.register()
    for cls in _CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
    properties.unregister()
