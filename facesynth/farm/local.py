"""Render a recipe's samples in this process: one Blender, resumable, stoppable with Ctrl-C.

SIGINT or SIGTERM (what schedulers send) stops after the current sample, with everything written
so far intact; a second SIGINT aborts at once (the atomic store still never shows half a sample).
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from facesynth.errors import FacesynthError, UserError, WorkError
from facesynth.io.store import DatasetWriter
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

    def summary(self) -> str:
        rate = len(self.rendered) / self.seconds if self.seconds > 0 and self.rendered else 0.0
        parts = [f"{len(self.rendered)} rendered", f"{self.already_done} already done"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        text = f"{', '.join(parts)} of {self.selected} selected in {self.seconds:.1f} s ({rate:.2f} samples/s)"
        return text + (" - interrupted: run the same command again to resume" if self.interrupted else "")


class _StopFlag:
    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, _frame: object) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        print(f"\n{signal.Signals(signum).name}: stopping after the current sample "
              "(Ctrl-C again to abort now)", file=sys.stderr)


@contextmanager
def _graceful_stop() -> Iterator[_StopFlag]:
    flag = _StopFlag()
    previous = {s: signal.signal(s, flag) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
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
    chosen = select_indices(loaded.recipe.samples, indices=indices, shard_index=shard_index,
                            shard_count=shard_count, limit=limit)
    bpy = import_bpy()
    pack = load_face_model(loaded)  # before touching the output: a missing pack must leave no trace
    writer = DatasetWriter(out, loaded.text, force_new=force_new, blender_version=bpy.app.version_string,
                           worker_name=_worker_name(shard_index, shard_count))
    todo = writer.pending(chosen)
    report = RunReport(selected=len(chosen), already_done=len(chosen) - len(todo))
    if not todo:
        report.seconds = time.perf_counter() - start
        return report
    session = RenderSession(pack, threads=loaded.recipe.render.threads)
    producer = SampleProducer(loaded, pack, session, writer, bpy.app.version_string)
    try:
        with _graceful_stop() as stop, tqdm(total=len(todo), unit="sample", disable=not progress,
                                            desc=loaded.recipe.name, file=sys.stderr) as bar:
            for index in todo:
                try:
                    producer.produce(index)
                    report.rendered.append(index)
                except UserError:
                    raise  # the recipe or an input is wrong: every sample would fail the same way
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
