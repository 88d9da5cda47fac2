"""The 2D jaw-contour landmark convention (300W-LP landmark marching) beside the fixed-vertex one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from test_geometry_support import camera_spec, load_ict_pack, sample_spec

from facesynth.assets import load_pack
from facesynth.assets.regions import HAIR
from facesynth.cli import main
from facesynth.errors import UserError
from facesynth.farm.local import render_dataset
from facesynth.geometry.contour import contour_lines
from facesynth.geometry.labels import Part, compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample
from facesynth.io import open_dataset
from facesynth.io.export import export_webdataset

JAW = np.arange(17)


@pytest.fixture(scope="module")
def packs(ict_archive):
    return {"builtin": load_pack("builtin"), "ict": load_ict_pack(str(ict_archive))}


def _labels(pack, yaw: float, face_model: str, pitch: float = 0.0, roll: float = 0.0, **kw):
    spec = sample_spec(yaw=yaw, pitch=pitch, roll=roll, face_model=face_model, outputs=("masks", "landmarks"),
                       camera=camera_spec(width=320, height=240, distance_mm=800.0))
    posed = pose_sample(spec, pack)
    return spec, posed, compute_labels(spec, pack, pack.deform(), posed, **kw)


def _cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _silhouette_distance(mask: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Pixels from each point to the nearest covered pixel that touches the background."""
    covered = mask > 0
    edge = covered & ~ndimage.binary_erosion(covered, border_value=0)
    dist = ndimage.distance_transform_edt(~edge)
    ij = np.clip(np.round(uv[:, ::-1]).astype(int), 0, np.array(mask.shape) - 1)
    return dist[ij[:, 0], ij[:, 1]]


@pytest.mark.ict
@pytest.mark.parametrize("name", ["builtin", "ict"])
def test_frontal_contours_agree(packs, name: str) -> None:
    _, _, lab = _labels(packs[name], 0.0, "builtin" if name == "builtin" else "ict-facekit")
    c = lab.landmarks_2d_contour.points
    assert np.abs(c.uv[JAW] - lab.landmarks.uv[JAW]).max() < 0.5  # px
    assert np.array_equal(c.uv[17:], lab.landmarks.uv[17:])
    assert np.array_equal(c.visible[17:], lab.landmarks.visible[17:])
    assert c.visible[JAW].all()  # on the outline: seen, even where a fixed vertex hides behind the cheek


@pytest.mark.ict
@pytest.mark.parametrize("name,yaw,pitch,roll", [("ict", 30.0, 0, 0), ("ict", -45.0, 0, 0), ("ict", 35.0, 15, 10),
                                                 ("builtin", 40.0, 0, 0)])
def test_far_side_slides_to_the_silhouette(packs, name: str, yaw: float, pitch: float, roll: float) -> None:
    _, _, lab = _labels(packs[name], yaw, "builtin" if name == "builtin" else "ict-facekit", pitch, roll)
    # +yaw turns the subject's left (jaw 9-16) away from the camera.
    far = np.arange(10, 17) if yaw > 0 else np.arange(0, 7)
    near = np.arange(0, 8) if yaw > 0 else np.arange(9, 17)
    fixed, c = lab.landmarks, lab.landmarks_2d_contour.points
    d2, d3 = _silhouette_distance(lab.mask, c.uv[far]), _silhouette_distance(lab.mask, fixed.uv[far])
    assert d2.max() <= 1.5, d2  # on the face's outline (pixel-rounded)
    assert not fixed.visible[far].any()  # the fixed vertices are behind the cheek ...
    assert d3.mean() > 2.5 * max(d2.mean(), 0.5), (d3, d2)  # ... inside the outline
    assert c.visible[far].mean() >= 6 / 7
    np.testing.assert_array_equal(c.uv[near], fixed.uv[near])  # the near side keeps its vertices
    # The points are surface points of the posed mesh on their candidate edges.
    pairs, w = lab.landmarks_2d_contour.pairs[far], lab.landmarks_2d_contour.weights[far]
    v = lab.vertices_cam
    np.testing.assert_allclose(v[pairs[:, 0]] + w[:, None] * (v[pairs[:, 1]] - v[pairs[:, 0]]), c.xyz_cam[far])


@pytest.mark.ict
def test_occluders_hide_but_do_not_move_the_points(packs) -> None:
    """Hair or glasses in front of the outline flag its points hidden; the outline is the head's."""
    pack = packs["ict"]
    spec, posed, bare = _labels(pack, 35.0, "ict-facekit")
    c = bare.landmarks_2d_contour.points
    # A vertical plate 30 mm in front of the far-side points 12-14 (model frame, toward the camera).
    pts = np.linalg.solve(posed.model_to_camera, np.c_[c.xyz_cam[12:15], np.ones(3)].T).T[:, :3]
    lo, hi = pts.min(axis=0) - 8, pts.max(axis=0) + 8
    z = hi[2] + 30
    quad = np.array([[lo[0] - 40, lo[1], z], [hi[0] + 40, lo[1], z], [hi[0] + 40, hi[1], z], [lo[0] - 40, hi[1], z]])
    plate = Part(vertices_model=quad, triangles=np.array([[0, 1, 2], [0, 2, 3], [0, 2, 1], [0, 3, 2]]), region=HAIR,
                 parsing=1)
    lab = compute_labels(spec, pack, pack.deform(), posed, parts=[plate])
    occluded = lab.landmarks_2d_contour.points
    np.testing.assert_array_equal(occluded.uv, c.uv)
    assert c.visible[12:15].all() and not occluded.visible[12:15].any()


