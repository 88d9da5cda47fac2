"""The render worker: the only facesynth package that imports `bpy` (Blender as a module).

`import facesynth.render` stays cheap and works without bpy; `RenderSession` and `RenderResult`
load Blender on first use, and a missing bpy raises MissingDependencyError with install advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facesynth.render.session import RenderResult, RenderSession

__all__ = ["RenderResult", "RenderSession"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from facesynth.render import session

        return getattr(session, name)
    raise AttributeError(f"module 'facesynth.render' has no attribute {name!r}")
