"""One render worker: its own Blender and scene, built once; renders the samples it is handed.

The local pool runs one per process and the Ray backend one per actor. A worker writes each sample
through the dataset store's atomic writer and sends the sample's index line back with its report:
the driver that started it holds the dataset directory (checks it, creates it, owns the writer
lock) and keeps the dataset's index.

Test-only fault injection: when the environment variable named by `CRASH_ENV`
(`FACESYNTH_TEST_CRASH_INDEX`) holds a sample index, the worker SIGKILLs its own process just
before rendering that sample, every time it is handed that sample. It is a real crash of a real
worker process, so the driver's restart, retry and give-up paths run exactly as for a segfault.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from facesynth.errors import UserError
from facesynth.io.store import DatasetWriter
from facesynth.recipe import LoadedRecipe

CRASH_ENV = "FACESYNTH_TEST_CRASH_INDEX"


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs, picklable: sent to a spawned process or a Ray actor."""

    loaded: LoadedRecipe
    out: str
    """Absolute dataset directory (on a cluster: a path every node sees)."""
    threads: int
    """Cycles threads for this worker (0 = all cores of its machine)."""
    name_prefix: str = "worker"


@dataclass(frozen=True)
class SampleDone:
    """What a worker reports per finished sample (one `--progress json` line)."""

    index: int
    id: str
    seconds: float
    worker: str
    host: str
    pid: int
    entry: dict[str, Any] = field(default_factory=dict, repr=False)
    """The sample's index line, which the driver appends to the dataset's index."""
    skipped: bool = False
    """The sample was already complete on disk (a retry after a crash that came after its write)."""


class Worker:
    """Loads the face pack, builds the scene and attaches to the dataset directory, once."""

    def __init__(self, spec: WorkerSpec, slot: int) -> None:
        from facesynth.farm.producer import SampleProducer
        from facesynth.render import RenderSession
        from facesynth.render._bpy import import_bpy
        from facesynth.render.face_model import load_face_model

        _drop_inherited_blender_paths()
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.name = f"{spec.name_prefix}{slot}-{self.host}-{self.pid}"
        self._crash_index = _crash_index()
        bpy = import_bpy()
        pack = load_face_model(spec.loaded)  # a pack missing on this node is a UserError
        self.writer = DatasetWriter.attach(spec.out, spec.loaded.text, worker_name=self.name)
        self.session = RenderSession(pack, threads=spec.threads)
        self.producer = SampleProducer(spec.loaded, pack, self.session, self.writer, bpy.app.version_string)

    def render(self, index: int) -> SampleDone:
        """Render and write sample `index`; a sample already complete on disk is not redone."""
        start = time.perf_counter()
        if not self.writer.pending([index]):
            return self._already_written(index)
        if index == self._crash_index:
            os.kill(self.pid, signal.SIGKILL)
        spec = self.producer.produce(index)
        return SampleDone(index, spec.id, time.perf_counter() - start, self.name, self.host, self.pid,
                          entry=self.writer.last_index_entry or {})

    def _already_written(self, index: int) -> SampleDone:
        """A sample its previous (crashed) worker wrote in full: its index line from its JSON."""
        from facesynth.io.layout import sample_dir
        from facesynth.io.store import index_entry, read_meta
        from facesynth.sampling import sample_spec

        sid = sample_spec(self.producer.loaded, index).id
        json_path = sample_dir(self.writer.root, index) / f"{sid}.json"
        meta = read_meta(json_path) or {}
        entry = index_entry(self.writer.root, sid, index, json_path, json_path.read_bytes(), meta.get("outputs", {}))
        return SampleDone(index, sid, 0.0, self.name, self.host, self.pid, entry=entry, skipped=True)

    def close(self) -> None:
        self.session.close()


def _drop_inherited_blender_paths() -> None:
    """A spawned process copies its parent's sys.path. When the parent had imported bpy, that
    path holds Blender's `scripts/modules`, whose pure-Python `bpy` package would shadow the bpy
    module itself (`No module named '_bpy'`). Blender adds those paths back when it loads."""
    if "bpy" in sys.modules:
        return
    marker = os.sep + "bpy" + os.sep
    sys.path[:] = [p for p in sys.path if not (marker in p and os.sep + "scripts" in p)]


def _crash_index() -> int | None:
    raw = os.environ.get(CRASH_ENV, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise UserError(f"{CRASH_ENV}={raw!r} must be a sample index") from None


def outcome(worker: Worker, index: int) -> dict[str, Any]:
    """Render one sample and describe the result as plain data (what crosses a pipe or Ray).

    A UserError (the recipe or an input is wrong) is reported as such: the driver stops the run
    rather than retrying it on every sample. Other errors fail just this sample."""
    from facesynth.errors import FacesynthError

    try:
        return {"status": "done", "done": worker.render(index)}
    except UserError as exc:
        return {"status": "user_error", "index": index, "error": str(exc)}
    except (FacesynthError, RuntimeError, OSError, ValueError) as exc:
        return {"status": "failed", "index": index, "error": f"{type(exc).__name__}: {exc}"}
