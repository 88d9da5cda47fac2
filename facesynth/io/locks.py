"""Writer locks: one small file per live writer process in `<dataset>/locks/`.

Several writers of the same recipe may share a dataset directory (shards), so a lock does not keep
other writers out; it tells a run that would *discard* the directory (`render --force-new`) that
someone is still writing there. A lock is stale when its process has ended (same host: the PID no
longer exists) or, for a writer on another host, when it has not been touched for `STALE_AFTER_S`
(a writer touches its lock after every sample).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from facesynth.atomic import write_bytes
from facesynth.scratch import pid_alive

LOCK_DIR = "locks"
STALE_AFTER_S = 3600.0  # longer than any sample takes to render, so a slow live writer is not stale


@dataclass(frozen=True)
class LockInfo:
    path: Path
    pid: int
    host: str
    started: str
    age_s: float

    def describe(self) -> str:
        return f"process {self.pid} on {self.host} (since {self.started}, lock {self.path.name})"


class WriterLock:
    """This process's lock file in `root/locks/`; `touch()` after each sample, `release()` at the end."""

    def __init__(self, root: Path, worker_name: str) -> None:
        self.path = root / LOCK_DIR / f"{worker_name}.lock"
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_bytes(self.path, json.dumps(info, sort_keys=True).encode("utf-8"))

    def touch(self) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.path)

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def live_locks(root: Path, *, exclude: Path | None = None, remove_stale: bool = True) -> list[LockInfo]:
    """Locks of writers that may still be running; stale ones are deleted on the way."""
    folder = root / LOCK_DIR
    if not folder.is_dir():
        return []
    host, now = socket.gethostname(), time.time()
    live: list[LockInfo] = []
    for path in sorted(folder.glob("*.lock")):
        if exclude is not None and path == exclude:
            continue
        try:
            age = now - path.stat().st_mtime
            data = json.loads(path.read_text(encoding="utf-8"))
            info = LockInfo(path, int(data["pid"]), str(data["host"]), str(data.get("started", "?")), age)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: not a lock this version wrote
        if info.host == host and info.pid == os.getpid():
            continue  # this process's own writers: not another run
        stale = not pid_alive(info.pid) if info.host == host else age > STALE_AFTER_S
        if stale:
            if remove_stale:
                with contextlib.suppress(OSError):
                    path.unlink()
            continue
        live.append(info)
    return live
