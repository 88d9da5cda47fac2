"""Render a recipe's samples in this process: one Blender, resumable, stoppable with Ctrl-C.

SIGINT or SIGTERM (what schedulers send) stops after the current sample, with everything written
so far intact; a second SIGINT aborts at once (the atomic store still never shows half a sample).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from facesynth.assets.preflight import check_assets
from facesynth.errors import FacesynthError, UserError, WorkError
from facesynth.io.store import DatasetWriter, StoreWriteError
from facesynth.recipe import load_recipe
from facesynth.sampling import select_indices


@dataclass
class RunReport:
    selected: int = 0
    already_done: int = 0
    rendered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    interrupted: bool = False
    seconds: float = 0.0
    broken: int = 0
    """Finished samples found damaged (sha256) and rendered again."""

    def summary(self) -> str:
        rate = len(self.rendered) / self.seconds if self.seconds > 0 and self.rendered else 0.0
        parts = [f"{len(self.rendered)} rendered", f"{self.already_done} already done"]
        if self.broken:
            parts.append(f"{self.broken} broken re-rendered")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        text = f"{', '.join(parts)} of {self.selected} selected in {self.seconds:.1f} s ({rate:.2f} samples/s)"
        return text + (" - interrupted: run the same command again to resume" if self.interrupted else "")


class _StopFlag:
    """Ctrl-C / SIGTERM during a run: the first asks to stop after the current sample, a second
    Ctrl-C aborts at once.

    Blender renders with Python's GIL released but runs Python signal handlers only between its
    own steps, and sends its console output to a log while it renders. So signals are read by a
    watcher thread from `signal.set_wakeup_fd` (written by the C-level handler the moment a signal
    arrives), the notice goes to a copy of the terminal's stderr taken before any redirection,
    and an abort removes the scratch files and ends the process with exit code 130; the atomic
    store never shows half a sample, and the next run deletes the temp files of the cut write.
    """

    def __init__(self, on_abort: Callable[[], None] = lambda: None) -> None:
        self.requested = False
        self._on_abort = on_abort
        self._terminal = os.dup(2)
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._thread = threading.Thread(target=self._watch, name="facesynth-signals", daemon=True)

    def __call__(self, signum: int, _frame: object) -> None:
        """The Python-level handler: the watcher thread does the work (it may already have)."""

    def start(self) -> None:
        self._old_wakeup = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._thread.start()

    def stop(self) -> None:
        signal.set_wakeup_fd(self._old_wakeup)
        with contextlib.suppress(OSError):
            os.write(self._write, b"\0")  # wakes the watcher, which then ends
        self._thread.join(timeout=5)
        for fd in (self._read, self._write, self._terminal):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _say(self, text: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self._terminal, text.encode())

    def _watch(self) -> None:
        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            for signum in data:
                if signum == 0:
                    return
                if signum not in (signal.SIGINT, signal.SIGTERM):
                    continue
                if self.requested and signum == signal.SIGINT:
                    self._say("\nSIGINT again: aborting now (finished samples are kept; run the same "
                              "command to resume)\n")
                    with contextlib.suppress(Exception):
                        self._on_abort()
                    os._exit(130)
                self.requested = True
                self._say(f"\n{signal.Signals(signum).name}: stopping after the current sample "
                          "(Ctrl-C again to abort now)\n")


@contextmanager
def _graceful_stop(on_abort: Callable[[], None] = lambda: None) -> Iterator[_StopFlag]:
    flag = _StopFlag(on_abort)
    previous = {s: signal.signal(s, flag) for s in (signal.SIGINT, signal.SIGTERM)}
    flag.start()
    try:
        yield flag
    finally:
        flag.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


def render_dataset(recipe_path: str | Path, out: str | Path, *, indices: str | None = None,
                   shard_index: int | None = None, shard_count: int | None = None, limit: int | None = None,
                   force_new: bool = False, progress: bool = True,
                   overrides: tuple[str, ...] | list[str] = ()) -> RunReport:
    """Render the selected samples of a recipe into `out`, skipping those already complete."""
    from facesynth.farm.producer import SampleProducer
    from facesynth.render import RenderSession
    from facesynth.render._bpy import import_bpy
    from facesynth.render.face_model import load_face_model

    start = time.perf_counter()
    loaded = load_recipe(recipe_path, overrides)
    check_assets(loaded)  # what `validate` checks, before Blender starts and before `out` exists
    chosen = select_indices(loaded.recipe.samples, indices=indices, shard_index=shard_index,
                            shard_count=shard_count, limit=limit)
    bpy = import_bpy()
    pack = load_face_model(loaded)  # before touching the output: a missing pack must leave no trace
    with DatasetWriter(out, loaded.text, force_new=force_new, blender_version=bpy.app.version_string,
                       worker_name=_worker_name(shard_index, shard_count)) as writer:
        todo = writer.pending(chosen)
        report = RunReport(selected=len(chosen), already_done=len(chosen) - len(todo), broken=len(writer.broken))
        if writer.broken:
            print(f"{out}: {len(writer.broken)} sample(s) are damaged (a file is missing or differs from its "
                  f"sha256) and are rendered again (first: index {writer.broken[0]})", file=sys.stderr)
        if not todo:
            report.seconds = time.perf_counter() - start
            return report
        session = RenderSession(pack, threads=loaded.recipe.render.threads)
        producer = SampleProducer(loaded, pack, session, writer, bpy.app.version_string)
        blender_tmp = Path(bpy.app.tempdir)  # Blender's own scratch folder, removed at a normal exit

        def abort() -> None:  # what a normal exit would clean, before os._exit skips it
            session.close()
            writer.close()
            if blender_tmp.name.startswith("blender_"):
                shutil.rmtree(blender_tmp, ignore_errors=True)

        try:
            with _graceful_stop(abort) as stop, tqdm(total=len(todo), unit="sample", disable=not progress,
                                                             desc=loaded.recipe.name, file=sys.stderr) as bar:
                for index in todo:
                    try:
                        producer.produce(index)
                        report.rendered.append(index)
                    except (UserError, StoreWriteError):
                        # a wrong input, or a dataset that cannot be written (disk full, read-only):
                        # every further sample would fail the same way, so stop at the first
                        raise
                    except (FacesynthError, RuntimeError, OSError, ValueError) as exc:
                        report.failed[index] = f"{type(exc).__name__}: {exc}"
                        bar.write(f"sample {index}: failed: {exc}", file=sys.stderr)
                    bar.update(1)
                    if stop.requested:
                        report.interrupted = True
                        break
        finally:
            session.close()
    report.seconds = time.perf_counter() - start
    return report


def _worker_name(shard_index: int | None, shard_count: int | None) -> str | None:
    import os
    import socket

    if shard_index is None:
        return None
    return f"shard{shard_index:04d}of{shard_count:04d}-{socket.gethostname()}-{os.getpid()}"


def check_report(report: RunReport) -> None:
    if report.failed:
        first = next(iter(report.failed.items()))
        raise WorkError(f"{len(report.failed)} sample(s) failed, first: sample {first[0]}: {first[1]}")
