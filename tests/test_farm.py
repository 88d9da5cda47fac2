"""Scale-out: `--workers N` local worker processes and `--backend ray`, against a one-process run.

Real Blender renders (tiny), real worker processes killed with real SIGKILLs, and a real local
Ray instance limited to 2 CPUs (started once for the module). Every farmed dataset must hold
byte-identical files to the one-process reference and pass `verify`.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from facesynth.farm.local import render_dataset
from facesynth.farm.worker import CRASH_ENV
from facesynth.io.store import read_index
from facesynth.io.verify import verify

pytestmark = [pytest.mark.render]

SAMPLES = 4
TINY = """# test recipe: built-in head, lamps of changing kinds (the order-sensitive case for Cycles)
name: tiny_farm
seed: 5
samples: {samples}
subjects: {{face_model: builtin, count: 3}}
camera: {{resolution: 48x64}}
lights: {{count: [1, 2], kinds: [area, point]}}
render: {{samples: 2, denoise: false}}
background: {{kind: solid}}
outputs: [rgb, depth, masks, landmarks]
"""


def _recipe(folder: Path, samples: int = SAMPLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.yaml"
    path.write_text(TINY.format(samples=samples))
    return path


def _hashes(root: Path) -> dict[str, str]:
    """sha256 of every sample file (RGB, depth, masks, landmarks, metadata) by relative path."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "samples").rglob("*")) if p.is_file()}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "facesynth.cli", "render", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def _complete(root: Path, samples: range = range(SAMPLES)) -> None:
    """verify passes, every index present once, and the driver's one index file lists each sample once."""
    report = verify(root)
    assert report.passed and len(report.ok) == len(samples) and not report.duplicates, report
    lines = Counter(entry["index"] for entry in read_index(root))
    assert sorted(lines) == list(samples) and max(lines.values()) == 1, f"index lines: {lines}"
    assert len(list((root / "index").glob("*.jsonl"))) == 1, "the driver keeps the index, not the workers"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The one-process dataset every other run is compared with."""
    folder = tmp_path_factory.mktemp("farm")
    recipe = _recipe(folder)
    report = render_dataset(recipe, folder / "one", progress=False)
    assert report.rendered == list(range(SAMPLES))
    hashes = _hashes(folder / "one")
    assert sum(name.endswith(".rgb.png") for name in hashes) == SAMPLES
    return recipe, hashes


def test_two_workers_write_the_same_files_as_one_process(reference, tmp_path: Path) -> None:
    recipe, want = reference
    out = tmp_path / "two"
    proc = _cli(str(recipe), "--out", str(out), "--workers", "2", "--progress", "json")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert _hashes(out) == want
    _complete(out)
    events = [json.loads(line) for line in stdout.splitlines()]  # stdout is pure JSON lines
    samples = [e for e in events if e["event"] == "sample"]
    assert sorted(e["index"] for e in samples) == list(range(SAMPLES))
    assert {e["id"] for e in samples} == {f"{i:06d}" for i in range(SAMPLES)}
    assert all(e["seconds"] > 0 and e["host"] and e["worker"] for e in samples)
    assert len({e["pid"] for e in samples} | {os.getpid()}) == 3, "two worker processes besides the driver"
    assert events[-1]["event"] == "summary" and events[-1]["rendered"] == SAMPLES and not events[-1]["failed"]


def test_sigkilled_worker_is_restarted_and_its_sample_retried(reference, tmp_path: Path) -> None:
    recipe, want = reference
    out = tmp_path / "killed"
    proc = _cli(str(recipe), "--out", str(out), "--workers", "2", "--progress", "json")
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())
    # The worker that just reported has already been handed its next sample: kill it mid-sample.
    os.kill(first["pid"], signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    retried = [line for line in stderr.splitlines() if "SIGKILL" in line and "retrying" in line]
    assert len(retried) == 1 and retried[0].startswith("sample "), stderr
    assert f"(pid {first['pid']})" in retried[0]
    assert _hashes(out) == want
    _complete(out)
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["retried"] and summary["rendered"] == SAMPLES and not summary["failed"]


def test_sigterm_to_the_driver_lets_workers_finish_their_samples(reference, tmp_path: Path) -> None:
    recipe, want = reference
    out = tmp_path / "stopped"
    proc = _cli(str(recipe), "--out", str(out), "--workers", "2", "--progress", "json")
    assert proc.stdout is not None
    json.loads(proc.stdout.readline())
    proc.send_signal(signal.SIGTERM)  # what a scheduler sends on pre-emption
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "interrupted: run the same command again to resume" in stderr
    report = verify(out)  # every sample the workers had in hand was finished, nothing half-written
    assert not report.corrupt and not report.duplicates and not report.stray_temp, report
    assert 2 <= len(report.ok) < SAMPLES and report.missing, report
    got = _hashes(out)
    assert got == {k: v for k, v in want.items() if k in got}
    assert json.loads(stdout.splitlines()[-1])["interrupted"] is True


def test_a_sample_that_always_crashes_its_worker_fails_and_the_rest_completes(reference, tmp_path: Path) -> None:
    recipe, want = reference
    out = tmp_path / "crashy"
    proc = _cli(str(recipe), "--out", str(out), "--workers", "2", "--retries", "1", "--progress", "json",
                env={CRASH_ENV: "1"})
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    assert "sample 1: " in stderr and "retrying (attempt 2 of 2)" in stderr
    assert "gave up after 2 crashed attempts" in stderr
    assert stderr.strip().splitlines()[-1].startswith("error: 1 sample(s) failed, first: sample 1:")
    failed = [json.loads(line) for line in stdout.splitlines() if '"failed"' in line and '"summary"' not in line]
    assert [e["index"] for e in failed] == [1]
    report = verify(out)
    assert report.missing == [1] and len(report.ok) == SAMPLES - 1 and not report.corrupt
    assert sorted(e["index"] for e in read_index(out)) == [0, 2, 3]
    assert _hashes(out) == {k: v for k, v in want.items() if "/000001." not in k}


def test_a_retried_sample_already_on_disk_is_reported_not_rendered(reference) -> None:
    """A worker killed after writing a sample but before reporting it: the retry finds the sample
    complete and sends the very index line the original write would have sent."""
    from facesynth.farm.worker import Worker, WorkerSpec
    from facesynth.recipe import load_recipe

    recipe, _ = reference
    root = recipe.parent / "one"
    before = {p: p.stat().st_mtime_ns for p in (root / "samples").rglob("*")}
    worker = Worker(WorkerSpec(load_recipe(recipe), str(root), threads=1), slot=0)
    try:
        done = worker.render(2)
    finally:
        worker.close()
    assert done.skipped and done.id == "000002" and done.seconds == 0.0
    assert done.entry == next(e for e in read_index(root) if e["index"] == 2)
    assert before == {p: p.stat().st_mtime_ns for p in (root / "samples").rglob("*")}


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The CLI in this process (Blender already loaded): exit code and stderr."""
    from facesynth.cli import main

    try:
        main(["render", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_a_user_error_in_a_worker_stops_the_run_once_with_one_line(tmp_path: Path, capsys,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = _recipe(tmp_path / "r")
    monkeypatch.setenv(CRASH_ENV, "one")  # read by the worker processes only
    code, stderr = _main([str(recipe), "--out", str(tmp_path / "bad"), "--workers", "1", "-q"], capsys)
    assert code == 2
    assert stderr.strip().splitlines() == [f"error: {CRASH_ENV}='one' must be a sample index"]


@pytest.mark.parametrize("case", ["missing_pack", "output_is_a_file", "another_recipe"])
def test_user_faults_stop_before_any_worker_starts(case: str, tmp_path: Path, capsys) -> None:
    recipe = _recipe(tmp_path / "r")
    out = tmp_path / "out"
    if case == "missing_pack":
        recipe.write_text(recipe.read_text().replace("face_model: builtin", "face_model: nowhere/pack.npz"))
    elif case == "output_is_a_file":
        out.write_text("not a directory")
    else:  # what makes a directory another recipe's dataset: its recipe.yaml
        out.mkdir()
        (out / "recipe.yaml").write_text("name: another\n")
    code, stderr = _main([str(recipe), "--out", str(out), "--workers", "2", "--backend", "local"], capsys)
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert {"missing_pack": "nowhere", "output_is_a_file": "is a file",
            "another_recipe": "another recipe"}[case] in lines[0]
    if case == "missing_pack":
        assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--progress", "xml"], "--progress must be one of bar, json, none, got 'xml'"),
    (["--backend", "foo"], "--backend must be one of local, ray, got 'foo'"),
    (["--address", "auto"], "--address goes with --backend ray"),
    (["--retries", "-1"], "--retries must be at least 0, got -1"),
])
def test_bad_farm_options_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path, capsys) -> None:
    code, stderr = _main([str(_recipe(tmp_path)), "--out", str(tmp_path / "out"), *args], capsys)
    assert code == 2 and stderr.strip().splitlines() == [f"error: {message}"]
    assert not (tmp_path / "out").exists()


