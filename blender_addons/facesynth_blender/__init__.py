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

from . import operators, panel, properties, scene_session

_CLASSES = (*operators.CLASSES, *panel.CLASSES)


@bpy.app.handlers.persistent
def _after_undo(*_args: object) -> None:
    scene_session.forget_sessions()  # undo/redo re-creates data-blocks: old handles are stale


@bpy.app.handlers.persistent
def _after_load(*_args: object) -> None:
    scene_session.forget_sessions(recipes=True)  # another file: its scenes reload their own recipe


_HANDLERS = ((bpy.app.handlers.undo_post, _after_undo), (bpy.app.handlers.redo_post, _after_undo),
             (bpy.app.handlers.load_post, _after_load))


def register() -> None:
    properties.register()
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    for handlers, fn in _HANDLERS:
        handlers.append(fn)


def unregister() -> None:
    for handlers, fn in _HANDLERS:
        if fn in handlers:
            handlers.remove(fn)
    scene_session.forget_sessions(recipes=True)
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
    properties.unregister()
