"""Head pose: angle round trips and the sign conventions seen in the image."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_geometry_support import camera_spec, sample_spec

from facesynth.errors import UserError
from facesynth.geometry.pose import POSE_CONVENTION, angles_from_rotation, head_rotation, pose_sample

# Only the pivot matters for posing; a point inside a head, behind the eyes (model frame, mm).
PACK = SimpleNamespace(pivot_mm=np.array([0.0, 20.0, -30.0]))
NOSE = PACK.pivot_mm + np.array([0.0, 0.0, 100.0])  # model +Z is out of the face
TOP = PACK.pivot_mm + np.array([0.0, 100.0, 0.0])  # model +Y is up
LEFT = PACK.pivot_mm + np.array([80.0, 0.0, 0.0])  # model +X is the subject's left


def _uv(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, point: np.ndarray = NOSE) -> np.ndarray:
    posed = pose_sample(sample_spec(yaw=yaw, pitch=pitch, roll=roll), PACK)
    return posed.camera.project(posed.to_camera(point[None]))[0]


@settings(max_examples=200, deadline=None)
@given(st.floats(-100, 100), st.floats(-45, 45), st.floats(-45, 45))
def test_angles_rotation_round_trip(yaw: float, pitch: float, roll: float) -> None:
    R = head_rotation(yaw, pitch, roll)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    np.testing.assert_allclose(angles_from_rotation(R), (yaw, pitch, roll), atol=1e-9)


def test_at_rest_face_looks_into_camera_upright() -> None:
    posed = pose_sample(sample_spec(), PACK)
    cx, cy = (posed.camera.width - 1) / 2, (posed.camera.height - 1) / 2
    np.testing.assert_allclose(posed.R_head, np.eye(3))
    np.testing.assert_allclose(posed.t_mm, [0.0, 0.0, 600.0], atol=1e-9)
    nose_cam, pivot_cam = posed.to_camera(np.stack([NOSE, PACK.pivot_mm]))
    assert nose_cam[2] == pytest.approx(pivot_cam[2] - 100.0)  # nose points at the camera
    np.testing.assert_allclose(_uv(), [cx, cy], atol=1e-9)
    assert _uv(point=TOP)[1] < cy  # head top is up in the image
    assert _uv(point=LEFT)[0] > cx  # subject's left appears on image right (facing us)


def test_positive_yaw_moves_nose_to_image_plus_x() -> None:
    rest = _uv()
    assert _uv(yaw=30)[0] > rest[0] + 5
    assert _uv(yaw=-30)[0] < rest[0] - 5
    assert _uv(yaw=30)[1] == pytest.approx(rest[1], abs=1e-6)


def test_positive_pitch_moves_nose_to_image_minus_y() -> None:
    rest = _uv()
    assert _uv(pitch=20)[1] < rest[1] - 5
    assert _uv(pitch=-20)[1] > rest[1] + 5
    assert _uv(pitch=20)[0] == pytest.approx(rest[0], abs=1e-6)


def test_positive_roll_turns_face_clockwise_in_image() -> None:
    centre = _uv(point=PACK.pivot_mm)
    top0, top1 = _uv(point=TOP) - centre, _uv(roll=25, point=TOP) - centre
    # In an image with y down, clockwise means the top of the head swings to the right.
    assert top1[0] > 5
    # Signed angle from top0 to top1 measured in image axes (x right, y down): positive = clockwise.
    ang = np.degrees(np.arctan2(top0[0] * top1[1] - top0[1] * top1[0], top0 @ top1))
    assert ang == pytest.approx(25.0, abs=1e-6)


def test_translation_moves_the_pivot_in_world() -> None:
    posed = pose_sample(sample_spec(translation=(10.0, 50.0, 20.0)), PACK)
    # World +X -> camera +x, world +Y (away from camera) -> +z, world +Z (up) -> -y.
    np.testing.assert_allclose(posed.t_mm, [10.0, -20.0, 650.0], atol=1e-9)
    np.testing.assert_allclose(posed.to_camera(PACK.pivot_mm[None])[0], posed.t_mm, atol=1e-9)
    np.testing.assert_allclose(posed.model_to_camera, posed.camera.world_to_camera @ posed.model_to_world)


def test_pose_convention_is_explicit() -> None:
    for word in ("yaw", "pitch", "roll", "R_yaw @ R_pitch @ R_roll", "clockwise", "OpenCV"):
        assert word in POSE_CONVENTION


def test_bad_pose_or_camera_is_rejected_naming_sample_and_field() -> None:
    with pytest.raises(UserError, match=r"000007.*pitch_deg"):
        pose_sample(sample_spec(pitch=90.0), PACK)
    with pytest.raises(UserError, match=r"sample 000007: camera\.distance_mm"):
        pose_sample(sample_spec(camera=camera_spec(distance_mm=-5.0)), PACK)
