"""Dense landmarks (issue 17 item 6): a fixed, roughly uniform vertex set over the face area,
2D + 3D + visibility, rebuilt from the metadata and the pack alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial import cKDTree
from test_geometry_support import camera_spec, sample_spec

from facesynth.assets import load_pack
from facesynth.errors import UserError
from facesynth.geometry.dense import DEFAULT_COUNT, default_vertex_ids, face_area_vertices
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample
from facesynth.io.metafields import expression_weights
from facesynth.sampling.spec import DenseLandmarksSpec

OUTPUTS = ("depth", "masks", "landmarks", "dense_landmarks")
SAMPLES = [  # (identity, expression, yaw): differ in identity, expression and pose
    ((0.0,), (), 0.0),
    ((1.5, -1.0, 0.7), (("jawOpen", 0.6), ("mouthSmile_L", 0.8), ("eyeBlinkRight", 1.0)), 55.0),
    ((-1.2, 0.4, 2.0), (("browInnerUp", 0.7), ("mouthPucker", 0.5)), -30.0),
]


@pytest.fixture(scope="module", params=["builtin", "ict-facekit"])
def pack(request):
    if request.param == "ict-facekit":
        return request.getfixturevalue("ict_pack")
    return load_pack("builtin")


def _metadata(pack, identity, weights, yaw, **dense):
    spec = sample_spec(yaw=yaw, pitch=-5.0, identity=identity, weights=weights, outputs=OUTPUTS,
                       face_model=pack.name, camera=camera_spec(width=160, height=120))
    if dense:
        spec = spec.model_copy(update={"dense_landmarks": DenseLandmarksSpec(**dense)})
    posed = pose_sample(spec, pack)
    labels = compute_labels(spec, pack, pack.deform(spec.subject.identity, spec.expression_weights()), posed)
    # Through JSON, as a reader gets it.
    return json.loads(json.dumps(build_metadata(spec, pack, posed, labels, recipe_sha256="0" * 64,
                                                facesynth_version="test", blender_version="none")))


def _rebuild(meta, pack):
    """Pixel and camera-frame points from the metadata and the pack only."""
    fm = meta["face_model"]
    v = pack.deform(fm["identity"], expression_weights(meta)).astype(np.float64)
    M, K = np.array(meta["mesh"]["model_to_camera"]), np.array(meta["camera"]["K"])
    p = v[meta["dense_landmarks"]["vertex_ids"]] @ M[:3, :3].T + M[:3, 3]
    return (p[:, :2] / p[:, 2:]) @ K[:2, :2].T + K[:2, 2], p


def test_rebuilt_from_metadata_and_pack(pack) -> None:
    metas = [_metadata(pack, *s) for s in SAMPLES]
    for meta in metas:
        dense = meta["dense_landmarks"]
        uv, p = _rebuild(meta, pack)
        np.testing.assert_allclose(uv, dense["2d"], atol=0.01)
        np.testing.assert_allclose(p, dense["3d"], atol=0.01)
        assert len(dense["2d"]) == len(dense["visible"]) == DEFAULT_COUNT
        assert dense["vertex_set"] == f"facesynth-fps/1 count={DEFAULT_COUNT}"
    # The same vertices in every identity and expression of the pack.
    assert len({tuple(m["dense_landmarks"]["vertex_ids"]) for m in metas}) == 1
    # Visibility from the depth test: most of the frontal face is seen (not the nostrils, the lips'
    # inner rim, ICT's under-chin), and the far cheek at 55° yaw is not.
    frontal, turned = (np.mean(m["dense_landmarks"]["visible"]) for m in metas[:2])
    assert frontal > 0.75 and 0.3 < turned < frontal - 0.1


def test_default_set_is_roughly_uniform_over_the_face_area(pack) -> None:
    ids = default_vertex_ids(pack)
    area = face_area_vertices(pack)
    assert len(ids) == DEFAULT_COUNT == len(set(ids.tolist())) and set(ids.tolist()) <= set(area.tolist())
    pts = np.asarray(pack.neutral_mm)[ids]
    gaps = cKDTree(pts).query(pts, k=2)[0][:, 1]
    # Farthest-point sampling: no two points much closer than the typical spacing, no big holes.
    assert gaps.min() > 0.5 * np.median(gaps)
    hole = cKDTree(pts).query(np.asarray(pack.neutral_mm)[area])[0].max()
    assert hole < 2.0 * np.median(gaps)
    assert np.array_equal(ids, default_vertex_ids(pack)), "deterministic"


def test_any_vertex_set_and_a_bad_one(pack) -> None:
    meta = _metadata(pack, *SAMPLES[1], vertex_ids=(5, 0, 17))
    assert meta["dense_landmarks"]["vertex_ids"] == [5, 0, 17]
    np.testing.assert_allclose(_rebuild(meta, pack)[0], meta["dense_landmarks"]["2d"], atol=0.01)
    with pytest.raises(UserError, match=r"dense_landmarks.vertex_ids\[1\] = 99999999 is not a vertex"):
        _metadata(pack, *SAMPLES[0], vertex_ids=(1, 99999999))
