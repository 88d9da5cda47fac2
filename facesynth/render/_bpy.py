"""Lazy access to Blender's Python module: the one place facesynth imports `bpy`."""

from __future__ import annotations

from types import ModuleType

from facesynth.errors import MissingDependencyError

INSTALL_HINT = "pip install 'facesynth[render]'"


def import_bpy() -> ModuleType:
    """Return the `bpy` module, or raise a one-line MissingDependencyError saying how to get it."""
    try:
        import bpy
    except ImportError as exc:  # bpy missing, or built for another Python
        raise MissingDependencyError(
            f"rendering needs Blender's Python module (bpy 5.0.1): {INSTALL_HINT} ({exc})"
        ) from None
    return bpy
