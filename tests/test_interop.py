"""Loaders without glue (issue 17 items 1-5, issue 18 item 4) on a real, tiny Cycles render of the
built-in head: Hugging Face datasets, webdataset, pycocotools, the dataset card, verify on an
export, damaged shards, numpy batches."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import facesynth
from facesynth.cli import main
from facesynth.errors import UserError
from facesynth.farm.local import render_dataset
from facesynth.io.export import export_webdataset
from facesynth.io.metafields import expression_weights
from facesynth.io.store import DatasetWriter
from testkit.synthetic import synthetic_sample

pytestmark = pytest.mark.render

REPO = Path(__file__).resolve().parents[1]
# Hugging Face datasets reads local shards only: never reach for the Hub, keep its caches in the checkout.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HOME", str(REPO / ".cache" / "huggingface"))
RECIPE = """name: interop
seed: 5
samples: 3
subjects: {face_model: builtin, count: 2}
expressions: {presets: [neutral, happy, surprise, angry, sad]}
camera: {resolution: 48x64}
head_pose: {yaw_deg: [-60, 60]}
render: {samples: 1, denoise: false, preset: null}
background: {kind: solid}
dense_landmarks: {count: 60}
outputs: [rgb, depth, normals, masks, landmarks, dense_landmarks, posmap]
posmap: {size: 32}
split: {train: 1.0, val: 0.0, test: 0.0}
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("interop")
    (root / "r.yaml").write_text(RECIPE)
    report = render_dataset(root / "r.yaml", root / "ds", progress=False)
    assert report.rendered == [0, 1, 2] and not report.failed
    return root / "ds"


