"""End to end: `facesynth render` with real Cycles renders of the real ICT head.

Covers the promises that need the whole pipeline: every shipped recipe renders; resume renders
only what is missing; SIGKILL at random moments never leaves half a sample; Ctrl-C stops cleanly;
export -> WebDataset -> reader returns the very bytes and metadata that were rendered.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from facesynth.cli import main
from facesynth.farm.local import render_dataset
from facesynth.io import open_dataset
from facesynth.io.export import export_webdataset
from facesynth.io.verify import verify
from testkit.crashdrill import count_samples, kill_and_resume

pytestmark = [pytest.mark.render, pytest.mark.ict]

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))
TINY = ("camera.resolution=96x128", "render.samples=4", "render.preset=null", "render.denoise=false")
FILE_OF = {"rgb": "rgb.png", "depth": "depth.exr", "normals": "normals.exr", "masks": "mask.png",
           "posmap": "posmap.exr", "mesh": "mesh.ply"}

SMALL_ICT = """# test recipe: ICT head, every file kind
name: small_ict
seed: 3
samples: {samples}
subjects: {{face_model: ict-facekit, count: 3}}
camera: {{resolution: 96x128}}
render: {{samples: 4, denoise: false}}
background: {{kind: solid}}
outputs: [rgb, depth, normals, masks, landmarks, posmap, mesh]
"""


def _recipe(tmp_path: Path, samples: int) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_ICT.format(samples=samples))
    return path


def _cli() -> list[str]:
    return [sys.executable, "-m", "facesynth.cli"]


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_every_recipe_renders_two_samples(recipe: Path, tmp_path: Path, ict_pack) -> None:
    report = render_dataset(recipe, tmp_path / "ds", limit=2, progress=False, overrides=TINY)
    assert report.rendered == [0, 1] and not report.failed
    ds = open_dataset(tmp_path / "ds")
    assert len(ds) == 2
    wanted = set(ds[0].meta["outputs"])
    from facesynth.recipe import load_recipe

    outputs = load_recipe(recipe).recipe.outputs
    for kind in outputs:
        if kind in FILE_OF:
            assert kind in wanted, f"{recipe.name}: output {kind} missing"
    for sample in ds:
        assert sample.rgb.shape == (128, 96, 3)
        if "depth" in outputs:
            face = sample.depth[sample.depth > 0]
            assert face.size > 100, "the head is in the picture"


def test_resume_renders_only_missing_or_broken(tmp_path: Path, ict_pack) -> None:
    recipe, out = _recipe(tmp_path, 3), tmp_path / "ds"
    first = render_dataset(recipe, out, progress=False)
    assert first.rendered == [0, 1, 2]
    json_1 = next(out.glob("samples/*/000001.json"))
    depth_2 = next(out.glob("samples/*/000002.depth.exr"))
    json_1.unlink()                      # sample 1 gone
    depth_2.write_bytes(depth_2.read_bytes()[:100])  # sample 2 truncated
    again = render_dataset(recipe, out, progress=False)
    assert again.rendered == [1, 2] and again.already_done == 1
    assert verify(out).ok == ["000000", "000001", "000002"]


def test_other_recipe_into_same_directory_is_refused(tmp_path: Path, ict_pack, capsys) -> None:
    out = tmp_path / "ds"
    render_dataset(_recipe(tmp_path, 1), out, progress=False)
    other = tmp_path / "other.yaml"
    other.write_text(SMALL_ICT.format(samples=2))
    with pytest.raises(SystemExit) as info:
        main(["render", str(other), "--out", str(out), "-q"])
    assert info.value.code == 2
    assert "holds a dataset of another recipe" in capsys.readouterr().err


def test_missing_face_pack_leaves_no_dataset_behind(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FACESYNTH_HOME", str(tmp_path / "empty-home"))
    with pytest.raises(SystemExit) as info:
        main(["render", str(_recipe(tmp_path, 1)), "--out", str(tmp_path / "ds"), "-q"])
    assert info.value.code == 2
    assert "face pack 'ict-facekit' is not built yet" in capsys.readouterr().err
    assert not (tmp_path / "ds").exists()


def test_sigkill_at_random_moments_then_resume(tmp_path: Path, ict_pack) -> None:
    recipe, out = _recipe(tmp_path, 6), tmp_path / "ds"
    cmd = [*_cli(), "render", str(recipe), "--out", str(out), "-q"]
    result = kill_and_resume(cmd, out, kills=3, step=(1, 2), jitter_s=0.8, seed=7, timeout_s=240)
    assert result.kills >= 2
    assert result.final is not None
    assert result.final.ok == [f"{i:06d}" for i in range(6)]
    assert not result.final.corrupt and not result.final.missing and not result.final.duplicates
    assert count_samples(out) == 6


def test_ctrl_c_stops_after_the_current_sample(tmp_path: Path, ict_pack) -> None:
    recipe, out = _recipe(tmp_path, 8), tmp_path / "ds"
    proc = subprocess.Popen([*_cli(), "render", str(recipe), "--out", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while count_samples(out) < 1 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    report = verify(out)
    assert not report.corrupt and 1 <= len(report.ok) < 8


def test_export_round_trip_is_byte_identical(tmp_path: Path, ict_pack) -> None:
    import webdataset as wds

    out, shards = tmp_path / "ds", tmp_path / "shards"
    render_dataset(_recipe(tmp_path, 4), out, progress=False)
    info = export_webdataset(out, shards, shard_size=2)
    assert info["samples"] == 4 and sum(info["splits"].values()) == 4
    assert sum(s["samples"] for s in info["shards"]) == 4 and max(s["samples"] for s in info["shards"]) <= 2
    source = {s.meta["id"]: s for s in open_dataset(out)}

    tars = sorted(shards.glob("*.tar"))
    assert tars
    seen = {}
    for record in wds.WebDataset([str(t) for t in tars], shardshuffle=False):
        seen[record["__key__"]] = record
    assert set(seen) == set(source)
    for key, record in seen.items():
        meta = json.loads(record["json"])
        assert meta == source[key].meta
        for desc in meta["outputs"].values():
            ext = desc["file"].split(".", 1)[1]
            on_disk = (out / "samples" / "000" / desc["file"]).read_bytes()
            assert record[ext] == on_disk, f"{key}.{ext} differs after export"

    reread = {s.meta["id"]: s for s in open_dataset(shards)}
    assert set(reread) == set(source)
    for key, sample in reread.items():
        assert sample.meta == source[key].meta
        assert (sample.depth == source[key].depth).all()
    for tar in tars:
        with tarfile.open(tar) as tf:
            for member in tf.getmembers():
                assert not member.name.startswith(("/", "..")) and "/" not in member.name
                assert io.BytesIO(tf.extractfile(member).read())


MASKS_RECIPE = """# test recipe: labels of a near-frontal head
name: masks_{model}
seed: 5
samples: 3
subjects: {{face_model: {model}, count: 3}}
camera: {{resolution: 96x128, distance_mm: [700, 1000]}}
head_pose: {{yaw_deg: [-20, 20], pitch_deg: [-10, 10], roll_deg: [-5, 5]}}
render: {{samples: 4, denoise: false}}
background: {{kind: noise}}
outputs: [rgb, depth, masks, landmarks]
"""


@pytest.mark.parametrize("model", ["builtin", "ict-facekit"])
def test_depth_exr_and_masks_of_real_renders(model: str, tmp_path: Path, ict_pack) -> None:
    import numpy as np
    import OpenEXR

    from facesynth.assets import regions

    recipe = tmp_path / "masks.yaml"
    recipe.write_text(MASKS_RECIPE.format(model=model))
    render_dataset(recipe, tmp_path / "ds", progress=False)
    for sample in open_dataset(tmp_path / "ds"):
        exr = OpenEXR.File(str(next((tmp_path / "ds").glob(f"samples/*/{sample.id}.depth.exr"))))
        channels = exr.channels()
        assert list(channels) == ["Z"] and channels["Z"].pixels.dtype == np.float32
        depth, mask, rgb = channels["Z"].pixels, sample.masks, sample.rgb
        assert (depth == sample.depth).all()
        face = mask == regions.SKIN
        assert face.sum() > 200
        # distance_mm is camera centre to head pivot: the face surface lies within 150 mm of it
        d = sample.meta["camera"]["distance_mm"]
        assert 700 <= d <= 1000
        assert np.all(np.abs(depth[face] - d) < 150) and np.all(depth[mask == 0] == 0)
        # RGB differs between face and background
        assert np.abs(rgb[face].mean(axis=0) - rgb[mask == 0].mean(axis=0)).max() > 10
        # both eyes are labelled, inside the face's box
        eyes = np.isin(mask, [regions.SCLERA, regions.IRIS])
        ys, xs = np.nonzero(eyes)
        fy, fx = np.nonzero(face)
        assert eyes.sum() >= 6
        assert fx.min() < xs.min() and xs.max() < fx.max() and fy.min() < ys.min() and ys.max() < fy.max()
        left, right = xs < np.median(fx), xs >= np.median(fx)
        assert left.any() and right.any(), "one eye on each side of the face"


def test_same_recipe_gives_identical_files_whatever_the_sharding(tmp_path: Path, ict_pack) -> None:
    """Design promise: labels and metadata are byte-identical on any sharding (and Cycles with a
    fixed seed on this machine gives identical pixels, so every file matches)."""
    recipe = _recipe(tmp_path, 4)
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    render_dataset(recipe, whole, progress=False)
    for k in range(2):
        render_dataset(recipe, sharded, shard_index=k, shard_count=2, progress=False)
    files = sorted(p.relative_to(whole) for p in (whole / "samples").rglob("*") if p.is_file())
    assert len(files) == 4 * 8  # 7 kinds (rgb, depth, normals, masks, posmap, crop, mesh) + json
    for rel in files:
        assert (whole / rel).read_bytes() == (sharded / rel).read_bytes(), f"{rel} differs"
    assert len(list((sharded / "index").glob("*.jsonl"))) == 2, "one index file per shard process"
    # the samples switch Cycles' light tree both ways and change lamp kinds under a tree-off
    # render: the case where a worker's history would leak into the pixels (RenderSession)
    tree_used = [s.meta["render"]["light_tree_used"] for s in open_dataset(whole)]
    assert True in tree_used and tree_used.count(False) >= 2
