"""Crash-resume drill: a real writer process SIGKILLed at random moments never leaves a
half-visible sample, and a resume completes exactly N samples with no duplicates.

`testkit.crashdrill.kill_and_resume(cmd, root)` takes any command, so the same drill can
drive `facesynth render` once it exists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from facesynth.io import open_dataset
from facesynth.io.verify import verify
from testkit.crashdrill import kill_and_resume

COUNT = 80


def test_sigkilled_writer_resumes_to_exactly_n_samples(tmp_path: Path, repo_root: Path) -> None:
    root = tmp_path / "ds"
    cmd = [sys.executable, "-m", "testkit.synthetic", str(root), "--count", str(COUNT),
           "--width", "96", "--height", "64"]  # fmt: skip
    result = kill_and_resume(cmd, root, kills=5, step=(2, 6), seed=11, env={"PYTHONPATH": str(repo_root)})
    assert result.kills == 5, "a writer finished before its kill: the drill proved less than it says"
    # Every kill landed mid-run: progress grew from run to run without completing.
    after = result.samples_after_kill
    assert after == sorted(after) and after[0] > 0 and after[-1] < COUNT, after
    # At least one kill hit inside a sample's write sequence (files or temp files, no JSON yet).
    assert result.mid_sample_kills >= 1
    final = result.final
    assert final is not None and final.passed and not final.corrupt and not final.duplicates
    assert len(final.ok) == COUNT and final.missing == []
    assert not final.stray_temp  # the resume's pending() cleaned the killed writes' temp files
    # No sample was written twice, and every index line names a real sample.
    assert result.index_lines == len(result.index_ids) <= COUNT
    assert result.index_ids <= set(final.ok)
    assert open_dataset(root).ids == [f"{i:06d}" for i in range(COUNT)]


def test_parallel_writer_processes_share_a_directory(tmp_path: Path, repo_root: Path) -> None:
    import subprocess

    root = tmp_path / "ds"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "testkit.synthetic",
                str(root),
                "--count",
                "24",
                "--width",
                "64",
                "--height",
                "48",
                "--shard",
                f"{i}/3",
            ]
        )
        for i in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    report = verify(root)
    assert report.passed and len(report.ok) == 24
    index_files = sorted((root / "index").glob("*.jsonl"))
    assert len(index_files) == 3  # one per process, never shared
    per_file = [{json.loads(x)["index"] % 3 for x in p.read_text().splitlines()} for p in index_files]
    assert sorted(map(sorted, per_file)) == [[0], [1], [2]]
