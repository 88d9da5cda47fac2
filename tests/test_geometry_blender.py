"""Blender itself agrees with the camera's K: a bpy camera set from `blender_settings()` and
`blender_matrix_world_m()` projects points (bpy_extras.world_to_camera_view) where K does.
No rendering; geometry never imports bpy, only this test does."""

from __future__ import annotations

import numpy as np
import pytest
from test_geometry_support import camera_spec

from facesynth.geometry.camera import Camera, camera_from_spec

pytestmark = pytest.mark.render
bpy = pytest.importorskip("bpy")


def _blender_uv(cam: Camera, points_world_mm: np.ndarray) -> np.ndarray:
    import mathutils
    from bpy_extras.object_utils import world_to_camera_view

    scene = bpy.context.scene
    obj = scene.camera
    s = cam.blender_settings()
    for key in ("type", "lens", "sensor_width", "sensor_fit", "ortho_scale", "clip_start", "clip_end",
                "shift_x", "shift_y"):
        setattr(obj.data, key, s[key])
    scene.render.resolution_x, scene.render.resolution_y = s["resolution_x"], s["resolution_y"]
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    obj.matrix_world = mathutils.Matrix(cam.blender_matrix_world_m().tolist())
    bpy.context.view_layer.update()
    out = []
    for p in points_world_mm / 1000.0:
        ndc = world_to_camera_view(scene, obj, mathutils.Vector(p.tolist()))
        # Normalised frame coordinates, origin bottom-left -> pixel-centre convention, y down.
        out.append((ndc.x * cam.width - 0.5, (1.0 - ndc.y) * cam.height - 0.5))
    return np.array(out)


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
@pytest.mark.parametrize("size", [(640, 480), (96, 128)])
def test_blender_projects_like_K(projection: str, size: tuple[int, int]) -> None:
    w, h = size
    cam = camera_from_spec(camera_spec(projection=projection, width=w, height=h,
                                       position_jitter_mm=(8.0, -5.0, 20.0)))
    pts = np.random.default_rng(3).uniform([-120, -100, -120], [120, 100, 120], size=(40, 3))
    pts_cam = pts @ cam.world_to_camera[:3, :3].T + cam.world_to_camera[:3, 3]
    np.testing.assert_allclose(_blender_uv(cam, pts), cam.project(pts_cam), atol=1e-3)


def test_blender_honours_an_off_centre_principal_point() -> None:
    base = camera_from_spec(camera_spec(width=320, height=240))
    K = base.K.copy()
    K[0, 2] += 21.25
    K[1, 2] -= 9.5
    cam = Camera(**{**base.__dict__, "K": K})
    pts = np.random.default_rng(4).uniform(-80, 80, size=(20, 3))
    pts_cam = pts @ cam.world_to_camera[:3, :3].T + cam.world_to_camera[:3, 3]
    np.testing.assert_allclose(_blender_uv(cam, pts), cam.project(pts_cam), atol=1e-3)
