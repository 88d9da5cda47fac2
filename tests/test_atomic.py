"""The atomic writer makes the rename durable: the directory is fsynced after it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from facesynth import atomic


class FsyncLog:
    """Every fsync as (file type, inode, whether `final` existed then); the real fsync still runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int, bool]] = []
        self.final = Path("/nonexistent")
        self._real = os.fsync
        monkeypatch.setattr(atomic.os, "fsync", self)

    def __call__(self, fd: int) -> None:
        st = os.fstat(fd)
        self.calls.append(("dir" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino, self.final.exists()))
        self._real(fd)


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> FsyncLog:
    return FsyncLog(monkeypatch)


def test_directory_is_fsynced_after_the_rename(tmp_path: Path, fsyncs: FsyncLog) -> None:
    final = tmp_path / "a.json"
    fsyncs.final = final
    atomic.write_text(final, "{}")
    assert final.read_text() == "{}"
    folder = os.stat(tmp_path).st_ino
    # The file's bytes first (before the rename), then its directory (after the rename).
    assert fsyncs.calls[0][0] == "file" and fsyncs.calls[0][2] is False
    assert ("dir", folder, True) in fsyncs.calls and fsyncs.calls.index(("dir", folder, True)) > 0


def test_new_directories_are_fsynced_in_their_parents(tmp_path: Path, fsyncs: FsyncLog) -> None:
    final = tmp_path / "samples" / "000" / "000001.json"
    fsyncs.final = final
    atomic.write_text(final, "{}")
    dirs = [ino for kind, ino, _ in fsyncs.calls if kind == "dir"]
    for folder in (tmp_path, tmp_path / "samples", tmp_path / "samples" / "000"):
        assert os.stat(folder).st_ino in dirs, folder


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    final = tmp_path / "x.bin"
    with pytest.raises(RuntimeError), atomic.atomic_path(final) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer died")
    assert list(tmp_path.iterdir()) == []
