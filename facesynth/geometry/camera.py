"""The camera: OpenCV intrinsics/extrinsics and Blender's camera values from ONE object.

Frames (docs/conventions.md): world +Z up, mm; camera frame OpenCV (x right, y down, z forward),
mm; pixel (0, 0) is the centre of the top-left pixel. Blender's camera looks down its -Z with +Y
up, so R_cv_from_blender = diag(1, -1, -1), and Blender's scene is in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from facesynth.errors import UserError
from facesynth.sampling.spec import CameraSpec

Projection = Literal["perspective", "orthographic"]

MM_PER_M = 1000.0
R_CV_FROM_BLENDER = np.diag([1.0, -1.0, -1.0])
# Rest camera orientation: looks along world +Y, upright (camera -y = world +Z).
R_CAM_FROM_WORLD_REST = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole (or orthographic) camera. Arrays are read-only float64."""

    K: np.ndarray
    """3x3. Perspective: u = fx x/z + cx. Orthographic: u = fx x + cx (fx in px per mm)."""
    width: int
    height: int
    projection: Projection
    focal_length_mm: float
    sensor_width_mm: float
    clip_start_mm: float
    clip_end_mm: float
    ortho_scale_mm: float
    world_to_camera: np.ndarray
    """4x4, mm, world -> OpenCV camera frame."""

    def __post_init__(self) -> None:
        for name in ("K", "world_to_camera"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def is_perspective(self) -> bool:
        return self.projection == "perspective"

    @property
    def camera_to_world(self) -> np.ndarray:
        return np.linalg.inv(self.world_to_camera)

    @property
    def centre_world_mm(self) -> np.ndarray:
        """The camera centre (optical centre) in the world frame, mm."""
        return self.camera_to_world[:3, 3].copy()

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """(N,3) camera-frame mm -> (N,2) pixel coordinates (pixel-centre convention)."""
        p = np.asarray(points_cam, dtype=np.float64)
        xy = p[..., :2] / p[..., 2:3] if self.is_perspective else p[..., :2]
        return xy @ self.K[:2, :2].T + self.K[:2, 2]

    def backproject(self, uv: np.ndarray, depth: np.ndarray | float) -> np.ndarray:
        """Pixel coordinates (N,2) and planar depth (N,) mm -> (N,3) camera-frame points, mm."""
        uv = np.asarray(uv, dtype=np.float64)
        z = np.broadcast_to(np.asarray(depth, dtype=np.float64), uv.shape[:-1])
        xy = (uv - self.K[:2, 2]) / np.diag(self.K)[:2]
        if self.is_perspective:
            xy = xy * z[..., None]
        return np.concatenate([xy, z[..., None]], axis=-1)

    def blender_matrix_world_m(self) -> np.ndarray:
        """4x4 `matrix_world` of Blender's camera object, metres (Blender camera axes)."""
        cam_to_world = self.camera_to_world
        m = np.eye(4)
        m[:3, :3] = cam_to_world[:3, :3] @ R_CV_FROM_BLENDER
        m[:3, 3] = cam_to_world[:3, 3] / MM_PER_M
        return m

    def blender_settings(self) -> dict[str, object]:
        """Values for Blender's camera data and render settings (lengths in metres/mm as named).

        Blender puts the principal point at the image centre, cx = (W - 1) / 2 here; an
        off-centre K becomes lens shift, in units of the image width (sensor fit horizontal).
        """
        w, h = self.width, self.height
        cx, cy = self.K[0, 2], self.K[1, 2]
        return {
            "type": "PERSP" if self.is_perspective else "ORTHO",
            "lens": float(self.focal_length_mm),
            "sensor_width": float(self.sensor_width_mm),
            "sensor_fit": "HORIZONTAL",
            "ortho_scale": float(self.ortho_scale_mm / MM_PER_M),
            "clip_start": float(self.clip_start_mm / MM_PER_M),
            "clip_end": float(self.clip_end_mm / MM_PER_M),
            "resolution_x": int(w),
            "resolution_y": int(h),
            "shift_x": float(((w - 1) / 2.0 - cx) / w),
            "shift_y": float((cy - (h - 1) / 2.0) / w),
        }


def intrinsics(
    projection: Projection,
    width: int,
    height: int,
    focal_length_mm: float,
    sensor_width_mm: float,
    ortho_scale_mm: float,
) -> np.ndarray:
    """K for a centred principal point with Blender's horizontal sensor fit and square pixels."""
    # Orthographic: f is pixels per mm in the image plane.
    f_px = focal_length_mm / sensor_width_mm * width if projection == "perspective" else width / ortho_scale_mm
    return np.array([[f_px, 0.0, (width - 1) / 2.0], [0.0, f_px, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def _check_spec(spec: CameraSpec) -> None:
    def bad(field: str, why: str) -> UserError:
        return UserError(f"camera.{field}: {why}")

    if spec.width <= 0 or spec.height <= 0:
        raise bad("width/height", f"resolution must be positive, got {spec.width}x{spec.height}")
    if spec.projection == "perspective":
        if spec.focal_length_mm <= 0:
            raise bad("focal_length_mm", f"must be > 0, got {spec.focal_length_mm}")
        if spec.sensor_width_mm <= 0:
            raise bad("sensor_width_mm", f"must be > 0, got {spec.sensor_width_mm}")
    elif spec.ortho_scale_mm <= 0:
        raise bad("ortho_scale_mm", f"must be > 0 for orthographic projection, got {spec.ortho_scale_mm}")
    if not 0 < spec.clip_start_mm < spec.clip_end_mm:
        raise bad("clip_start_mm", f"need 0 < clip_start < clip_end, got {spec.clip_start_mm}, "
                  f"{spec.clip_end_mm}")
    if spec.distance_mm <= 0:
        raise bad("distance_mm", f"must be > 0, got {spec.distance_mm}")


def camera_from_spec(spec: CameraSpec) -> Camera:
    """The sample's camera: on world -Y at `distance_mm`, looking along +Y, upright, jittered."""
    _check_spec(spec)
    r = R_CAM_FROM_WORLD_REST
    # Jitter is given in the camera's own frame; the orientation does not change.
    centre = np.array([0.0, -spec.distance_mm, 0.0]) + r.T @ np.asarray(spec.position_jitter_mm, float)
    w2c = np.eye(4)
    w2c[:3, :3] = r
    w2c[:3, 3] = -r @ centre
    return Camera(
        K=intrinsics(spec.projection, spec.width, spec.height, spec.focal_length_mm,
                     spec.sensor_width_mm, spec.ortho_scale_mm),
        width=spec.width,
        height=spec.height,
        projection=spec.projection,
        focal_length_mm=spec.focal_length_mm,
        sensor_width_mm=spec.sensor_width_mm,
        clip_start_mm=spec.clip_start_mm,
        clip_end_mm=spec.clip_end_mm,
        ortho_scale_mm=spec.ortho_scale_mm,
        world_to_camera=w2c,
    )
