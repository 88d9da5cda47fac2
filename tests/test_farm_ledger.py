"""The driver's retry bookkeeping never touches files that live workers are still writing.

Regression: CI failed `test_sigkilled_worker_is_restarted_and_its_sample_retried` when the driver,
checking the killed worker's sample, deleted the other worker's young temp file in the same
sub-directory (the driver is the only lock holder, so its default grace period is 0)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from facesynth.farm.ledger import Ledger
from facesynth.farm.progress import Progress
from facesynth.farm.report import RunReport
from facesynth.io import DatasetWriter
from facesynth.io.store import TEMP_GRACE_S
from testkit.holder import hold_writer
from testkit.synthetic import synthetic_sample

RECIPE = "name: a\nseed: 7\nsamples: 4\n"


def test_a_lost_sample_leaves_other_workers_young_temp_files_alone(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    with DatasetWriter(root, RECIPE) as writer:
        assert writer.temp_grace_s == 0.0  # sole lock holder: the case that bit
        sid, outputs, meta = synthetic_sample(0, width=32, height=24, kinds=("rgb",))
        writer.write_sample(0, sid, outputs, meta)
        folder = root / "samples" / "000"
        live = folder / ".tmp-live-worker.exr"  # another worker mid-write
        live.write_bytes(b"half")
        stale = folder / ".tmp-killed-long-ago.exr"
        stale.write_bytes(b"old")
        old = time.time() - TEMP_GRACE_S - 10
        os.utime(stale, (old, old))

        progress = Progress("none", 4, "test", out=io.StringIO(), err=io.StringIO())
        ledger = Ledger([], RunReport(selected=4), progress, writer, max_attempts=3)
        ledger.lost(1, "worker died (signal SIGKILL)")

        assert live.exists(), "the driver deleted a live worker's temp file"
        assert not stale.exists()
        assert list(ledger.queue) == [1] and ledger.attempts[1] == 1
        ledger.lost(0, "worker died after writing")  # complete on disk: costs no attempt
        assert ledger.attempts[0] == 0


def test_after_the_workers_stop_their_temp_files_go_unless_another_shard_writes(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    with DatasetWriter(root, RECIPE) as writer:
        folder = root / "samples" / "000"
        folder.mkdir(parents=True)
        left = folder / ".tmp-killed-worker.exr"
        left.write_bytes(b"half")
        assert writer.remove_worker_temp([1, 2]) == [left] and not left.exists()

        left.write_bytes(b"half")
        # Another shard's driver opens the same directory: young temp files may be its own.
        other = hold_writer(root, RECIPE, "other-shard")
        try:
            assert writer.remove_worker_temp([1]) == [] and left.exists()
        finally:
            other.kill()
            other.wait()
