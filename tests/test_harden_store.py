"""Damaged and contested datasets never pass silently (issue 18, classes 1, 3 and 11, store side):
samples of another recipe, a --force-new while another process writes, same-size corruption on
resume, leftovers of killed runs, and verify's exit code. No Blender: synthetic samples through
the real DatasetWriter, verify through the real CLI entry point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facesynth.errors import UserError
from facesynth.io import DatasetWriter
from facesynth.io.store import StoreWriteError
from facesynth.io.verify import verify
from facesynth.outputs import META_VERSION
from facesynth.scratch import clean_stale_scratch, make_scratch_dir
from testkit.holder import hold_writer
from testkit.synthetic import synthetic_sample

RECIPE_A = "name: a\nseed: 7\nsamples: 4\n"
RECIPE_B = "name: b\nseed: 7\nsamples: 4\n"
KINDS = ("rgb", "depth")


def write(writer: DatasetWriter, index: int, **meta_update: object) -> Path:
    sid, outputs, meta = synthetic_sample(index, width=32, height=24, kinds=KINDS)
    return writer.write_sample(index, sid, outputs, {**meta, **meta_update})


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facesynth.cli", *args], capture_output=True, text=True,
                          timeout=120)


# -- class 1: one dataset, one recipe ------------------------------------------------------------

def test_force_new_is_refused_while_another_process_writes(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    holder = hold_writer(root, RECIPE_A)
    try:
        with pytest.raises(UserError, match=rf"still being written by process {holder.pid} on .*--force-new"):
            DatasetWriter(root, RECIPE_B, force_new=True)
        assert (root / "recipe.yaml").read_text() == RECIPE_A  # nothing was deleted
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the killed writer's lock is stale now: starting over works and removes it
    writer = DatasetWriter(root, RECIPE_B, force_new=True)
    assert (root / "recipe.yaml").read_text() == RECIPE_B
    assert [p.name for p in (root / "locks").iterdir()] == [writer._lock.path.name]  # type: ignore[union-attr]
    writer.close()
    assert not any((root / "locks").iterdir())


def test_a_writer_stops_when_its_directory_was_started_over(tmp_path: Path) -> None:
    old = DatasetWriter(tmp_path, RECIPE_A)
    write(old, 0)
    DatasetWriter(tmp_path, RECIPE_B, force_new=True)  # e.g. after the old writer's lock went stale
    with pytest.raises(StoreWriteError, match="now holds another recipe"):
        write(old, 1)
    assert not (tmp_path / "samples" / "000" / "000001.json").exists()


def test_verify_refuses_samples_of_another_recipe_or_version(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE_A)
    for i in range(2):
        write(writer, i)
    write(writer, 2, recipe_sha256="0" * 64)  # written for another recipe
    info = json.loads((tmp_path / "dataset.json").read_text())
    write(writer, 3, facesynth_version=info["facesynth_version"] + ".other")
    report = verify(tmp_path)
    assert sorted(report.foreign) == ["000002", "000003"] and not report.passed
    assert "recipe_sha256 0000" in report.foreign["000002"] and "facesynth_version" in report.foreign["000003"]
    done = cli("verify", str(tmp_path))
    assert done.returncode == 1 and "foreign 000002: recipe_sha256" in done.stderr


# -- class 3: resume checks what it trusts --------------------------------------------------------

def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_resume_finds_same_size_corruption_and_renders_it_again(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE_A)
    paths = [write(writer, i) for i in range(4)]
    folder = paths[0].parent
    _flip_byte(folder / "000001.rgb.png", -20)  # inside the image data: same size
    _flip_byte(folder / "000002.depth.exr", -9)
    meta = paths[3].read_text()
    edited = meta.replace('"seed":7', '"seed":8')  # an edited JSON value of the same length
    assert edited != meta and len(edited) == len(meta)
    paths[3].write_text(edited)
    resumed = DatasetWriter(tmp_path, RECIPE_A)
    assert resumed.pending(range(4)) == [1, 2, 3] and resumed.broken == [1, 2, 3]
    assert resumed.pending(range(4), check_sha256=False) == []  # what sizes alone would trust
    for i in resumed.pending(range(4)):
        write(resumed, i)
    assert verify(tmp_path).passed


def test_resume_never_follows_a_file_name_out_of_the_sample_folder(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE_A)
    path = write(writer, 0)
    meta = json.loads(path.read_text())
    outside = tmp_path / "outside.png"
    outside.write_bytes((path.parent / "000000.rgb.png").read_bytes())
    meta["outputs"]["rgb"]["file"] = "../../outside.png"
    path.write_text(json.dumps(meta))
    assert DatasetWriter(tmp_path, RECIPE_A).pending([0], check_sha256=False) == [0]


# -- class 11: leftovers of killed runs, verify's exit code --------------------------------------

def test_temp_files_of_a_killed_set_up_are_cleaned_and_reported(tmp_path: Path) -> None:
    one = RECIPE_A.replace("samples: 4", "samples: 1")
    write(DatasetWriter(tmp_path, one), 0)
    leftover = tmp_path / ".tmp-k1ll3d.yaml"  # a kill while recipe.yaml was being written
    leftover.write_text("name: a\n")
    report = verify(tmp_path)
    assert report.stray_temp == [leftover] and not report.passed
    done = cli("verify", "--quick", str(tmp_path))
    assert done.returncode == 1 and f"temp file: {leftover}" in done.stderr
    DatasetWriter(tmp_path, one).close()  # the next run, with no other live writer
    assert not leftover.exists()
    assert cli("verify", "--quick", str(tmp_path)).returncode == 0


def test_verify_quick_exit_code_follows_orphan_files(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE_A)
    path = write(writer, 0)
    (path.parent / "000001.rgb.png").write_bytes(b"a file no metadata lists")
    done = cli("verify", "--quick", str(tmp_path))
    assert done.returncode == 1 and "1 orphan files" in done.stdout and "orphan file:" in done.stderr


def test_scratch_dirs_of_ended_processes_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead = tmp_path / f"facesynth-render-{ended.stdout.strip()}-abcd"
    (dead / "sub").mkdir(parents=True)
    (dead / "sub" / "frame.exr").write_bytes(b"x")
    unrelated = tmp_path / "facesynth-notes"
    unrelated.mkdir()
    mine = make_scratch_dir("render")  # cleans first, then makes this process's own
    assert mine.parent == tmp_path and mine.name.startswith(f"facesynth-render-{os.getpid()}-")
    assert not dead.exists() and unrelated.exists() and mine.exists()
    assert clean_stale_scratch(tmp_path) == [] and mine.exists()  # a live owner keeps its own


def test_locks_of_other_hosts_go_stale_by_age(tmp_path: Path) -> None:
    from facesynth.io import locks

    DatasetWriter(tmp_path, RECIPE_A).close()
    lock = tmp_path / "locks" / "far.lock"
    lock.write_text(json.dumps({"pid": 1, "host": "another-host.example", "started": "then"}))
    assert [x.host for x in locks.live_locks(tmp_path)] == ["another-host.example"]
    old = time.time() - locks.STALE_AFTER_S - 60
    os.utime(lock, (old, old))
    assert locks.live_locks(tmp_path) == [] and not lock.exists()


# -- class 9: reader errors name the file and the sample ------------------------------------------

def test_damaged_files_are_reader_errors_naming_file_and_sample(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from facesynth import open_dataset
    from facesynth.cli import main
    from facesynth.io.dataset import DatasetReadError

    writer = DatasetWriter(tmp_path, RECIPE_A)
    paths = [write(writer, i) for i in range(3)]
    png = paths[1].parent / "000001.rgb.png"
    png.write_bytes(png.read_bytes()[:100])
    with pytest.raises(DatasetReadError, match=rf"sample 000001: {png} does not decode"):
        _ = open_dataset(tmp_path)[1].rgb
    for command in (["stats", str(tmp_path), "--out", str(tmp_path / "report")],
                    ["inspect", str(tmp_path), "000001", "--out", str(tmp_path / "i.png")]):
        with pytest.raises(SystemExit) as info:
            main(command)
        err = capsys.readouterr().err
        assert info.value.code == 2 and err.count("\n") == 1 and "sample 000001" in err and "Traceback" not in err
    paths[2].write_text("{not json")
    with pytest.raises(DatasetReadError, match=rf"sample 000002: metadata {paths[2]} cannot be read"):
        _ = open_dataset(tmp_path)[2].meta


def test_a_dataset_of_another_facesynth_version_is_not_resumed_into(tmp_path: Path) -> None:
    """Else resume would mix versions, and verify would report the new samples as foreign forever."""
    write(DatasetWriter(tmp_path, RECIPE_A), 0)
    info_path = tmp_path / "dataset.json"
    info = json.loads(info_path.read_text())
    info_path.write_text(json.dumps({**info, "facesynth_version": "0.0.1"}))
    with pytest.raises(UserError, match=rf"started by facesynth 0\.0\.1 \(meta_version {META_VERSION}\).*--force-new"):
        DatasetWriter(tmp_path, RECIPE_A)
    DatasetWriter(tmp_path, RECIPE_A, force_new=True).close()
    assert json.loads(info_path.read_text())["facesynth_version"] == info["facesynth_version"]
    assert not (tmp_path / "samples").exists()
