"""`--workers N`: N persistent worker processes on this machine, fed one sample at a time.

Each worker is a spawned process with its own Blender and scene (built once). The driver keeps
the queue, hands each idle worker the next index over its own pipe, and watches every process:
one that dies (segfault, SIGKILL, out-of-memory killer) is restarted and its sample retried
(bounded, see `Ledger.lost`). Workers ignore SIGINT/SIGTERM: the driver decides when to stop and
lets them finish the sample in hand.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from facesynth.errors import UserError, WorkError
from facesynth.farm.ledger import Ledger
from facesynth.farm.worker import Worker, WorkerSpec, outcome

START_FAILURES = 3
"""A slot whose worker dies this many times in a row before it is ready is retired."""
JOIN_S = 60.0
"""How long the driver waits for workers to finish their sample and exit at the end."""


def _worker_main(conn: Connection, spec: WorkerSpec, slot: int) -> None:
    """A worker process: build once, then render each index the driver sends until None."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    try:
        worker = Worker(spec, slot)
    except UserError as exc:
        conn.send({"status": "user_error", "error": str(exc)})
        return
    except Exception as exc:  # reported to the driver, which decides whether to retry
        conn.send({"status": "start_error", "error": f"{type(exc).__name__}: {exc}"})
        return
    conn.send({"status": "ready", "worker": worker.name})
    try:
        while True:
            try:
                index = conn.recv()
            except EOFError:  # the driver is gone
                return
            if index is None:
                return
            conn.send(outcome(worker, index))
    finally:
        worker.close()


@dataclass
class _Slot:
    number: int
    process: BaseProcess
    conn: Connection
    ready: bool = False
    index: int | None = None
    start_failures: int = 0
    start_error: str = ""


class LocalPool:
    def __init__(self, spec: WorkerSpec, workers: int, ledger: Ledger, stop: Any) -> None:
        self.spec = spec
        self.ledger = ledger
        self._stop = stop  # .requested: set by SIGINT/SIGTERM
        self._ctx = mp.get_context("spawn")  # never fork a process that may hold threads
        self.slots: list[_Slot | None] = [self._start(n) for n in range(workers)]

    def _start(self, number: int, start_failures: int = 0) -> _Slot:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.spec, number),
                                 name=f"facesynth-worker{number}", daemon=True)
        proc.start()
        child.close()
        return _Slot(number, proc, parent, start_failures=start_failures)

    def run(self) -> None:
        """Until the queue is empty (or a stop is requested) and no worker holds a sample."""
        stop = self._stop
        try:
            while True:
                live = [s for s in self.slots if s is not None]
                if not live:
                    raise WorkError("every worker died while starting: " + self._last_start_error)
                for slot in live:
                    self._feed(slot)
                if not any(s.index is not None for s in live) and (stop.requested or not self.ledger.queue):
                    return
                wait([s.conn for s in live] + [s.process.sentinel for s in live], timeout=1.0)
                for slot in live:
                    self._drain(slot)
                    if not slot.process.is_alive():
                        self._died(slot, stop)
        finally:
            self._shutdown()

    _last_start_error = ""

    def _feed(self, slot: _Slot) -> None:
        if slot.ready and slot.index is None and self.ledger.queue and not self._stop.requested:
            slot.index = self.ledger.take()[0]
            slot.conn.send(slot.index)

    def _drain(self, slot: _Slot) -> None:
        while True:
            try:
                if not slot.conn.poll():
                    return
                msg = slot.conn.recv()
            except (EOFError, OSError):
                return
            status = msg["status"]
            if status == "ready":
                slot.ready, slot.start_failures = True, 0
            elif status == "start_error":
                slot.start_error = msg["error"]
            else:
                slot.index = None
                self._feed(slot)  # the worker's next sample first, then the bookkeeping
                self.ledger.record(msg)  # raises UserError for a user_error: the run stops

    def _died(self, slot: _Slot, stop: Any) -> None:
        code = slot.process.exitcode
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        what = f"worker {slot.number} (pid {slot.process.pid}) died ({how})"
        slot.conn.close()
        if slot.index is not None:
            self.ledger.lost(slot.index, what)
        failures = slot.start_failures if slot.ready else slot.start_failures + 1
        if not slot.ready:
            self._last_start_error = f"{what}: {slot.start_error or 'no message'}"
            self.ledger.progress.note(f"{self._last_start_error} before it was ready")
        if failures >= START_FAILURES or stop.requested or not self.ledger.queue:
            self.slots[slot.number] = None
            return
        self.ledger.progress.note(f"restarting worker {slot.number}")
        self.slots[slot.number] = self._start(slot.number, failures)

    def _shutdown(self) -> None:
        live = [s for s in self.slots if s is not None]
        for slot in live:
            with contextlib.suppress(OSError, ValueError):
                slot.conn.send(None)
        for slot in live:
            slot.process.join(JOIN_S if slot.index is None else 0.1)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()
        self.slots = []
