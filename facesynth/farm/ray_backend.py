"""`--backend ray`: one Ray actor per worker, each holding one `Worker` (Blender, scene built once).

Samples go out in small batches, at most two batches per actor in flight so an actor never waits
for the driver. Actors are created with Ray's `max_restarts`: an actor whose process dies is
restarted by Ray (a fresh Blender); the batch it held fails with `RayActorError`, and the driver
puts its samples back on the queue (`Ledger.lost`: bounded attempts, a log line per retried
sample). Workers write straight into the output directory, which on a cluster must be a path
every node mounts. `ray.init()` alone (no address) starts a local instance on this machine.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from facesynth.errors import MissingDependencyError, UserError, WorkError
from facesynth.farm.ledger import Ledger
from facesynth.farm.worker import Worker, WorkerSpec, outcome

INSTALL_HINT = "pip install 'facesynth[farm]'"
IN_FLIGHT_PER_ACTOR = 2


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


def _hand_out(handles: list[Any], alive: list[int], in_flight: dict[Any, tuple[int, list[int]]], ledger: Ledger,
              batch: int, stop: Any) -> None:
    """Top every live actor up to IN_FLIGHT_PER_ACTOR batches, round-robin so that a short queue
    is spread over all actors; batches shrink when the queue is short for the same reason."""
    for depth in range(IN_FLIGHT_PER_ACTOR):
        for n in alive:
            if stop.requested or not ledger.queue:
                return
            if sum(1 for slot, _ in in_flight.values() if slot == n) > depth:
                continue
            size = max(1, min(batch, len(ledger.queue) // (IN_FLIGHT_PER_ACTOR * len(alive))))
            indices = ledger.take(size)
            in_flight[handles[n].render_batch.remote(indices)] = (n, indices)


def run_ray(spec: WorkerSpec, ledger: Ledger, stop: Any, ray: Any, *, actors: int, cpus_per_actor: int,
            batch: int, max_restarts: int) -> None:
    from ray.exceptions import RayActorError, RayTaskError

    cls = ray.remote(num_cpus=cpus_per_actor, max_restarts=max_restarts, max_task_retries=0)(RayWorker)
    handles = [cls.options(scheduling_strategy="SPREAD").remote(spec, n) for n in range(actors)]
    try:
        for hello in ray.get([h.hello.remote() for h in handles]):
            if hello["error"]:
                raise UserError(hello["error"])
        deaths = [0] * actors
        alive = list(range(actors))
        in_flight: dict[Any, tuple[int, list[int]]] = {}
        while True:
            _hand_out(handles, alive, in_flight, ledger, batch, stop)
            if not in_flight:
                if ledger.queue and not stop.requested:
                    raise WorkError(f"every Ray actor died more than {max_restarts} times; "
                                    f"{len(ledger.queue)} samples not rendered")
                return
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
            for ref in ready:
                n, indices = in_flight.pop(ref)
                try:
                    results = ray.get(ref)
                except RayActorError as exc:
                    deaths[n] += 1
                    if deaths[n] > max_restarts and n in alive:
                        alive.remove(n)
                    cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    for index in indices:
                        ledger.lost(index, f"Ray actor {n} died ({type(exc).__name__}: {cause[:200]})")
                    continue
                except RayTaskError as exc:  # a bug in our code, not a crash: fail the batch
                    results = [{"status": "failed", "index": i, "error": str(exc).splitlines()[0]}
                               for i in indices]
                for result in results:
                    ledger.record(result)
    finally:
        for h in handles:
            ray.kill(h, no_restart=True)
