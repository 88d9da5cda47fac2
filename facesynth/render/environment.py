"""World lighting: Blender's bundled CC0 HDRIs ('builtin:NAME') or a user .exr/.hdr path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facesynth.errors import UserError

BUILTIN_PREFIX = "builtin:"
BUILTIN_HDRIS: tuple[str, ...] = (
    "city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset",
)


def resolve_hdri(source: str, bpy: Any) -> Path:
    """'builtin:studio' -> the EXR inside the bpy wheel; a path -> that file, checked."""
    if source.startswith(BUILTIN_PREFIX):
        name = source[len(BUILTIN_PREFIX):]
        if name not in BUILTIN_HDRIS:
            raise UserError(
                f"environment.source: unknown built-in HDRI {source!r} "
                f"(choose one of {', '.join(BUILTIN_PREFIX + n for n in BUILTIN_HDRIS)})"
            )
        datafiles = Path(bpy.utils.system_resource("DATAFILES"))
        return datafiles / "studiolights" / "world" / f"{name}.exr"
    path = Path(source).expanduser()
    if path.suffix.lower() not in (".exr", ".hdr"):
        raise UserError(f"environment.source: {source!r} is not an .exr or .hdr file")
    if not path.is_file():
        raise UserError(f"environment.source: file not found: {path}")
    return path
