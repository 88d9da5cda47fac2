"""What a run tells its user while it works: a tqdm bar (default), JSON lines, or nothing.

`--progress json` prints one JSON object per line on stdout for log scrapers: one per finished
sample (`event: "sample"`, with id, index, seconds, worker, host), one per sample given up
(`event: "failed"`), and a final `event: "summary"`. Retries and other notes go to stderr as text
in every mode. Blender and Cycles print to the C-level stdout (device probes, warnings): in JSON
mode file descriptor 1 points at stderr for the whole run (worker processes inherit that), and
the JSON lines go to the original stdout, which so stays pure JSON.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Literal, TextIO

from tqdm import tqdm

from facesynth.errors import UserError

Mode = Literal["bar", "json", "none"]
MODES: tuple[str, ...] = ("bar", "json", "none")


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise UserError(f"--progress must be one of {', '.join(MODES)}, got {mode!r}")
    return mode  # type: ignore[return-value]


class Progress:
    """The driver's one view of the run, whichever backend renders."""

    def __init__(self, mode: str, total: int, desc: str, *, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.mode = check_mode(mode)
        self._out = out or sys.stdout
        self._err = err or sys.stderr
        self._saved_fd1: int | None = None
        if self.mode == "json" and out is None:
            sys.stdout.flush()
            self._saved_fd1 = os.dup(1)
            self._out = os.fdopen(os.dup(self._saved_fd1), "w", encoding="utf-8")
            os.dup2(2, 1)
        self._bar = tqdm(total=total, unit="sample", desc=desc, file=self._err, disable=self.mode != "bar")

    def sample(self, done: Any) -> None:
        """A finished sample (a `SampleDone`)."""
        self._bar.update(1)
        if self.mode == "json":
            self._emit({"event": "sample", "id": done.id, "index": done.index, "seconds": round(done.seconds, 3),
                        "worker": done.worker, "host": done.host, "pid": done.pid, "skipped": done.skipped})

    def failed(self, index: int, reason: str) -> None:
        self._bar.update(1)
        self.note(f"sample {index}: failed: {reason}")
        if self.mode == "json":
            self._emit({"event": "failed", "index": index, "error": reason})

    def note(self, text: str) -> None:
        """A line for the log (stderr), printed above the bar."""
        if self.mode == "bar":
            self._bar.write(text, file=self._err)
        else:
            print(text, file=self._err, flush=True)

    def summary(self, fields: dict[str, Any]) -> None:
        if self.mode == "json":
            self._emit({"event": "summary", **fields})

    def close(self) -> None:
        """Ends the bar and gives stdout back."""
        self._bar.close()
        if self._saved_fd1 is not None:
            self._out.close()
            sys.stdout.flush()
            os.dup2(self._saved_fd1, 1)
            os.close(self._saved_fd1)
            self._saved_fd1 = None

    def _emit(self, obj: dict[str, Any]) -> None:
        self._out.write(json.dumps(obj, sort_keys=True) + "\n")
        self._out.flush()
