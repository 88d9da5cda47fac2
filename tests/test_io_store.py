"""DatasetWriter: layout, metadata filled last, recipe guard, resume (`pending`)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from facesynth.errors import UserError
from facesynth.io import DatasetWriter
from testkit.synthetic import synthetic_sample

RECIPE = "name: t\nseed: 7\nsamples: 4\n"


def write(writer: DatasetWriter, index: int, **kw) -> Path:
    sid, outputs, meta = synthetic_sample(index, width=64, height=48, posmap_size=32, **kw)
    return writer.write_sample(index, sid, outputs, meta)


def test_layout_files_and_metadata(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path / "ds", RECIPE, worker_name="w0")
    json_path = write(writer, 1042)
    root = tmp_path / "ds"
    assert (root / "recipe.yaml").read_text() == RECIPE  # exact text
    info = json.loads((root / "dataset.json").read_text())
    assert info["recipe_sha256"] == hashlib.sha256(RECIPE.encode()).hexdigest()
    assert json_path == root / "samples" / "001" / "001042.json"
    names = sorted(p.name for p in json_path.parent.iterdir())
    assert names == [
        "001042.crop.png", "001042.depth.exr", "001042.json", "001042.mask.png",
        "001042.mesh.ply", "001042.normals.exr", "001042.posmap.exr", "001042.rgb.png",
    ]  # fmt: skip
    meta = json.loads(json_path.read_text())
    assert meta["meta_version"] == 1 and meta["id"] == "001042" and meta["index"] == 1042
    for kind, desc in meta["outputs"].items():
        data = (json_path.parent / desc["file"]).read_bytes()
        assert desc["kind"] == kind and desc["bytes"] == len(data)
        assert desc["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["outputs"]["depth"]["unit"].startswith("mm")
    assert meta["outputs"]["depth"]["shape"] == [48, 64] and meta["outputs"]["depth"]["channels"] == ["Z"]
    assert meta["outputs"]["normals"]["channels"] == ["X", "Y", "Z"]
    assert meta["outputs"]["rgb"]["shape"] == [48, 64, 3] and meta["outputs"]["rgb"]["dtype"] == "uint8"
    # Real readers see the real values.
    _, outputs, _ = synthetic_sample(1042, width=64, height=48, posmap_size=32)
    with OpenEXR.File(str(json_path.parent / "001042.depth.exr"), separate_channels=True) as exr:
        assert np.array_equal(exr.channels()["Z"].pixels, outputs["depth"])
    assert np.array_equal(np.asarray(Image.open(json_path.parent / "001042.rgb.png")), outputs["rgb"])
    # The worker's own index file got one line.
    lines = (root / "index" / "w0.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["001042"]


def test_json_is_written_after_every_other_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from facesynth.io import codecs

    order: list[str] = []
    real = codecs.write_file

    def recording(path, data):  # records the order, then really writes
        order.append(Path(path).name)
        return real(path, data)

    writer = DatasetWriter(tmp_path, RECIPE)
    monkeypatch.setattr(codecs, "write_file", recording)
    write(writer, 0)
    assert order[-1] == "000000.json" and len(order) == 8
    assert sorted(order[:-1]) == sorted(p.name for p in (tmp_path / "samples" / "000").glob("000000.*.*"))


def test_bad_output_writes_nothing(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE)
    sid, outputs, meta = synthetic_sample(2, width=64, height=48, posmap_size=32)
    outputs["depth"] = outputs["depth"].astype(np.float64)
    with pytest.raises(UserError, match=r"sample 000002: output 'depth' must be float32"):
        writer.write_sample(2, sid, outputs, meta)
    assert not (tmp_path / "samples" / "000").exists() or not any((tmp_path / "samples" / "000").iterdir())
    assert writer.pending([2]) == [2]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("rgb", np.zeros((4, 4, 2), np.uint8), "HxWx3|4"),
        ("masks", np.zeros((4, 4), np.uint16), "must be uint8"),
        ("posmap", np.zeros((4, 4), np.float32), "dict of channel"),
        ("mesh", b"solid stl", "not a PLY"),
        ("albedo", np.zeros((4, 4), np.uint8), "unknown output kind 'albedo'"),
    ],
)
def test_wrong_value_types_name_the_sample_and_kind(tmp_path: Path, kind: str, value: object, message: str) -> None:
    writer = DatasetWriter(tmp_path, RECIPE)
    with pytest.raises(UserError, match=message) as err:
        writer.write_sample(0, "000000", {kind: value}, {"meta_version": 1})
    assert "sample 000000" in str(err.value)


def test_metadata_must_match_the_sample(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE)
    sid, outputs, meta = synthetic_sample(3, width=64, height=48, posmap_size=32)
    with pytest.raises(UserError, match="metadata says id='000003'"):
        writer.write_sample(4, sid, outputs, meta)


def test_refuses_a_different_recipe_unless_forced(tmp_path: Path) -> None:
    write(DatasetWriter(tmp_path, RECIPE), 0)
    other = RECIPE.replace("seed: 7", "seed: 8")
    with pytest.raises(UserError) as err:
        DatasetWriter(tmp_path, other)
    message = str(err.value)
    assert str(tmp_path) in message and "\n" not in message
    assert hashlib.sha256(RECIPE.encode()).hexdigest() in message
    assert hashlib.sha256(other.encode()).hexdigest() in message
    # Same recipe again: fine, and the finished sample is kept.
    assert DatasetWriter(tmp_path, RECIPE).pending(range(2)) == [1]
    # force_new starts over with the new recipe and drops the old recipe's samples.
    forced = DatasetWriter(tmp_path, other, force_new=True)
    assert (tmp_path / "recipe.yaml").read_text() == other
    assert forced.pending(range(2)) == [0, 1]


def test_refuses_a_non_empty_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"x")
    with pytest.raises(UserError, match="not a facesynth dataset"):
        DatasetWriter(tmp_path, RECIPE)


def test_an_unusable_directory_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        DatasetWriter(tmp_path / "file", RECIPE)
    with pytest.raises(UserError, match=f"cannot create dataset directory {tmp_path / 'file' / 'sub'}"):
        DatasetWriter(tmp_path / "file" / "sub", RECIPE)


def test_a_parallel_writers_half_written_recipe_is_not_foreign(tmp_path: Path) -> None:
    # Two workers start at once: one is mid-way through writing recipe.yaml (a temp file).
    (tmp_path / ".tmp-k3j2.yaml").write_text(RECIPE[:5])
    DatasetWriter(tmp_path, RECIPE)
    assert (tmp_path / "recipe.yaml").read_text() == RECIPE


def test_pending_finds_missing_and_broken_samples(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE)
    paths = {i: write(writer, i) for i in range(5)}
    assert writer.pending(range(6)) == [5]
    paths[0].write_text("{ not json")  # JSON does not parse
    (paths[1].parent / "000001.mask.png").unlink()  # listed file missing
    with open(paths[2].parent / "000002.depth.exr", "ab") as fh:  # wrong size
        fh.write(b"\0")
    assert writer.pending(range(6)) == [0, 1, 2, 5]
    assert writer.pending([5, 3, 0]) == [5, 0]  # keeps the caller's order
    for i in (0, 1, 2):
        write(writer, i)
    assert writer.pending(range(6)) == [5]


def test_pending_removes_stale_temp_files_only(tmp_path: Path) -> None:
    write(DatasetWriter(tmp_path, RECIPE), 0)
    # another live writer process holds a lock on the directory
    other = subprocess.Popen(["sleep", "60"])
    (tmp_path / "locks" / "other.lock").write_text(
        json.dumps({"pid": other.pid, "host": socket.gethostname(), "started": "now"}))
    try:
        writer = DatasetWriter(tmp_path, RECIPE)
        folder = tmp_path / "samples" / "000"
        stale, fresh = folder / ".tmp-abc.exr", folder / ".tmp-def.png"
        stale.write_bytes(b"half")
        fresh.write_bytes(b"half")
        old = time.time() - 3600
        os.utime(stale, (old, old))
        assert writer.pending([0]) == []
        assert not stale.exists() and fresh.exists()  # a young temp file may be the live writer's
        writer.pending([0], temp_grace_s=0)
        assert not fresh.exists()
    finally:
        other.kill()
        other.wait()
    # with no other live writer, a temp file of any age is a killed run's leftover
    fresh.write_bytes(b"half")
    assert DatasetWriter(tmp_path, RECIPE).pending([0]) == [] and not fresh.exists()


def test_each_worker_appends_to_its_own_index(tmp_path: Path) -> None:
    a = DatasetWriter(tmp_path, RECIPE, worker_name="a")
    b = DatasetWriter(tmp_path, RECIPE, worker_name="b")
    write(a, 0)
    write(b, 1)
    write(a, 2)
    ids = {p.stem: [json.loads(x)["id"] for x in p.read_text().splitlines()] for p in (tmp_path / "index").iterdir()}
    assert ids == {"a": ["000000", "000002"], "b": ["000001"]}
    with pytest.raises(UserError, match="plain file name"):
        DatasetWriter(tmp_path, RECIPE, worker_name="../evil")


def test_same_sample_gives_the_same_bytes(tmp_path: Path) -> None:
    # Byte-determinism: two runs of the same sample can be compared by sha256 alone.
    a = write(DatasetWriter(tmp_path / "a", RECIPE, worker_name="x"), 7)
    b = write(DatasetWriter(tmp_path / "b", RECIPE, worker_name="y"), 7)
    files_a = sorted(p.name for p in a.parent.iterdir())
    assert files_a == sorted(p.name for p in b.parent.iterdir())
    for name in files_a:
        assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes(), name
