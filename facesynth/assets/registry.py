"""Named face packs: 'builtin', 'ict-facekit' or a pack file, loaded once per process.

The registry sits above `pack` (the format) and `builtin_head` (which builds a pack), so neither
of those imports the other's user.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from facesynth.assets.pack import FORMAT, FacePack, read_pack_file
from facesynth.errors import UserError

_LOADED: dict[str, tuple[tuple[int, int], FacePack]] = {}


def load_pack(name_or_path: str | Path) -> FacePack:
    """'builtin', 'ict-facekit' (built by `facesynth assets import`), or the path of a pack .npz.

    Loaded packs are immutable, so one process shares one copy per file (keyed by path, size and
    modification time: a rebuilt file is read again).
    """
    from facesynth.assets.cache import pack_cache_path

    text = str(name_or_path)
    if text == "builtin":
        path = _builtin_pack_path()
    elif text == "ict-facekit":
        path = pack_cache_path("ict-facekit")
        if not path.exists():
            raise UserError(
                "face pack 'ict-facekit' is not built yet: run "
                "`facesynth assets import ict-facekit --from DIR_OR_ARCHIVE` with the ICT-FaceKit files"
            )
    else:
        path = Path(text).expanduser()
        if not path.exists():
            raise UserError(f"unknown face pack {text!r}: expected 'builtin', 'ict-facekit' or a pack .npz file path")
    stat = path.stat()
    key, version = str(path.resolve()), (stat.st_size, stat.st_mtime_ns)
    cached = _LOADED.get(key)
    if cached is None or cached[0] != version:
        cached = (version, read_pack_file(path))
        _LOADED[key] = cached
    return cached[1]


def _builtin_pack_path() -> Path:
    """Build the built-in head once per version of its source and cache it as a pack file."""
    from facesynth.assets.cache import packs_dir

    sources = sorted((Path(__file__).parent / "builtin_head").glob("*.py"))
    digest = hashlib.sha256(FORMAT.encode())
    for src in sources:
        digest.update(src.name.encode() + b"\0" + src.read_bytes())
    path = packs_dir() / f"builtin-{digest.hexdigest()[:16]}.npz"
    if not path.exists():
        from facesynth.assets.builtin_head import build_builtin_pack  # lazy: only when not cached

        pack = build_builtin_pack()
        if not isinstance(pack, FacePack):
            raise TypeError(f"build_builtin_pack() returned {type(pack).__name__}, expected FacePack")
        pack.save(path)
    return path
