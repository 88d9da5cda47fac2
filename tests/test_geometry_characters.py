"""Labels of a face pack without a landmark mapping (a user character): depth, normals and masks
still work, metadata leaves landmarks out, and asking for a position map is a clear error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from test_geometry_support import camera_spec, sample_spec

from facesynth.assets import regions
from facesynth.assets.pack import FacePack
from facesynth.errors import UserError
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample


@pytest.fixture(scope="module")
def ball_pack() -> FacePack:
    ball = trimesh.creation.icosphere(subdivisions=3, radius=90.0)
    faces = np.asarray(ball.faces)
    return FacePack.from_arrays(
        name="ball", neutral_mm=ball.vertices, polygons=faces,
        poly_uv=np.zeros((faces.size, 2)), poly_region=np.full(len(faces), regions.HEAD_NECK),
        landmarks_68=np.zeros(0, np.int32), pivot_mm=np.zeros(3),
    )


def test_character_without_landmarks_gets_depth_but_no_landmark_metadata(ball_pack) -> None:
    spec = sample_spec(face_model="ball", camera=camera_spec(width=64, height=48), outputs=("depth", "masks"))
    posed = pose_sample(spec, ball_pack)
    labels = compute_labels(spec, ball_pack, ball_pack.deform(), posed)
    assert labels.landmarks.uv.shape == (0, 2) and labels.posmap is None
    # The ball's front point is 90 mm nearer than its centre, which sits at distance_mm.
    assert labels.depth[labels.depth > 0].min() == pytest.approx(600.0 - 90.0, abs=1.0)
    assert set(np.unique(labels.mask).tolist()) == {0, regions.HEAD_NECK}
    meta = build_metadata(spec, ball_pack, posed, labels, recipe_sha256="", facesynth_version="",
                          blender_version="")
    assert "landmarks_68" not in meta
    json.dumps(meta, allow_nan=False)


def test_posmap_without_landmarks_is_a_user_error_naming_sample_and_pack(ball_pack) -> None:
    spec = sample_spec(face_model="ball", camera=camera_spec(width=64, height=48), outputs=("posmap",))
    posed = pose_sample(spec, ball_pack)
    with pytest.raises(UserError, match=r"sample 000007.*'posmap'.*'ball'"):
        compute_labels(spec, ball_pack, ball_pack.deform(), posed)


def _front_ball(u_shift: float) -> FacePack:
    ball = trimesh.creation.icosphere(subdivisions=3, radius=90.0)
    v, faces = np.asarray(ball.vertices), np.asarray(ball.faces)
    corners = v[faces.reshape(-1)]
    uv = np.c_[corners[:, 0] / 200.0 + 0.5 + u_shift, corners[:, 1] / 200.0 + 0.5]  # planar, front
    front = v[faces].mean(axis=1)[:, 2] > 30.0  # model +Z faces the camera
    return FacePack.from_arrays(
        name="front-ball", neutral_mm=v, polygons=faces, poly_uv=uv,
        poly_region=np.full(len(faces), regions.SKIN), face_area=front,
        landmarks_68=np.argsort(-v[:, 2])[:68].astype(np.int32), pivot_mm=np.zeros(3),
    )


def test_posmap_of_a_face_area_in_another_uv_tile() -> None:
    spec = sample_spec(face_model="front-ball", camera=camera_spec(width=64, height=48), outputs=("posmap",))
    maps = []
    for shift in (0.0, 2.0):
        pack = _front_ball(shift)
        maps.append(compute_labels(spec, pack, pack.deform(), pose_sample(spec, pack)).posmap)
    assert maps[0].coverage.sum() > 10000
    assert np.array_equal(maps[0].coverage, maps[1].coverage)
    np.testing.assert_allclose(maps[0].cam, maps[1].cam, atol=1e-4)
