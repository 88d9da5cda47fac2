"""Camera: projection round trips, the optical axis, and Blender's values agreeing with K."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_geometry_support import camera_spec

from facesynth.errors import UserError
from facesynth.geometry.camera import camera_from_spec


def _blender_project(cam, points_world_mm: np.ndarray) -> np.ndarray:
    """Project like Blender does, from nothing but blender_matrix_world_m() and blender_settings()."""
    s = cam.blender_settings()
    m = cam.blender_matrix_world_m()
    pw = np.c_[points_world_mm / 1000.0, np.ones(len(points_world_mm))]
    pb = (np.linalg.inv(m) @ pw.T).T[:, :3]  # Blender camera-local, looks down -Z, +Y up
    w, h = s["resolution_x"], s["resolution_y"]
    if s["type"] == "PERSP":
        x_view = s["lens"] * pb[:, 0] / -pb[:, 2] / s["sensor_width"] * w  # px, sensor fit horizontal
        y_view = s["lens"] * pb[:, 1] / -pb[:, 2] / s["sensor_width"] * w
    else:
        x_view = pb[:, 0] / s["ortho_scale"] * w
        y_view = pb[:, 1] / s["ortho_scale"] * w
    # View plane spans [-W/2, W/2] + shift*W (edge coordinates); pixel centres are at edge - 0.5.
    u = x_view + w / 2 - s["shift_x"] * w - 0.5
    v_from_bottom = y_view + h / 2 - s["shift_y"] * w
    v = h - v_from_bottom - 0.5
    return np.c_[u, v]


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
@pytest.mark.parametrize("jitter", [(0.0, 0.0, 0.0), (12.0, -7.0, 30.0)])
def test_blender_values_agree_with_K(projection: str, jitter: tuple[float, float, float]) -> None:
    spec = camera_spec(projection=projection, position_jitter_mm=jitter, width=640, height=480)
    cam = camera_from_spec(spec)
    rng = np.random.default_rng(0)
    pts_world = rng.uniform([-100, -150, -100], [100, 150, 100], size=(50, 3))
    pts_cam = (cam.world_to_camera @ np.c_[pts_world, np.ones(50)].T).T[:, :3]
    np.testing.assert_allclose(cam.project(pts_cam), _blender_project(cam, pts_world), atol=1e-9)


def test_off_centre_principal_point_becomes_lens_shift() -> None:
    base = camera_from_spec(camera_spec(width=640, height=480))
    K = base.K.copy()
    K[0, 2] += 13.5
    K[1, 2] -= 4.25
    cam = type(base)(**{**base.__dict__, "K": K})
    pts_world = np.array([[10.0, 50.0, 20.0], [-30.0, 0.0, -40.0]])
    pts_cam = (cam.world_to_camera @ np.c_[pts_world, np.ones(2)].T).T[:, :3]
    np.testing.assert_allclose(cam.project(pts_cam), _blender_project(cam, pts_world), atol=1e-9)


@pytest.mark.parametrize("w,h", [(128, 96), (640, 480), (101, 77)])
def test_optical_axis_lands_on_image_centre(w: int, h: int) -> None:
    cam = camera_from_spec(camera_spec(width=w, height=h))
    uv = cam.project(np.array([[0.0, 0.0, 500.0]]))
    np.testing.assert_allclose(uv[0], [(w - 1) / 2, (h - 1) / 2])
    # The world origin (head pivot at rest) is on the optical axis at distance_mm.
    origin_cam = cam.world_to_camera @ np.array([0.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(origin_cam[:3], [0.0, 0.0, 600.0], atol=1e-12)


def test_camera_is_upright_and_looks_along_world_plus_y() -> None:
    cam = camera_from_spec(camera_spec())
    above = cam.world_to_camera @ np.array([0.0, 0.0, 100.0, 1.0])  # world +Z is up
    right = cam.world_to_camera @ np.array([100.0, 0.0, 0.0, 1.0])
    assert cam.project(above[None, :3])[0, 1] < (cam.height - 1) / 2
    assert cam.project(right[None, :3])[0, 0] > (cam.width - 1) / 2
    np.testing.assert_allclose(cam.centre_world_mm, [0.0, -600.0, 0.0], atol=1e-12)


def test_position_jitter_is_in_camera_frame_and_keeps_orientation() -> None:
    cam = camera_from_spec(camera_spec(position_jitter_mm=(10.0, 20.0, 30.0)))
    rest = camera_from_spec(camera_spec())
    np.testing.assert_allclose(cam.world_to_camera[:3, :3], rest.world_to_camera[:3, :3])
    # Camera +x = world +X, camera +y (down) = world -Z, camera +z = world +Y.
    np.testing.assert_allclose(cam.centre_world_mm, [10.0, -600.0 + 30.0, -20.0], atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(["perspective", "orthographic"]),
    st.floats(-500, 500), st.floats(-500, 500), st.floats(50, 5000),
)
def test_project_backproject_round_trip(projection: str, x: float, y: float, z: float) -> None:
    cam = camera_from_spec(camera_spec(projection=projection))
    p = np.array([[x, y, z]])
    back = cam.backproject(cam.project(p), p[:, 2])
    np.testing.assert_allclose(back, p, rtol=1e-9, atol=1e-9)


def test_bad_camera_values_name_the_field() -> None:
    with pytest.raises(UserError, match=r"camera\.focal_length_mm"):
        camera_from_spec(camera_spec(focal_length_mm=0.0))
    with pytest.raises(UserError, match=r"camera\.clip_start_mm"):
        camera_from_spec(camera_spec(clip_start_mm=50.0, clip_end_mm=20.0))
    with pytest.raises(UserError, match=r"camera\.ortho_scale_mm"):
        camera_from_spec(camera_spec(projection="orthographic", ortho_scale_mm=-1.0))
