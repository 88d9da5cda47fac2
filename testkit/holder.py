"""Another live writer process on a dataset directory, for tests of concurrent writers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def hold_writer(root: Path, recipe: str, worker_name: str | None = None) -> subprocess.Popen[str]:
    """A process that opens a `DatasetWriter` on `root` and keeps it (and its lock) until killed."""
    code = ("import sys, time; from facesynth.io import DatasetWriter; "
            "w = DatasetWriter(sys.argv[1], sys.argv[2], worker_name=sys.argv[3] or None); "
            "print('ready', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(root), recipe, worker_name or ""],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc
