"""`--backend ray`: one Ray actor per worker, each holding one `Worker` (Blender, scene built once).

Samples go out in small batches, one batch per actor at a time. Actors are created with Ray's
`max_restarts`: an actor whose process dies is restarted by Ray (a fresh Blender); the batch it
held fails with `RayActorError`, and the driver puts its samples back on the queue
(`Ledger.lost`: bounded attempts, a log line per retried sample). Workers write straight into the
output directory, which on a cluster must be a path every node mounts. `ray.init()` alone (no
address) starts a local instance on this machine.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from facesynth.errors import MissingDependencyError, UserError, WorkError
from facesynth.farm.ledger import Ledger
from facesynth.farm.worker import Worker, WorkerSpec, outcome

INSTALL_HINT = "pip install 'facesynth[farm]'"


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(f"--backend ray needs Ray: {INSTALL_HINT} ({exc})") from None
    return ray


class RayWorker:
    """The actor's class (wrapped with `ray.remote` at run time, so this module imports without Ray).
    A UserError while starting (a face pack missing on this node, an output path it cannot write)
    is kept and reported by `hello`, not raised: the driver then stops the run with that line."""

    def __init__(self, spec: WorkerSpec, slot: int) -> None:
        self.error: str | None = None
        self.worker: Worker | None = None
        try:
            self.worker = Worker(spec, slot)
        except UserError as exc:
            self.error = str(exc)

    def hello(self) -> dict[str, Any]:
        return {"error": self.error, "host": socket.gethostname(), "pid": os.getpid()}

    def render_batch(self, indices: list[int]) -> list[dict[str, Any]]:
        if self.worker is None:
            return [{"status": "user_error", "index": i, "error": self.error} for i in indices]
        return [outcome(self.worker, i) for i in indices]


def connect(address: str | None) -> tuple[Any, bool]:
    """(ray, whether we started it). An already initialised Ray (a test, a notebook) is used as is."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    try:
        # Workers' stdout would land in ours, and `--progress json` needs stdout to itself.
        extra = {} if address else {"include_dashboard": False}  # a local instance needs no web UI
        ray.init(address=address, log_to_driver=False, **extra)
    except ConnectionError as exc:
        raise UserError(f"--address {address}: cannot connect to a Ray cluster: {exc}") from None
    except Exception as exc:  # Ray raises bare Exceptions, e.g. a local node that timed out starting
        raise WorkError(f"Ray did not start: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return ray, True


def cluster_plan(ray: Any, workers: int | None) -> tuple[int, int]:
    """(actors, CPUs per actor). Default: one actor per node using all its CPUs (Cycles scales
    best with threads inside one process); with `--workers N`, the cluster's CPUs split N ways."""
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    cpus = [int(n.get("Resources", {}).get("CPU", 0)) for n in nodes]
    if not cpus or max(cpus) < 1:
        raise WorkError("the Ray cluster has no CPUs to run workers on")
    if workers is None:
        return len(cpus), max(1, min(c for c in cpus if c >= 1))
    return workers, max(1, sum(cpus) // workers)


def run_ray(spec: WorkerSpec, ledger: Ledger, stop: Any, ray: Any, *, actors: int, cpus_per_actor: int,
            batch: int, max_restarts: int) -> None:
    cls = ray.remote(num_cpus=cpus_per_actor, max_restarts=max_restarts, max_task_retries=0)(RayWorker)
    handles = [cls.options(scheduling_strategy="SPREAD").remote(spec, n) for n in range(actors)]
    try:
        for hello in ray.get([h.hello.remote() for h in handles]):
            _check_hello(hello)
        _Driver(ray, handles, ledger, stop, batch).run()
    finally:
        for h in handles:
            ray.kill(h, no_restart=True)


def _check_hello(hello: dict[str, Any]) -> None:
    if hello["error"]:
        raise UserError(hello["error"])


class _Driver:
    """One batch in flight per actor, so that when an actor dies the batch it was running is
    known exactly (its samples are retried; nothing queued behind it is blamed). A dead actor
    is restarted by Ray; the driver probes it with `hello` and hands it work once it answers."""

    def __init__(self, ray: Any, handles: list[Any], ledger: Ledger, stop: Any, batch: int) -> None:
        self.ray, self.handles, self.ledger, self.stop, self.batch = ray, handles, ledger, stop, batch
        self.idle = set(range(len(handles)))
        self.in_flight: dict[Any, tuple[int, list[int]]] = {}
        self.probing: dict[Any, int] = {}

    def run(self) -> None:
        while True:
            self._hand_out()
            if not self.in_flight and (self.stop.requested or not self.ledger.queue):
                return
            if not self.in_flight and not self.probing:
                raise WorkError(f"every Ray actor died for good; {len(self.ledger.queue)} samples not rendered")
            ready, _ = self.ray.wait([*self.in_flight, *self.probing], num_returns=1, timeout=1.0)
            for ref in ready:
                if ref in self.probing:
                    self._probed(ref)
                else:
                    self._finished(ref)

    def _hand_out(self) -> None:
        for n in sorted(self.idle):
            if self.stop.requested or not self.ledger.queue:
                return
            # Small batches, smaller still when the queue is short: at least two rounds for every
            # actor, so none sits idle at the end while another works through a big batch.
            size = max(1, min(self.batch, len(self.ledger.queue) // (2 * len(self.handles))))
            indices = self.ledger.take(size)
            self.in_flight[self.handles[n].render_batch.remote(indices)] = (n, indices)
            self.idle.discard(n)

    def _finished(self, ref: Any) -> None:
        from ray.exceptions import RayActorError, RayTaskError

        n, indices = self.in_flight.pop(ref)
        try:
            results = self.ray.get(ref)
        except RayActorError as exc:
            text = str(exc).strip()
            cause = text.splitlines()[0][:160] if text else ""
            for index in indices:
                self.ledger.lost(index, f"Ray actor {n} died ({type(exc).__name__}: {cause})")
            self.probing[self.handles[n].hello.remote()] = n
            return
        except RayTaskError as exc:  # a bug in our code, not a crash: fail the batch
            results = [{"status": "failed", "index": i, "error": str(exc).splitlines()[0]} for i in indices]
        self.idle.add(n)
        self._hand_out()  # the actor's next batch first, then the bookkeeping
        for result in results:
            self.ledger.record(result)

    def _probed(self, ref: Any) -> None:
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

        n = self.probing.pop(ref)
        try:
            hello = self.ray.get(ref)
        except ActorUnavailableError:  # still restarting: ask again shortly
            time.sleep(0.5)
            self.probing[self.handles[n].hello.remote()] = n
            return
        except (ActorDiedError, RayActorError):
            self.ledger.progress.note(f"Ray actor {n} is gone for good (restarts used up)")
            return
        _check_hello(hello)
        self.ledger.progress.note(f"Ray actor {n} is back (pid {hello['pid']} on {hello['host']})")
        self.idle.add(n)
