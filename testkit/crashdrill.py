"""Crash drill: SIGKILL a dataset writer at random moments, then check that it resumes cleanly.

Works with any command that writes through `DatasetWriter` and resumes via `pending()`: the
synthetic writer (`python -m testkit.synthetic`) or `facesynth render`. After every kill no
sample may be corrupt (half-visible) or duplicated; a final uninterrupted run must complete the
dataset with exactly the expected samples.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from facesynth.atomic import TMP_PREFIX
from facesynth.io.store import read_index
from facesynth.io.verify import VerifyReport, verify


@dataclass
class DrillResult:
    kills: int = 0
    """How many times the writer was killed while still running."""
    samples_after_kill: list[int] = field(default_factory=list)
    mid_sample_kills: int = 0
    """Kills that left a sample's files or temp files without its JSON (a kill inside a sample)."""
    final: VerifyReport | None = None
    index_lines: int = 0
    index_ids: set[str] = field(default_factory=set)


def count_samples(root: Path) -> int:
    return sum(1 for _ in root.glob("samples/*/*.json"))


def _writing_now(root: Path) -> bool:
    """A sample's temp file exists: the writer is inside a sample's write sequence."""
    return any(True for _ in root.glob(f"samples/*/{TMP_PREFIX}*"))


def kill_and_resume(
    cmd: Sequence[str],
    root: Path,
    *,
    kills: int = 5,
    step: tuple[int, int] = (1, 6),
    jitter_s: float = 0.05,
    seed: int = 0,
    timeout_s: float = 300.0,
    env: dict[str, str] | None = None,
) -> DrillResult:
    """Run `cmd` `kills` times, SIGKILLing each mid-run, then once more to completion.

    Each run is killed once it has finished a random number (`step`) of new samples, plus a random
    delay below `jitter_s`, so kills land at random points of a sample's write sequence whatever
    the machine's speed. Every other kill also waits (up to a second) until a temp file exists,
    so that at least one kill lands inside a write even on a loaded machine where the random
    ones can all fall between samples. Raises AssertionError when a kill left a corrupt or duplicated sample, or
    the final run failed.
    """
    rng = random.Random(seed)
    result = DrillResult()
    full_env = {**os.environ, **(env or {})}
    for attempt in range(kills):
        target = count_samples(root) + rng.randint(*step)
        proc = subprocess.Popen(list(cmd), env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None and count_samples(root) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        if attempt % 2:
            until = time.monotonic() + 1.0
            while proc.poll() is None and not _writing_now(root) and time.monotonic() < until:
                time.sleep(0.0005)
        else:
            time.sleep(rng.uniform(0.0, jitter_s))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            result.kills += 1
        proc.wait()
        if not (root / "recipe.yaml").exists():
            continue  # killed before the writer even started
        report = verify(root)
        assert not report.corrupt, f"half-visible samples after SIGKILL: {report.corrupt}"
        assert not report.duplicates, f"duplicates after SIGKILL: {report.duplicates}"
        result.samples_after_kill.append(len(report.ok))
        result.mid_sample_kills += bool(report.orphans or report.stray_temp)
    done = subprocess.run(list(cmd), env=full_env, capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, f"resume run failed ({done.returncode}): {done.stderr[-2000:]}"
    result.final = verify(root)
    lines = read_index(root)
    result.index_lines = len(lines)
    result.index_ids = {str(line["id"]) for line in lines}
    return result
