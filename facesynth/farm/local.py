"""Render a recipe's samples: in this process (one Blender), or as the driver of local worker
processes or Ray actors. Resumable, stoppable with Ctrl-C.

SIGINT or SIGTERM (what schedulers send) stops after the current sample(s), with everything
written so far intact; a second SIGINT aborts at once (the atomic store still never shows half a
sample).
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
from pathlib import Path
from typing import Any

from facesynth.assets.preflight import check_assets
from facesynth.errors import FacesynthError, UserError, WorkError
from facesynth.farm.progress import Progress, check_mode
from facesynth.farm.report import RunReport
from facesynth.farm.worker import SampleDone, WorkerSpec
from facesynth.io.store import DatasetWriter, StoreWriteError
from facesynth.recipe import LoadedRecipe, load_recipe
from facesynth.sampling import select_indices

BACKENDS = ("local", "ray")


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

    def __init__(self) -> None:
        self.requested = False
        self.on_abort: Callable[[], None] = lambda: None
        """What a second Ctrl-C runs before it ends the process (set once there is something to clean)."""
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
                        self.on_abort()
                    os._exit(130)
                self.requested = True
                self._say(f"\n{signal.Signals(signum).name}: stopping after the current sample "
                          "(Ctrl-C again to abort now)\n")


@contextmanager
def _graceful_stop() -> Iterator[_StopFlag]:
    flag = _StopFlag()
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
                   force_new: bool = False, progress: bool | str = True,
                   overrides: tuple[str, ...] | list[str] = (), workers: int | None = None,
                   backend: str = "local", address: str | None = None, retries: int = 2, batch: int = 2,
                   on_sample: Callable[[SampleDone], None] | None = None) -> RunReport:
    """Render the selected samples of a recipe into `out`, skipping those already complete.

    `workers=None` with the local backend renders in this process; `workers=N` runs N worker
    processes (`facesynth.farm.pool`); `backend="ray"` runs Ray actors (`facesynth.farm.ray_backend`).
    `progress`: "bar" (True), "json" or "none" (False). `retries`: how often a sample whose worker
    crashed is tried again. `on_sample` is called in the driver for every finished sample."""
    start = time.perf_counter()
    mode = check_mode({True: "bar", False: "none"}.get(progress, progress))  # type: ignore[arg-type]
    if backend not in BACKENDS:
        raise UserError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if retries < 0:
        raise UserError(f"--retries must be at least 0, got {retries}")
    if address is not None and backend != "ray":
        raise UserError("--address goes with --backend ray")
    loaded = load_recipe(recipe_path, overrides)
    check_assets(loaded)  # what `validate` checks, before Blender starts and before `out` exists
    chosen = select_indices(loaded.recipe.samples, indices=indices, shard_index=shard_index,
                            shard_count=shard_count, limit=limit)
    pack = None
    if backend == "ray":
        blender_version = _installed_bpy_version()
    else:
        from facesynth.render._bpy import import_bpy
        from facesynth.render.face_model import load_face_model

        bpy = import_bpy()
        blender_version = bpy.app.version_string
        # Before touching the output: a missing pack must leave no trace. (Ray workers check on
        # their own node, which may not be this one.)
        pack = load_face_model(loaded)
    with DatasetWriter(out, loaded.text, force_new=force_new, blender_version=blender_version,
                       worker_name=_worker_name(shard_index, shard_count)) as writer:
        todo = writer.pending(chosen)
        report = RunReport(selected=len(chosen), already_done=len(chosen) - len(todo), broken=len(writer.broken))
        if writer.broken:
            print(f"{out}: {len(writer.broken)} sample(s) are damaged (a file is missing or differs from its "
                  f"sha256) and are rendered again (first: index {writer.broken[0]})", file=sys.stderr)
        ray, started_ray = None, False
        if todo and backend == "ray":
            from facesynth.farm.ray_backend import connect

            ray, started_ray = connect(address)  # after the directory checks: they fail fast
        view = Progress(mode, len(todo), loaded.recipe.name)
        try:
            if todo:
                with _graceful_stop() as stop:
                    stop.on_abort = writer.close
                    if backend == "local" and workers is None:
                        _render_here(loaded, pack, writer, blender_version, todo, report, view, stop, on_sample)
                    else:
                        _render_farmed(loaded, writer, todo, report, view, stop, on_sample, workers=workers,
                                       ray=ray, retries=retries, batch=batch,
                                       prefix=_worker_prefix(shard_index, shard_count))
            report.seconds = time.perf_counter() - start
            view.summary(report.as_dict())
        finally:
            view.close()
            if started_ray:
                ray.shutdown()
    return report


def _render_here(loaded: LoadedRecipe, pack: Any, writer: DatasetWriter, blender_version: str, todo: list[int],
                 report: RunReport, view: Progress, stop: _StopFlag,
                 on_sample: Callable[[SampleDone], None] | None) -> None:
    """One process, one Blender: the samples in order."""
    import socket

    from facesynth.farm.producer import SampleProducer
    from facesynth.render import RenderSession
    from facesynth.render._bpy import import_bpy

    bpy = import_bpy()
    session = RenderSession(pack, threads=loaded.recipe.render.threads)
    producer = SampleProducer(loaded, pack, session, writer, blender_version)
    host, pid = socket.gethostname(), os.getpid()
    blender_tmp = Path(bpy.app.tempdir)  # Blender's own scratch folder, removed at a normal exit

    def abort() -> None:  # what a normal exit would clean, before os._exit skips it
        session.close()
        writer.close()
        if blender_tmp.name.startswith("blender_"):
            shutil.rmtree(blender_tmp, ignore_errors=True)

    stop.on_abort = abort
    try:
        for index in todo:
            t0 = time.perf_counter()
            try:
                spec = producer.produce(index)
            except (UserError, StoreWriteError):
                # a wrong input, or a dataset that cannot be written (disk full, read-only):
                # every further sample would fail the same way, so stop at the first
                raise
            except (FacesynthError, RuntimeError, OSError, ValueError) as exc:
                report.failed[index] = f"{type(exc).__name__}: {exc}"
                view.failed(index, str(exc))
            else:
                report.rendered.append(index)
                done = SampleDone(index, spec.id, time.perf_counter() - t0, writer.worker_name, host, pid)
                view.sample(done)
                if on_sample is not None:
                    on_sample(done)
            if stop.requested:
                report.interrupted = True
                break
    finally:
        session.close()


def _render_farmed(loaded: LoadedRecipe, writer: DatasetWriter, todo: list[int], report: RunReport,
                   view: Progress, stop: _StopFlag, on_sample: Callable[[SampleDone], None] | None, *,
                   workers: int | None, ray: Any, retries: int, batch: int, prefix: str) -> None:
    """Worker processes or Ray actors; this process is the driver: queue, progress, the writer's
    directory. Workers write through their own attached writers (own index files)."""
    from facesynth.farm.ledger import Ledger

    ledger = Ledger(todo, report, view, writer, max_attempts=retries + 1, on_sample=on_sample)
    out = str(writer.root.resolve())
    if ray is None:
        from facesynth.farm.pool import LocalPool

        n = min(workers or 1, len(todo))
        # Cycles threads split between the workers unless the recipe fixes them.
        threads = loaded.recipe.render.threads or max(1, len(os.sched_getaffinity(0)) // n)
        LocalPool(WorkerSpec(loaded, out, threads, prefix), n, ledger, stop).run()
    else:
        from facesynth.farm.ray_backend import cluster_plan, run_ray

        actors, cpus = cluster_plan(ray, workers)
        actors = min(actors, len(todo))
        threads = loaded.recipe.render.threads or cpus
        run_ray(WorkerSpec(loaded, out, threads, prefix), ledger, stop, ray, actors=actors, cpus_per_actor=cpus,
                batch=max(1, batch), max_restarts=max(1, retries))
    report.interrupted = stop.requested and bool(ledger.queue)
    # Every worker has stopped: a killed one's half-written temp files are leftovers now (while
    # workers ran, `Ledger.lost` had to leave young temp files alone).
    writer.remove_worker_temp(todo)


def _installed_bpy_version() -> str | None:
    """The bpy wheel's version, without importing Blender (the Ray driver may not render)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bpy")
    except PackageNotFoundError:
        return None


def _worker_name(shard_index: int | None, shard_count: int | None) -> str | None:
    import socket

    if shard_index is None:
        return None
    return f"shard{shard_index:04d}of{shard_count:04d}-{socket.gethostname()}-{os.getpid()}"


def _worker_prefix(shard_index: int | None, shard_count: int | None) -> str:
    """Index-file prefix of a worker (its name adds slot, host and pid)."""
    return "worker" if shard_index is None else f"shard{shard_index:04d}of{shard_count:04d}-worker"


def check_report(report: RunReport) -> None:
    if report.failed:
        first = next(iter(report.failed.items()))
        raise WorkError(f"{len(report.failed)} sample(s) failed, first: sample {first[0]}: {first[1]}")
