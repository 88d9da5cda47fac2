"""Grooming in real Cycles renders: Blender draws the strands where the labels say, the scene
does not grow over a loop of subjects, and `facesynth render` writes depth with a face-only
plane, groom mask classes and groom metadata."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from facesynth.assets import load_pack
from facesynth.assets import regions as R
from facesynth.farm.local import render_dataset
from facesynth.geometry.groom import posed_groom
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.pose import pose_sample
from facesynth.io import open_dataset
from facesynth.io.verify import verify
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling.groom import GroomSpec
from facesynth.sampling.spec import BackgroundSpec

pytestmark = pytest.mark.render
pytest.importorskip("bpy")
# Hugging Face datasets reads local shards only: never the Hub; caches stay in the checkout.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HOME", str(Path(__file__).resolve().parents[1] / ".cache" / "huggingface"))


def _groom(style: str, seed: int, **kw) -> GroomSpec:
    base = dict(hair_style=style, hair_density=0.5, hair_length=1.0, hair_clump=0.4, hair_curl=0.1,
                hair_frizz=0.1, melanin=0.9, redness=0.1, grey=0.0, part_side=1, brow_density=0.8,
                brow_thickness_mm=9.0, eyelashes=True, beard_style=None, glasses_shape=None, glasses_sun=False,
                glasses_color=(0.1, 0.1, 0.1), headwear=None, headwear_color=(0.2, 0.0, 0.0), geometry_seed=seed)
    return GroomSpec(**{**base, **kw})


@pytest.fixture(scope="module")
def pack():
    return load_pack("builtin")


@pytest.fixture(scope="module")
def session(pack):
    from facesynth.render import RenderSession

    with RenderSession(pack, threads=2) as s:
        yield s


def _spec(groom: GroomSpec | None, index: int = 0):
    spec = quick_spec(width=72, height=96, samples=4, lights=(KEY_LIGHT,), distance_mm=700.0,
                      background=BackgroundSpec(kind="transparent"), index=index)
    return spec.model_copy(update={"subject": spec.subject.model_copy(update={"groom": groom})})


def _render(session, pack, spec):
    v = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    posed = pose_sample(spec, pack)
    groom = posed_groom(spec, pack, v)
    labels = compute_labels(spec, pack, v, posed, groom=groom)
    return session.render(spec, v, posed, groom=groom).rgb, labels


def test_blender_draws_the_labelled_strands_and_hides_them_again(session, pack) -> None:
    bare_rgb, bare = _render(session, pack, _spec(None))
    rgb, labels = _render(session, pack, _spec(_groom("long", 1, beard_style="full")))
    counts_before = session.datablock_counts()
    # hair pixels outside the bare head: only the strands can cover them
    head = np.pad(bare.mask > 0, 1)
    near_head = np.zeros_like(bare.mask, bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            near_head |= head[dy:dy + bare.mask.shape[0], dx:dx + bare.mask.shape[1]]
    hair_only = np.isin(labels.mask, [R.HAIR, R.BEARD]) & ~near_head
    assert hair_only.sum() > 30
    assert (rgb[..., 3][hair_only] > 50).mean() > 0.8, "Blender shows strands where labels have them"
    assert (bare_rgb[..., 3][hair_only] == 0).all()
    # the brows darken the skin where the labels put them
    brows = np.isin(labels.mask, [R.BROW_LEFT, R.BROW_RIGHT]) & (bare.mask == R.SKIN)
    assert brows.sum() >= 4
    assert rgb[..., :3][brows].mean() < bare_rgb[..., :3][brows].mean() - 10
    # another subject, then the bare head: no new data-blocks, strands hidden again
    _render(session, pack, _spec(_groom("short", 2, glasses_shape="round", headwear="beanie"), index=1))
    after_rgb, _ = _render(session, pack, _spec(None, index=0))
    _render(session, pack, _spec(_groom("medium", 3, beard_style="stubble", glasses_shape="aviator"), index=2))
    assert session.datablock_counts()["objects"] <= counts_before["objects"] + 3  # glasses, lenses, hat
    assert (after_rgb[..., 3][hair_only] == 0).all(), "the bare head has no hair left over"


def test_clear_lenses_pass_light_and_shadow_rays_like_thin_glass(session, pack) -> None:
    """A spectacle lens is a thin shell: the eye behind it keeps ~90 % of its light and its
    place. A single refracting surface (glass with no back face) would block shadow rays (the
    key light's shadow darkens the eye) and bend the view into the 'glass'."""
    base = _spec(None)
    base = base.model_copy(update={"camera": base.camera.model_copy(update={"width": 120, "height": 160}),
                                   "render": base.render.model_copy(update={"samples": 16})})

    def bald(**glasses):
        groom = _groom("bald", 5, eyelashes=False, brow_density=0.0, **glasses)
        return _render(session, pack, base.model_copy(update={"subject": base.subject.model_copy(
            update={"groom": groom})}))

    _, bare = _render(session, pack, base)
    rgb_none, _ = bald()
    rgb_clear, labels = bald(glasses_shape="round")
    eyes = np.isin(labels.mask, [R.SCLERA, R.IRIS]) & np.isin(bare.mask, [R.SCLERA, R.IRIS])
    assert eyes.sum() >= 8

    def eye_light(rgb: np.ndarray) -> float:
        return float(rgb[..., :3][eyes].astype(float).mean())

    assert 0.8 < eye_light(rgb_clear) / eye_light(rgb_none) < 1.1
    # the same frame as sunglasses (the same lens mesh, other glass): the eyes go dark behind it
    rgb_sun, _ = bald(glasses_shape="round", glasses_sun=True)
    assert eye_light(rgb_sun) < 0.4 * eye_light(rgb_none)

RECIPE = """name: groomed
seed: 4
samples: 2
subjects:
  face_model: builtin
  count: 1
  groom: {enabled: true, hair: {styles: [medium], density: [0.3, 0.3]}, beard: {probability: 1.0, styles: [short]},
          glasses: {probability: 1.0, sunglasses: 0.0}}
camera: {resolution: 64x86}
head_pose: {yaw_deg: [-20, 20]}
render: {samples: 2, denoise: false}
background: {kind: noise}
outputs: [rgb, depth, masks, landmarks]
"""


def test_dataset_depth_has_face_plane_and_metadata_says_what_depth_includes(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    report = render_dataset(recipe, tmp_path / "ds", progress=False)
    assert report.rendered == [0, 1] and not report.failed
    assert verify(tmp_path / "ds").ok
    for sample in open_dataset(tmp_path / "ds"):
        exr = OpenEXR.File(str(next((tmp_path / "ds").glob(f"samples/*/{sample.id}.depth.exr"))))
        assert sorted(exr.channels()) == ["Z", "face.Z"]
        meta = sample.meta
        assert meta["depth"]["face_only_channel"] == "face.Z"
        assert {"head", "hair", "eyebrows", "beard", "glasses_frame"} <= set(meta["depth"]["includes"])
        assert meta["groom"]["hair_style"] == "medium" and meta["groom"]["beard_style"] == "short"
        hair = np.isin(sample.masks, [R.HAIR, R.BEARD])
        assert hair.any()
        assert np.all(sample.depth[hair] < np.where(sample.depth_face[hair] > 0, sample.depth_face[hair], np.inf))
        untouched = ~np.isin(sample.masks, [R.HAIR, R.BEARD, R.BROW_LEFT, R.BROW_RIGHT, R.GLASSES, R.HEADWEAR])
        assert np.array_equal(sample.depth[untouched], sample.depth_face[untouched])
    # The exported shards keep the head-alone plane for both loaders (real webdataset, real HF datasets).
    import webdataset as wds

    from facesynth.io.decoders import exr_planes_handler, hf_decode_exr
    from facesynth.io.export import export_webdataset

    export_webdataset(tmp_path / "ds", tmp_path / "shards", shard_size=1)
    shards = sorted(str(p) for p in (tmp_path / "shards").glob("*.tar"))
    truth = {s.id: s for s in open_dataset(tmp_path / "ds")}
    for row in wds.WebDataset(shards, shardshuffle=False, empty_check=False).decode(exr_planes_handler):
        planes, sample = row["depth.exr"], truth[row["__key__"]]
        assert np.array_equal(planes["Z"], sample.depth) and np.array_equal(planes["face.Z"], sample.depth_face)
    datasets = pytest.importorskip("datasets")
    hf = datasets.load_dataset("webdataset", data_files={"train": shards}, split="train",
                               cache_dir=str(tmp_path / "hf"))
    for row in hf.map(hf_decode_exr).with_format("numpy"):
        sample = truth[str(row["__key__"])]
        assert np.array_equal(row["depth_face"], sample.depth_face)
        assert not np.array_equal(row["depth"], row["depth_face"])

