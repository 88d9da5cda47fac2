"""Where facesynth keeps built face packs and other derived files: $FACESYNTH_HOME or ~/.cache/facesynth."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache root; read on every call so tests and users can point it elsewhere at run time."""
    home = os.environ.get("FACESYNTH_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "facesynth"


def packs_dir() -> Path:
    return cache_dir() / "packs"


def pack_cache_path(name: str) -> Path:
    """The file a named pack is built into, e.g. packs/ict-facekit.npz."""
    return packs_dir() / f"{name}.npz"
