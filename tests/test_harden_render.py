"""The render command under faults (issue 18, classes 9, 10 and 11), with real Blender processes:
a read-only --out is refused before any work, the first write error stops the run, Ctrl-C's notice
reaches the terminal, a second Ctrl-C aborts at once and leaves no scratch directory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from facesynth.io import DatasetWriter

pytest.importorskip("bpy")

TINY = ("name: tiny\nseed: 3\nsamples: 3\ncamera: {resolution: 64x64}\nrender: {preset: draft}\n"
        "outputs: [rgb, depth]\n")
# One sample takes minutes: a signal always arrives while Blender renders it.
SLOW = ("name: slow\nseed: 3\nsamples: 2\ncamera: {resolution: 256x256}\n"
        "render: {samples: 65536, adaptive_threshold: 0, denoise: false}\noutputs: [rgb]\n")


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` cannot be written, also by root (an immutable directory); skipped where neither
    permissions nor chattr can make it so."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a directory read-only here (chattr +i refused)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def render(recipe: Path, out: Path, *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facesynth.cli", "render", str(recipe), "--out", str(out), "-q",
                           *args], capture_output=True, text=True, timeout=300, **kw)


def test_read_only_out_is_refused_before_any_work(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(TINY)
    out = tmp_path / "out"
    out.mkdir()
    with read_only(out):
        done = render(recipe, out)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: cannot write to dataset directory {out}") and done.stderr.count("\n") == 1
    assert not any(out.iterdir())


def test_first_write_error_stops_the_run(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(TINY)
    out = tmp_path / "out"
    DatasetWriter(out, TINY).close()  # a started dataset of this recipe ...
    (out / "samples").mkdir()
    with read_only(out / "samples"):  # ... whose sample folder cannot be written
        done = render(recipe, out)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if "could not write" in line]
    assert len(errors) == 1 and errors[0].startswith("error: sample 000000: could not write"), done.stderr
    assert "000001" not in done.stderr and "Traceback" not in done.stderr  # never tried the rest
    assert not (out / "locks").exists() or not any((out / "locks").iterdir())  # lock released


def _wait_for(predicate, timeout_s: float, what: str) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_ctrl_c_notice_reaches_the_terminal_and_a_second_aborts(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(SLOW)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    err = tmp_path / "stderr.txt"
    out = tmp_path / "out"
    with open(err, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "facesynth.cli", "render", str(recipe), "--out", str(out),
                                 "-q"], stdout=subprocess.DEVNULL, stderr=fh,
                                env={**os.environ, "TMPDIR": str(scratch)})
    try:
        # the session's scratch directory appears once Blender is set up; the log once it renders
        _wait_for(lambda: any(scratch.glob("facesynth-render-*/blender.log")), 120, "the render to start")
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _wait_for(lambda: "stopping after the current sample" in err.read_text(), 20, "the notice on stderr")
        assert proc.poll() is None  # still rendering the current sample
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)  # a sample of this recipe takes minutes: this is the abort
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, err.read_text()
    assert "aborting now" in err.read_text() and "Traceback" not in err.read_text()
    assert not any(scratch.iterdir())  # no scratch directory left behind
    assert not list(out.glob("samples/*/*.json"))  # nothing half-written became a sample
