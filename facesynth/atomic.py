"""The one atomic writer: every file facesynth writes goes through here.

Bytes go to a temporary name in the destination directory, are flushed and fsynced, and are then
renamed over the final name, so a reader (or a resumed run after SIGKILL) sees either the whole
file or no file at all. The directory is fsynced after the rename too: until then the new name
lives only in the page cache, and a power cut could lose it even though the bytes were on disk.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_PREFIX = ".tmp-"
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it to `final` if the block succeeds.

    For writers that insist on a filename (OpenEXR, PIL with a format from the suffix): the
    temporary name keeps the final suffix.
    """
    final = Path(final)
    _make_directories(final.parent)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes 0600 files; datasets and caches are shared, so use the usual umask-based mode.
    os.chmod(tmp_path, 0o666 & ~_UMASK)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, final)
        fsync_directory(final.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _make_directories(folder: Path) -> None:
    """mkdir -p, then fsync the parent of each new directory so that the new entries survive a power cut."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        fsync_directory(new.parent)


def fsync_directory(path: str | os.PathLike[str]) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(final: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write `data` to `final`."""
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)
    return Path(final)


def write_text(final: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(final, text.encode("utf-8"))


def check_writable(final: str | os.PathLike[str], what: str) -> None:
    """Refuse, before any work, a destination file that cannot be written: its folder (or the
    nearest existing ancestor that would hold it) must be a writable directory."""
    from facesynth.errors import UserError

    final = Path(final).expanduser()
    if final.is_dir():
        raise UserError(f"{what} {final} is a directory; give a file name")
    folder = final.parent
    while not folder.exists():
        if folder.parent == folder:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"{what} {final}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{what} {final}: cannot write in {folder} (read-only or no permission)")


def is_temporary(path: str | os.PathLike[str]) -> bool:
    """True for leftovers of an interrupted write (safe to delete)."""
    return Path(path).name.startswith(TMP_PREFIX)
