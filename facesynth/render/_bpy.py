"""Lazy access to Blender's Python module: the one place facesynth imports `bpy`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from facesynth.errors import MissingDependencyError, UserError

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


@contextlib.contextmanager
def blender_output_to(log_path: Path) -> Iterator[None]:
    """Send what Blender itself prints (C-level stdout/stderr: 'Saved: ...', device probes) to a
    log file, so it does not tear through progress bars. Python-level errors still raise."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def require_pixels(image: Any, path: str | os.PathLike[str], what: str) -> None:
    """Blender renders an image it could not load as magenta, silently: stop instead, naming it.
    Asking for the size makes Blender load the file; a failed load reports (0, 0)."""
    width, height = image.size
    if width == 0 or height == 0:
        raise UserError(f"{what}: Blender cannot read the image {path} (not an image, empty or damaged)")