@pytest.fixture(scope="module")
def exported(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards")
    export_webdataset(rendered, out, shard_size=1)  # one sample per shard: HF infers columns from one
    return out


def _run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    cap = capsys.readouterr()
    return int(exc.value.code or 0), cap.out + cap.err


def _hf(exported: Path, tmp_path: Path):
    datasets = pytest.importorskip("datasets")
    files = sorted(str(p) for p in exported.glob("train-*.tar"))
    return datasets.load_dataset("webdataset", data_files={"train": files}, split="train",
                                 cache_dir=str(tmp_path / "hf"))


# -- item 1: schema-stable metadata ---------------------------------------------------------------

def test_hf_datasets_round_trip_keeps_every_expression_weight(rendered: Path, exported: Path, tmp_path: Path) -> None:
    ds = facesynth.open_dataset(rendered)
    weights = [s.expression_weights for s in ds]
    # The samples differ in expression, and later ones drive shapes the first one does not.
    assert len({tuple(w) for w in weights}) >= 2 and not set(weights[0]) >= set(weights[-1])
    hf = _hf(exported, tmp_path)
    assert len(hf) == len(ds)
    for row, sample in zip(hf, ds, strict=True):
        meta = row["json"]
        assert meta["id"] == sample.id and meta["meta_version"] == 2
        assert expression_weights(meta) == sample.expression_weights  # nothing came back as None
        assert meta["dense_landmarks"] == sample.meta["dense_landmarks"]
        assert meta["face_box"] == sample.meta["face_box"] and meta["pupils"] == sample.meta["pupils"]
        assert meta["landmarks_68_2d_contour"] == sample.meta["landmarks_68_2d_contour"]  # both jaw conventions
        assert sample.dense_landmarks.xy.shape == (60, 2) and sample.pupils.xy.shape == (2, 2)


def test_version_1_metadata_still_reads(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path / "v1", "name: t\nseed: 7\nsamples: 2\n")
    for i in (0, 1):
        sid, outputs, meta = synthetic_sample(i, width=32, height=24, kinds=("rgb",))
        writer.write_sample(i, sid, outputs, meta)
    ds = facesynth.open_dataset(tmp_path / "v1")
    assert ds[1].meta["meta_version"] == 1 and ds[1].expression_weights == {"mouthSmile_L": 0.5, "mouthSmile_R": 0.5}
    assert ds[0].expression_weights == {}
    # One dataset, one schema: new samples are not added to a version-1 dataset.
    info = json.loads((tmp_path / "v1" / "dataset.json").read_text())
    (tmp_path / "v1" / "dataset.json").write_text(json.dumps({**info, "meta_version": 1}))
    with pytest.raises(UserError, match="samples of metadata version 1; this facesynth writes version 2"):
        DatasetWriter(tmp_path / "v1", "name: t\nseed: 7\nsamples: 2\n")
    bad = {**ds[0].meta, "meta_version": 9}
    with pytest.raises(UserError, match="meta_version 9 is not one this facesynth reads"):
        expression_weights(bad)


# -- item 2: EXR decoders, snippets that run ---------------------------------------------------

def test_hf_map_decodes_exr_to_float_arrays(rendered: Path, exported: Path, tmp_path: Path) -> None:
    from facesynth.io.decoders import POSMAP_CHANNELS, hf_decode_exr

    hf = _hf(exported, tmp_path).map(hf_decode_exr).with_format("numpy")
    sample = facesynth.open_dataset(rendered)[2]
    row = hf[2]
    assert row["depth"].dtype == np.float32 and np.array_equal(row["depth"], sample.depth)
    assert np.array_equal(row["depth_face"], sample.depth_face)  # no groom here: the same plane
    assert np.array_equal(row["normals"], sample.normals)
    assert np.array_equal(row["posmap"], np.stack([sample.posmap[c] for c in POSMAP_CHANNELS], axis=-1))


def _snippets(markdown: str) -> list[str]:
    """The python blocks of a page that follow a `<!-- runs in an export folder -->` marker, or all
    python blocks of a dataset card."""
    marked = re.findall(r"<!-- runs in an export folder -->\s*```python\n(.*?)```", markdown, re.S)
    return marked or re.findall(r"```python\n(.*?)```", markdown, re.S)


@pytest.mark.parametrize("page", ["card", "docs"])
def test_documented_snippets_run_on_an_export(page: str, rendered: Path, exported: Path, tmp_path: Path) -> None:
    text = (exported / "README.md").read_text() if page == "card" else (REPO / "docs" / "dataset_format.md").read_text()
    blocks = _snippets(text)
    assert len(blocks) >= 2
    check = (
        "import numpy as np, facesynth\n"
        f"ref = facesynth.open_dataset(r'{rendered}')\n"
        "if 'sample' in globals():\n"
        "    assert np.array_equal(sample['depth.exr'], ref.by_id(sample['__key__']).depth)\n"
        "if hasattr(ds, 'features') and 'depth' in ds.column_names:\n"
        "    assert ds[0]['depth'].dtype == np.float32\n"
        "    assert np.array_equal(ds[0]['depth'], ref.by_id(ds[0]['__key__']).depth)\n"
    )
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    # One process for all blocks (imports are slow), each block checked right after it ran.
    code = "\n".join(f"{block}\n{check}" for block in blocks)
    run = subprocess.run([sys.executable, "-c", code], cwd=exported, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, f"{page} snippets failed:\n{code}\n{run.stderr[-2000:]}"


# -- item 3: the card, verify on an export ------------------------------------------------------

def test_card_names_the_shards_and_has_a_hub_header(exported: Path) -> None:
    from huggingface_hub import DatasetCard

    text = (exported / "README.md").read_text()
    assert "train-{000000..000002}.tar" in text and "000009" not in text
    card = DatasetCard(text).data.to_dict()
    assert card["license"] == "other"  # Apache-2.0 head, CC0 HDRIs: both are listed in the card
    assert {"depth-estimation", "keypoint-detection", "image-segmentation"} <= set(card["task_categories"])
    assert card["size_categories"] == ["n<1K"]
    assert card["configs"][0]["data_files"] == [{"split": "train", "path": "train-*.tar"}]


def _flip_byte_in_member(shard: Path, suffix: str) -> None:
    with tarfile.open(shard) as tar:
        member = next(m for m in tar if m.name.endswith(suffix))
    with open(shard, "r+b") as fh:
        fh.seek(member.offset_data + member.size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))


def test_verify_checks_an_export(exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run("verify", str(exported), capsys=capsys)
    assert code == 0 and "3 shards ok, 0 broken" in out
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in exported.iterdir():
        if p.is_file():
            (copy / p.name).write_bytes(p.read_bytes())
    _flip_byte_in_member(copy / "train-000002.tar", ".depth.exr")
    code, out = _run("verify", str(copy), "--quick", capsys=capsys)  # sizes and counts still fine
    assert code == 0
    code, out = _run("verify", str(copy), capsys=capsys)
    assert code == 1 and "broken shard train-000002.tar: sha256 differs" in out
    (copy / "stray-000000.tar").write_bytes((copy / "train-000000.tar").read_bytes())
    code, out = _run("verify", str(copy), capsys=capsys)
    assert code == 1 and "shard stray-000000.tar is not listed" in out
    code, out = _run("verify", str(copy), "--repair", capsys=capsys)
    assert code == 2 and "is an export" in out and "Traceback" not in out


# -- issue 18 item 4: a damaged shard is named --------------------------------------------------

@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_shard_is_named_by_the_reader_and_stats(
    damage: str, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in exported.iterdir():
        if p.is_file():
            (copy / p.name).write_bytes(p.read_bytes())
    shard = copy / "train-000001.tar"
    if damage == "truncate":  # what a cut download leaves: tar sees an early end
        with tarfile.open(shard) as tar:
            cut = [m for m in tar][2].offset
        shard.write_bytes(shard.read_bytes()[:cut])
    else:
        _flip_byte_in_member(shard, ".rgb.png")
    with pytest.raises(UserError, match=r"shard .*train-000001.tar is damaged"):
        facesynth.open_dataset(copy)
    if damage == "truncate":  # the quick check (sizes and tar index) still sees a cut shard ...
        with pytest.raises(UserError, match=r"shard .*train-000001.tar is damaged"):
            facesynth.open_dataset(copy, check_shards="size")
    else:  # ... but not a flipped byte: that is what it skips
        assert len(facesynth.open_dataset(copy, check_shards="size")) == 3
    with pytest.raises(UserError, match=r"check_shards must be 'sha256' or 'size', got 'fast'"):
        facesynth.open_dataset(copy, check_shards="fast")
    with pytest.raises(UserError, match=r"train-000001.tar is damaged"):
        facesynth.open_dataset(shard)
    code, out = _run("stats", str(copy), "--out", str(tmp_path / "report"), capsys=capsys)
    assert code == 2 and "train-000001.tar is damaged" in out and "Traceback" not in out
    assert len(facesynth.open_dataset(copy / "train-000000.tar")) == 1  # the sound shards still read
    shard.unlink()  # a lost shard: the export as a whole is incomplete, its other shards still read
    with pytest.raises(UserError, match=r"shard .*train-000001.tar listed in dataset_info.json is missing"):
        facesynth.open_dataset(copy)
    assert len(facesynth.open_dataset(copy / "train-000002.tar")) == 1


# -- item 4: COCO -------------------------------------------------------------------------------

def test_coco_export_reads_with_pycocotools(rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pycocotools.coco import COCO

    code, out = _run("export", str(rendered), "--out", str(tmp_path / "coco"), "--format", "coco", capsys=capsys)
    assert code == 0, out
    coco = COCO(str(tmp_path / "coco" / "annotations" / "face_keypoints_train.json"))
    assert coco.loadCats(1)[0]["name"] == "face" and len(coco.loadCats(1)[0]["keypoints"]) == 68
    codes: set[int] = set()
    for sample in facesynth.open_dataset(rendered):
        image = coco.loadImgs(sample.index + 1)[0]
        assert (tmp_path / "coco" / "images" / image["file_name"]).read_bytes() == sample.read("rgb")
        (ann,) = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        kps = np.array(ann["keypoints"], dtype=np.float64).reshape(68, 3)
        lm = sample.landmarks
        inside = kps[:, 2] > 0
        np.testing.assert_allclose(kps[inside, :2], lm.xy[inside] + 0.5, atol=1e-3)  # COCO: corner origin
        assert np.array_equal(kps[:, 2] == 2, lm.visible)
        codes |= set(kps[:, 2].astype(int).tolist())
        x0, y0, x1, y1 = sample.meta["face_box"]["from_visible_face_area"]
        assert ann["bbox"] == pytest.approx([x0 + 0.5, y0 + 0.5, x1 - x0, y1 - y0])
        region = coco.annToMask(ann)  # the box as a polygon: what COCO tools need as a segmentation
        assert region.shape == (image["height"], image["width"]) and abs(region.sum() - ann["area"]) < 0.2 * ann["area"]
    assert codes == {1, 2}  # turned heads hide the far jaw line: occluded points are kept as v=1

    # The 70-point convention: the 68 plus both pupil centres.
    code, out = _run("export", str(rendered), "--out", str(tmp_path / "c70"), "--format", "coco", "--keypoints", "70",
                     capsys=capsys)
    coco70 = COCO(str(tmp_path / "c70" / "annotations" / "face_keypoints_train.json"))
    assert code == 0 and coco70.loadCats(1)[0]["keypoints"][68:] == ["right_pupil", "left_pupil"]
    sample = facesynth.open_dataset(rendered)[1]
    (ann,) = coco70.loadAnns(coco70.getAnnIds(imgIds=[sample.index + 1]))
    kps = np.array(ann["keypoints"]).reshape(70, 3)
    np.testing.assert_allclose(kps[68:, :2], sample.pupils.xy + 0.5, atol=1e-3)
    assert (kps[68:, 2] == np.where(sample.pupils.visible, 2, 1)).all()
    for bad in (["--format", "coco", "--keypoints", "69"], ["--keypoints", "70"]):
        code, out = _run("export", str(rendered), "--out", str(tmp_path / "bad"), *bad, capsys=capsys)
        assert code == 2 and "--keypoints" in out and "Traceback" not in out


# -- item 5: numpy batches ----------------------------------------------------------------------

def test_iter_batches_are_numpy_only(rendered: Path) -> None:
    ds = facesynth.open_dataset(rendered)
    batches = list(ds.iter_batches(2, kinds=["rgb", "depth", "masks"]))
    assert [len(b["id"]) for b in batches] == [2, 1]
    first = batches[0]
    assert first["rgb"].shape == (2, 64, 48, 3) and first["depth"].dtype == np.float32
    assert first["landmarks_2d"].shape == (2, 68, 2) and np.array_equal(first["depth"][1], ds[1].depth)
    assert len(list(ds.iter_batches(2, drop_last=True))) == 1
    with pytest.raises(UserError, match="batch_size"):
        next(ds.iter_batches(0))
    code = ("import sys, facesynth; ds = facesynth.open_dataset(sys.argv[1]); next(ds.iter_batches(2)); "
            "assert 'torch' not in sys.modules and 'bpy' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code, str(rendered)], timeout=120).returncode == 0
