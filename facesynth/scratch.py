"""Private scratch directories in the system temp folder, named after the process that owns them,
so that a run killed with SIGKILL (which cleans nothing) has its leftovers removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

PREFIX = "facesynth-"
_OWNED = re.compile(rf"^{re.escape(PREFIX)}[a-z]+-(\d+)-")


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def make_scratch_dir(kind: str) -> Path:
    """A new private directory `facesynth-<kind>-<pid>-XXXX` in the system temp folder; scratch
    directories of ended processes are removed first."""
    clean_stale_scratch()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-"))


def clean_stale_scratch(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove scratch directories whose owning process has ended; returns them."""
    root = Path(folder or tempfile.gettempdir())
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            m = _OWNED.match(entry.name)
            if m and entry.is_dir(follow_symlinks=False) and not pid_alive(int(m[1])):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed
