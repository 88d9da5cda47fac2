"""Lazy access to Blender's Python module: the one place facesynth imports `bpy`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
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