@pytest.mark.ict
def test_deterministic_and_rebuilt_from_the_metadata(packs) -> None:
    pack = packs["ict"]
    spec, posed, lab = _labels(pack, -40.0, "ict-facekit")
    kw = dict(recipe_sha256="0" * 64, facesynth_version="t", blender_version="t")
    meta = build_metadata(spec, pack, posed, lab, **kw)
    again = build_metadata(spec, pack, posed, compute_labels(spec, pack, pack.deform(), posed), **kw)
    assert json.dumps(meta, sort_keys=True) == json.dumps(again, sort_keys=True)
    fresh = contour_lines.__wrapped__(pack)  # not the cached lines: the same arrays from scratch
    cached = contour_lines(pack)
    assert all(np.array_equal(getattr(fresh, f), getattr(cached, f)) for f in ("a", "b", "w", "owner"))
    entry = meta["landmarks_68_2d_contour"]
    assert entry["2d"][17:] == meta["landmarks_68"]["2d"][17:] and len(entry["visible"]) == 68
    # pack.deform + model_to_camera + K rebuild the points from vertex_pairs and weights.
    m = np.asarray(meta["mesh"]["model_to_camera"])
    v = pack.deform() @ m[:3, :3].T + m[:3, 3]
    pairs, w = np.asarray(entry["vertex_pairs"]), np.asarray(entry["weights"])
    p = v[pairs[:, 0]] + w[:, None] * (v[pairs[:, 1]] - v[pairs[:, 0]])
    uv = (p[:, :2] / p[:, 2:]) @ np.asarray(meta["camera"]["K"])[:2, :2].T + np.asarray(meta["camera"]["K"])[:2, 2]
    np.testing.assert_allclose(uv, np.asarray(entry["2d"]), atol=0.01)


TINY_BUILTIN = """name: jaw
seed: 5
samples: 1
subjects: {face_model: builtin, count: 1}
camera: {resolution: 128x128, distance_mm: 700}
head_pose: {yaw_deg: [38, 42], pitch_deg: [0, 0], roll_deg: [0, 0]}
render: {samples: 2, denoise: false}
background: {kind: transparent}
outputs: [rgb, masks, landmarks]
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jaw")
    (root / "jaw.yaml").write_text(TINY_BUILTIN)
    render_dataset(root / "jaw.yaml", root / "ds", progress=False)
    return root


def test_reader_and_exports_carry_both_conventions(rendered: Path, tmp_path: Path, capsys) -> None:
    ds = open_dataset(rendered / "ds")
    for sample in ds:
        fixed, contour = sample.landmarks, sample.landmarks_2d_contour
        assert np.array_equal(sample.landmarks_in("3d").xy, fixed.xy)
        assert np.array_equal(contour.xy[17:], fixed.xy[17:])
        assert np.linalg.norm(contour.xy[10:17] - fixed.xy[10:17], axis=1).mean() > 2.0  # far side moved
        # On the real Cycles render: the far-side points sit on the head's outline (the render's own
        # alpha, not the label mask).
        head = sample.rgb_full[..., 3] >= 128
        assert _silhouette_distance(head.astype(np.uint8), contour.xy[10:17]).max() <= 2.0
        assert _silhouette_distance(head.astype(np.uint8), fixed.xy[12:17]).min() >= 2.0
    item = next(ds.iter_arrays(["masks"]))
    assert item["landmarks_2d_contour"].shape == (68, 2) and item["landmarks_2d_contour_visible"].shape == (68,)
    with pytest.raises(UserError, match="landmark convention 'x'"):
        ds[0].landmarks_in("x")
    info = export_webdataset(rendered / "ds", tmp_path / "wds", shard_size=2)
    assert "landmarks_68_2d_contour" in info["labels"]
    for conv in ("3d", "2d-contour"):
        assert _cli(["export", str(rendered / "ds"), "--out", str(tmp_path / conv), "--format", "coco",
                     "--landmarks", conv]) == 0
    kp = {conv: np.asarray(json.loads((tmp_path / conv / "annotations" / "face_keypoints_train.json").read_text())
                           ["annotations"][0]["keypoints"]).reshape(68, 3) for conv in ("3d", "2d-contour")}
    np.testing.assert_allclose(kp["2d-contour"][:, :2], ds[0].landmarks_2d_contour.xy + 0.5, atol=1e-3)
    assert (kp["2d-contour"][12:17, 2] == 2).all() and (kp["3d"][12:17, 2] == 1).all()  # visible vs occluded
    capsys.readouterr()
    assert _cli(["export", str(rendered / "ds"), "--out", str(tmp_path / "bad"), "--format", "coco",
                 "--landmarks", "2d"]) == 2
    assert "--landmarks must be one of 3d, 2d-contour" in capsys.readouterr().err


def test_old_metadata_gets_a_clear_error(rendered: Path, tmp_path: Path) -> None:
    sample = open_dataset(rendered / "ds")[0]
    meta = {k: v for k, v in sample.meta.items() if k != "landmarks_68_2d_contour"}
    stripped = type(sample).__new__(type(sample))
    stripped.__dict__.update(sample.__dict__)
    stripped.__dict__["meta"] = meta
    with pytest.raises(UserError, match=r"has no landmarks_68_2d_contour .*written before facesynth had"):
        _ = stripped.landmarks_2d_contour
