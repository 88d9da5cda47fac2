"""Reader and WebDataset export: write -> export -> read gives the same bytes and metadata."""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import webdataset as wds

from facesynth.errors import UserError
from facesynth.io import DatasetWriter, open_dataset
from facesynth.io.export import export_webdataset
from testkit.synthetic import synthetic_sample

RECIPE = "name: t\nseed: 7\nsamples: 12\n"
COUNT = 12


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ds")
    writer = DatasetWriter(root, RECIPE)
    for i in range(COUNT):
        sid, outputs, meta = synthetic_sample(i, width=64, height=48, posmap_size=32)
        if i == 5:
            outputs["rgb"] = np.dstack([outputs["rgb"], np.full(outputs["rgb"].shape[:2], 200, np.uint8)])
        writer.write_sample(i, sid, outputs, meta)
    return root


@pytest.fixture(scope="module")
def exported(dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("shards")
    return out, export_webdataset(dataset_dir, out, shard_size=3)


def test_reader_decodes_every_output(dataset_dir: Path) -> None:
    ds = open_dataset(dataset_dir)
    assert len(ds) == COUNT and [s.index for s in ds] == list(range(COUNT))
    sample = ds[3]
    _, outputs, meta = synthetic_sample(3, width=64, height=48, posmap_size=32)
    assert sample.rgb.dtype == np.uint8 and np.array_equal(sample.rgb, outputs["rgb"])
    assert sample.depth.dtype == np.float32 and np.array_equal(sample.depth, outputs["depth"])
    assert np.array_equal(sample.normals, outputs["normals"])
    assert np.array_equal(sample.masks, outputs["masks"])
    assert sample.posmap.keys() == outputs["posmap"].keys()
    assert all(np.array_equal(sample.posmap[k], v) for k, v in outputs["posmap"].items())
    assert sample.mesh == outputs["mesh"]
    assert np.array_equal(sample.landmarks.xy, meta["landmarks_68"]["2d"])
    assert sample.landmarks.xyz.shape == (68, 3) and sample.landmarks.visible.dtype == bool
    assert sample.files["depth"] == dataset_dir / "samples" / "000" / "000003.depth.exr"
    assert ds[-1].id == "000011" and ds[5].rgb.shape == (48, 64, 3)  # RGBA file, RGB view
    with pytest.raises(IndexError):
        ds[COUNT]


def test_missing_kind_is_a_clear_error(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, RECIPE)
    sid, outputs, meta = synthetic_sample(0, width=64, height=48, kinds=("rgb",))
    writer.write_sample(0, sid, outputs, meta)
    with pytest.raises(UserError, match="sample 000000 has no 'depth' output"):
        _ = open_dataset(tmp_path)[0].depth


def test_filter_agrees_with_metadata(dataset_dir: Path) -> None:
    ds = open_dataset(dataset_dir)
    metas = [s.meta for s in ds]
    for split in ("train", "val", "test"):
        assert ds.filter(split=split).ids == [m["id"] for m in metas if m["split"] == split]
    happy = ds.filter(expression="happy", split="train")
    assert happy.ids == [
        m["id"] for m in metas if m["face_model"]["expression_name"] == "happy" and m["split"] == "train"
    ]
    frontal = ds.filter(yaw_deg=(-20, 20))
    assert frontal.ids == [m["id"] for m in metas if -20 <= m["head_pose"]["yaw_deg"] <= 20]
    assert 0 < len(frontal) < COUNT
    assert ds.filter(subject=[0, 2]).ids == [m["id"] for m in metas if m["subject_id"] in (0, 2)]


def test_iter_arrays_gives_plain_numpy(dataset_dir: Path) -> None:
    items = list(open_dataset(dataset_dir).iter_arrays(kinds=["rgb", "depth"]))
    assert len(items) == COUNT
    first = items[0]
    assert set(first) == {"id", "index", "meta", "rgb", "depth", "landmarks_2d", "landmarks_3d", "landmarks_visible"}
    assert isinstance(first["depth"], np.ndarray) and first["landmarks_2d"].shape == (68, 2)


def test_webdataset_round_trip_is_byte_identical(dataset_dir: Path, exported: tuple[Path, dict]) -> None:
    out, _ = exported
    source = open_dataset(dataset_dir)
    seen = {}
    for shard in sorted(out.glob("*.tar")):
        for item in wds.WebDataset(str(shard), shardshuffle=False):  # the real webdataset reader
            seen[item["__key__"]] = item
    assert sorted(seen) == source.ids
    for sample in source:
        item = seen[sample.id]
        assert json.loads(item["json"]) == sample.meta
        for kind, desc in sample.meta["outputs"].items():
            field = desc["file"][len(sample.id) + 1 :]
            assert item[field] == (dataset_dir / "samples" / "000" / desc["file"]).read_bytes(), kind


def test_open_dataset_on_shards_equals_the_directory(dataset_dir: Path, exported: tuple[Path, dict]) -> None:
    out, _ = exported
    a, b = open_dataset(dataset_dir), open_dataset(out)
    assert b.source_kind == "shards" and b.recipe_text == RECIPE
    assert a.ids == b.ids
    for x, y in zip(a, b, strict=True):
        assert x.meta == y.meta
        assert np.array_equal(x.depth, y.depth) and np.array_equal(x.rgb, y.rgb)
        assert y.files["rgb"] == x.files["rgb"].read_bytes()
    assert b.filter(split="val").ids == a.filter(split="val").ids


def test_shards_layout_info_and_reproducibility(dataset_dir: Path, exported: tuple[Path, dict], tmp_path: Path) -> None:
    out, info = exported
    splits = Counter(s.meta["split"] for s in open_dataset(dataset_dir))
    assert info["splits"] == dict(sorted(splits.items()))
    for shard in info["shards"]:
        data = (out / shard["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == shard["sha256"] and len(data) == shard["bytes"]
        assert shard["name"].startswith(shard["split"] + "-") and shard["samples"] <= 3
        with tarfile.open(out / shard["name"]) as tar:
            for m in tar.getmembers():
                assert "/" not in m.name and m.mtime == 0 and m.uid == 0 and m.mode == 0o644
    assert sum(s["samples"] for s in info["shards"]) == COUNT
    assert json.loads((out / "dataset_info.json").read_text()) == info
    assert info["recipe"]["sha256"] == hashlib.sha256(RECIPE.encode()).hexdigest()
    ict = [lic for lic in info["licences"] if lic["asset"].startswith("ICT-FaceKit")]
    assert ict and ict[0]["licence"] == "MIT" and "USC Institute for Creative Technologies" in ict[0]["attribution"]
    card = (out / "README.md").read_text()
    assert "ICT-FaceKit" in card and "MIT" in card and info["recipe"]["sha256"] in card
    # A second export of the same dataset is byte-identical.
    again = export_webdataset(dataset_dir, tmp_path / "again", shard_size=3)
    assert [s["sha256"] for s in again["shards"]] == [s["sha256"] for s in info["shards"]]


def test_export_refuses_a_corrupt_sample_and_bad_options(dataset_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="shard-size must be at least 1"):
        export_webdataset(dataset_dir, tmp_path / "x", shard_size=0)
    with pytest.raises(UserError, match="format 'tfrecord' is not supported"):
        export_webdataset(dataset_dir, tmp_path / "x", shard_size=2, format="tfrecord")
    copy = tmp_path / "copy"
    writer = DatasetWriter(copy, RECIPE)
    sid, outputs, meta = synthetic_sample(0, width=64, height=48, posmap_size=32)
    writer.write_sample(0, sid, outputs, meta)
    path = copy / "samples" / "000" / "000000.crop.png"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"sample 000000: 000000.crop.png does not match its sha256"):
        export_webdataset(copy, tmp_path / "y", shard_size=2)


def test_stats_read_the_exported_shards_too(exported: tuple[Path, dict], tmp_path: Path) -> None:
    from facesynth.io.stats import write_report

    out, info = exported
    summary = write_report(out, tmp_path / "report")
    assert summary["samples"] == info["samples"] and summary["splits"] == info["splits"]
    totals: Counter[str] = Counter()
    for per_split in info["expressions"].values():
        totals.update(per_split)
    assert summary["expressions"] == dict(sorted(totals.items()))


def test_licences_cover_user_assets() -> None:
    from facesynth.io.licences import collect_licences

    metas = [
        {"face_model": {"name": "builtin"}, "environment": {"source": "builtin:city"}},
        {"face_model": {"name": "/data/me.fbx", "licence": "CC-BY-4.0", "attribution": "A. Artist"},
         "environment": {"source": "/hdri/loft.exr"}, "background": {"kind": "image", "source": "bg/wall.jpg"},
         "licences": [{"asset": "loft.exr", "licence": "CC0-1.0", "attribution": "Poly Haven"}]},
    ]  # fmt: skip
    got = {lic["asset"]: lic["licence"] for lic in collect_licences(metas)}
    assert got == {
        "facesynth built-in parametric head": "Apache-2.0",
        "Blender bundled studio-light world HDRIs": "CC0-1.0",
        "/data/me.fbx": "CC-BY-4.0",
        "loft.exr": "CC0-1.0",
        "/hdri/loft.exr": "unknown: user-supplied environment",
        "bg/wall.jpg": "unknown: user-supplied background",
    }


def test_export_refuses_a_metadata_file_name_outside_the_layout(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    writer = DatasetWriter(root, RECIPE)
    sid, outputs, meta = synthetic_sample(0, width=64, height=48, kinds=("rgb",))
    json_path = writer.write_sample(0, sid, outputs, meta)
    tampered = json.loads(json_path.read_text())
    tampered["outputs"]["rgb"]["file"] = "../../etc/passwd"
    json_path.write_text(json.dumps(tampered))
    with pytest.raises(UserError, match=r"sample 000000: output 'rgb' names file '../../etc/passwd'"):
        export_webdataset(root, tmp_path / "out", shard_size=2)


def test_listing_from_the_index_equals_listing_from_the_json_files(dataset_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset_dir, copy)
    with_index = open_dataset(copy)
    lines = (copy / "index").glob("*.jsonl")
    assert all("kinds" in json.loads(x) for p in lines for x in p.read_text().splitlines())
    shutil.rmtree(copy / "index")  # as after a kill between a JSON and its index line
    without = open_dataset(copy)
    assert with_index.ids == without.ids
    assert [s.kinds for s in with_index] == [s.kinds for s in without]
    assert [s.index for s in with_index] == [s.index for s in without]


def test_shards_are_exactly_what_tarfile_writes(exported: tuple[Path, dict]) -> None:
    # The exporter writes whole members itself (speed); Python's tarfile, given the same members
    # and headers, must produce the very same bytes.
    import io

    out, info = exported
    for shard in info["shards"]:
        path = out / shard["name"]
        reference = io.BytesIO()
        with tarfile.open(path) as src, tarfile.open(fileobj=reference, mode="w", format=tarfile.USTAR_FORMAT) as dst:
            for member in src.getmembers():
                data = src.extractfile(member).read()
                info_ = tarfile.TarInfo(member.name)
                info_.size, info_.mtime, info_.mode, info_.uid, info_.gid = len(data), 0, 0o644, 0, 0
                info_.uname = info_.gname = ""
                dst.addfile(info_, io.BytesIO(data))
        assert reference.getvalue() == path.read_bytes()