# -- Ray: one local instance limited to 2 CPUs for the module ---------------------------------------

@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_writes_the_same_files_as_one_process(reference, local_ray, tmp_path: Path) -> None:
    recipe, want = reference
    out = tmp_path / "ray"
    report = render_dataset(recipe, out, progress=False, backend="ray", workers=2)
    assert sorted(report.rendered) == list(range(SAMPLES)) and not report.failed
    assert _hashes(out) == want
    _complete(out)


def test_ray_survives_an_actor_killed_mid_run(reference, local_ray, tmp_path: Path, capsys) -> None:
    recipe, want = reference
    out = tmp_path / "ray-killed"
    killed: list[int] = []

    def kill_first_actor(done) -> None:
        if not killed:  # its next batch is already in flight: kill the actor's process mid-work
            killed.append(done.pid)
            os.kill(done.pid, signal.SIGKILL)

    report = render_dataset(recipe, out, progress=False, backend="ray", workers=2, on_sample=kill_first_actor)
    assert killed and report.retried, "the kill must have cost a batch in flight"
    notes = [line for line in capsys.readouterr().err.splitlines() if "retrying" in line]
    assert [line.split(":")[0] for line in notes] == [f"sample {i}" for i in report.retried], notes
    assert not report.failed and sorted(report.rendered) == list(range(SAMPLES))
    assert _hashes(out) == want
    _complete(out)
