"""verify(): finds every kind of damage, repair deletes it, a resume completes the dataset."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from facesynth.errors import UserError
from facesynth.io import DatasetWriter, verify
from testkit.synthetic import synthetic_sample

RECIPE = "name: t\nseed: 7\nsamples: 5\n"
FILES = ["rgb.png", "depth.exr", "normals.exr", "mask.png", "posmap.exr", "crop.png", "mesh.ply"]


def build(root: Path, count: int = 5, recipe: str = RECIPE) -> DatasetWriter:
    writer = DatasetWriter(root, recipe)
    for i in writer.pending(range(count)):
        sid, outputs, meta = synthetic_sample(i, width=64, height=48, posmap_size=32)
        writer.write_sample(i, sid, outputs, meta)
    return writer


def test_a_sound_dataset_passes(tmp_path: Path) -> None:
    build(tmp_path)
    report = verify(tmp_path)
    assert report.passed and report.ok == [f"{i:06d}" for i in range(5)] and report.expected == 5


@pytest.mark.parametrize("suffix", [*FILES, "json"])
def test_a_flipped_byte_in_any_file_is_found(tmp_path: Path, suffix: str) -> None:
    build(tmp_path)
    path = tmp_path / "samples" / "000" / f"000002.{suffix}"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify(tmp_path)
    assert list(report.corrupt) == ["000002"] and not report.passed
    if suffix != "json":
        assert f"000002.{suffix}" in report.corrupt["000002"]


def test_a_changed_digit_in_the_metadata_is_found(tmp_path: Path) -> None:
    # Still valid JSON with every key: only the writer's sha256 in index/ reveals the change.
    build(tmp_path)
    path = tmp_path / "samples" / "000" / "000002.json"
    text = path.read_text()
    at = text.index('"yaw_deg":') + len('"yaw_deg":')
    at += not text[at].isdigit()  # skip a minus sign
    changed = text[:at] + ("7" if text[at] != "7" else "8") + text[at + 1 :]
    assert json.loads(changed)["head_pose"]["yaw_deg"] != json.loads(text)["head_pose"]["yaw_deg"]
    path.write_text(changed)
    assert "differs from its sha256 in index/" in verify(tmp_path).corrupt["000002"]


def test_a_deleted_file_and_a_truncated_exr_are_found(tmp_path: Path) -> None:
    build(tmp_path)
    folder = tmp_path / "samples" / "000"
    (folder / "000001.normals.exr").unlink()
    exr = folder / "000003.posmap.exr"
    exr.write_bytes(exr.read_bytes()[:-200])
    report = verify(tmp_path)
    assert report.corrupt == {
        "000001": "000001.normals.exr is missing",
        "000003": f"000003.posmap.exr has {exr.stat().st_size} bytes, metadata says {exr.stat().st_size + 200}",
    }


@pytest.mark.parametrize(("kind", "suffix"), [("depth", "depth.exr"), ("mesh", "mesh.ply"), ("rgb", "rgb.png")])
def test_a_truncated_file_with_matching_metadata_fails_to_decode(tmp_path: Path, kind: str, suffix: str) -> None:
    # Metadata rewritten to agree with a cut file: only decoding can tell it is broken.
    build(tmp_path)
    folder = tmp_path / "samples" / "000"
    path = folder / f"000004.{suffix}"
    path.write_bytes(path.read_bytes()[:-100])
    meta = json.loads((folder / "000004.json").read_text())
    meta["outputs"][kind].update(bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    (folder / "000004.json").write_text(json.dumps(meta))
    (tmp_path / "index").rename(tmp_path / "index-old")  # the JSON changed on purpose
    report = verify(tmp_path)
    assert list(report.corrupt) == ["000004"]
    assert report.corrupt["000004"].startswith(f"000004.{suffix} does not decode")


def test_schema_problems_missing_samples_duplicates_and_strays(tmp_path: Path) -> None:
    build(tmp_path, count=4)
    folder = tmp_path / "samples" / "000"
    meta = json.loads((folder / "000000.json").read_text())
    del meta["camera"]
    (folder / "000000.json").write_text(json.dumps(meta))
    # A second JSON claiming index 1 under another id.
    dup = json.loads((folder / "000001.json").read_text())
    dup["id"] = "dup001"
    for desc in dup["outputs"].values():
        new = "dup001" + desc["file"][len("000001") :]
        (folder / new).write_bytes((folder / desc["file"]).read_bytes())
        desc["file"] = new
    (folder / "dup001.json").write_text(json.dumps(dup))
    (folder / ".tmp-x1y2.png").write_bytes(b"partial")
    (folder / "000009.rgb.png").write_bytes(b"orphan")
    report = verify(tmp_path)
    assert report.corrupt == {"000000": "metadata lacks camera"}
    assert report.missing == [4]  # recipe says 5; index 0 is corrupt, not missing
    assert report.duplicates == {"index 1": ["samples/000/000001.json", "samples/000/dup001.json"]}
    assert [p.name for p in report.stray_temp] == [".tmp-x1y2.png"]
    assert [p.name for p in report.orphans] == ["000009.rgb.png"]


def test_repair_then_resume_completes_the_dataset(tmp_path: Path) -> None:
    build(tmp_path)
    folder = tmp_path / "samples" / "000"
    (folder / "000001.mask.png").write_bytes(b"garbage")
    (folder / "000003.json").write_text("{")
    (folder / ".tmp-zz.exr").write_bytes(b"")
    report = verify(tmp_path, repair=True)
    assert sorted(report.repaired) == ["000001", "000003"]
    assert not list(folder.glob("000001.*")) and not list(folder.glob("000003.*"))
    assert not (folder / ".tmp-zz.exr").exists()
    after = verify(tmp_path)
    assert not after.corrupt and after.missing == [1, 3] and not after.passed
    writer = build(tmp_path)  # the resume: pending() re-renders exactly the deleted ones
    assert writer.pending(range(5)) == []
    assert verify(tmp_path).passed


def test_not_a_dataset_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=str(tmp_path)):
        verify(tmp_path)
