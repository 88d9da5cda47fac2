"""The driver's bookkeeping, shared by the local pool and the Ray backend: one queue of sample
indices, attempts per sample, and what the run report and the progress view are told."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from facesynth.errors import UserError
from facesynth.io.store import TEMP_GRACE_S

if TYPE_CHECKING:
    from facesynth.farm.progress import Progress
    from facesynth.farm.report import RunReport
    from facesynth.farm.worker import SampleDone
    from facesynth.io.store import DatasetWriter


class Ledger:
    def __init__(self, todo: list[int], report: RunReport, progress: Progress, writer: DatasetWriter, *,
                 max_attempts: int, on_sample: Callable[[SampleDone], None] | None = None) -> None:
        self.queue: deque[int] = deque(todo)
        self.report = report
        self.progress = progress
        self.writer = writer
        self.max_attempts = max(1, max_attempts)
        self.on_sample = on_sample
        self.attempts: Counter[int] = Counter()

    def take(self, n: int = 1) -> list[int]:
        """Up to `n` indices from the front; a sample being retried after a crash goes alone, so a
        sample that kills its worker every time does not take its batch-mates down with it."""
        out: list[int] = []
        while self.queue and len(out) < n:
            if out and self.attempts[self.queue[0]]:
                break
            out.append(self.queue.popleft())
            if self.attempts[out[-1]]:
                break
        return out

    def record(self, result: dict[str, Any]) -> None:
        """A worker's answer for one sample (see `facesynth.farm.worker.outcome`)."""
        status = result["status"]
        if status == "user_error":
            # The recipe or an input is wrong: every sample would fail the same way.
            raise UserError(result["error"])
        if status == "failed":
            self.report.failed[result["index"]] = result["error"]
            self.progress.failed(result["index"], result["error"])
            return
        done = result["done"]
        self.writer.append_index(done.entry)  # the driver keeps the dataset's index
        self.report.rendered.append(done.index)
        self.progress.sample(done)
        if self.on_sample is not None:
            self.on_sample(done)

    def lost(self, index: int, reason: str) -> None:
        """The worker holding `index` died (signal, out of memory, lost node): retry it at the
        front of the queue, or give up after `max_attempts` crashes. A sample its worker had
        already written before dying costs no attempt (the retry finds it complete).

        The other workers are still writing into the same sub-directories, so only temp files
        older than TEMP_GRACE_S count as stale here (with the driver's default of 0 this check
        deleted a live worker's half-written file and failed its sample)."""
        if self.writer.pending([index], temp_grace_s=TEMP_GRACE_S):
            self.attempts[index] += 1
        tries = self.attempts[index]
        if tries >= self.max_attempts:
            reason = f"{reason}; gave up after {tries} crashed attempts"
            self.report.failed[index] = reason
            self.progress.failed(index, reason)
            return
        self.report.retried[index] = tries
        self.progress.note(f"sample {index}: {reason}; retrying (attempt {tries + 1} of {self.max_attempts})")
        self.queue.appendleft(index)
