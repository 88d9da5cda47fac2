"""Head pose: yaw/pitch/roll <-> rotation in the camera frame, and the posed transforms of a sample.

`x_cam = R_head @ R_REST @ (x_model - pivot) + t_mm` where `t_mm` is the head pivot in the camera
frame (docs/internals.md, "Frames").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.errors import UserError
from facesynth.geometry.camera import Camera, camera_from_spec
from facesynth.sampling.spec import SampleSpec

POSE_CONVENTION = (
    "R_head = R_yaw @ R_pitch @ R_roll in the OpenCV camera frame (x right, y down, z forward), "
    "about the head pivot; roll applied first. R_yaw = rotation about camera -y (up) by +yaw, "
    "R_pitch = rotation about camera -x by +pitch, R_roll = rotation about camera +z by +roll "
    "(right-handed rotations). At 0/0/0 the face looks into the camera, upright. +yaw moves the nose "
    "toward image +x, +pitch moves the nose toward image -y (chin up), +roll turns the face "
    "clockwise in the image. x_cam = R_head @ R_rest @ (x_model - pivot) + t_mm, R_rest maps model "
    "+X,+Y,+Z to camera +x,-y,-z. Degrees."
)

# Model axes (+X subject's left, +Y up, +Z out of the face) -> camera axes at rest.
R_REST = np.diag([1.0, -1.0, -1.0])


def _rx(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def head_rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """3x3 head rotation in the camera frame (see POSE_CONVENTION)."""
    y, p, r = np.radians([yaw_deg, pitch_deg, roll_deg])
    # About -y by +yaw == about +y by -yaw; likewise for pitch about -x.
    return _ry(-y) @ _rx(-p) @ _rz(r)


def angles_from_rotation(R: np.ndarray) -> tuple[float, float, float]:
    """Inverse of `head_rotation`: (yaw_deg, pitch_deg, roll_deg), pitch in [-90, 90]."""
    R = np.asarray(R, dtype=np.float64)
    # R = Ry(a) Rx(b) Rz(c): row 1 is (cos b sin c, cos b cos c, -sin b).
    b = np.arcsin(np.clip(-R[1, 2], -1.0, 1.0))
    a = np.arctan2(R[0, 2], R[2, 2])
    c = np.arctan2(R[1, 0], R[1, 1])
    yaw, pitch, roll = np.degrees([-a, -b, c])
    return float(yaw), float(pitch), float(roll)


@dataclass(frozen=True, eq=False)
class Posed:
    """Where a sample's head and camera are. Arrays are read-only float64, mm."""

    camera: Camera
    model_to_world: np.ndarray
    model_to_camera: np.ndarray
    R_head: np.ndarray
    """Head rotation in the camera frame (identity at rest)."""
    t_mm: np.ndarray
    """The head pivot in the camera frame, mm."""

    def __post_init__(self) -> None:
        for name in ("model_to_world", "model_to_camera", "R_head", "t_mm"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def pivot_camera_mm(self) -> np.ndarray:
        return self.t_mm

    def to_camera(self, vertices_model: np.ndarray) -> np.ndarray:
        """(N,3) model-frame mm -> (N,3) float64 camera-frame mm."""
        v = np.asarray(vertices_model, dtype=np.float64)
        return v @ self.model_to_camera[:3, :3].T + self.model_to_camera[:3, 3]


def pose_sample(spec: SampleSpec, pack: FacePack) -> Posed:
    """Camera and head transforms of one sample; `pack` supplies `pivot_mm` (model frame)."""
    hp = spec.head_pose
    for field in ("yaw_deg", "pitch_deg", "roll_deg"):
        if not np.isfinite(getattr(hp, field)):
            raise UserError(f"sample {spec.id}: head_pose.{field} is not finite")
    if abs(hp.pitch_deg) >= 90.0:
        raise UserError(f"sample {spec.id}: head_pose.pitch_deg must be in (-90, 90), got {hp.pitch_deg}")
    try:
        camera = camera_from_spec(spec.camera)
    except UserError as exc:
        raise UserError(f"sample {spec.id}: {exc}") from None
    pivot = np.asarray(pack.pivot_mm, dtype=np.float64)
    r_head = head_rotation(hp.yaw_deg, hp.pitch_deg, hp.roll_deg)
    w2c = camera.world_to_camera
    r_cw = w2c[:3, :3]
    # At rest the pivot sits at the world origin; translation_mm moves it in the world.
    pivot_world = np.asarray(hp.translation_mm, dtype=np.float64)
    r_model_to_cam = r_head @ R_REST
    m2w = np.eye(4)
    m2w[:3, :3] = r_cw.T @ r_model_to_cam
    m2w[:3, 3] = pivot_world - m2w[:3, :3] @ pivot
    m2c = w2c @ m2w
    t_mm = r_cw @ pivot_world + w2c[:3, 3]
    return Posed(camera=camera, model_to_world=m2w, model_to_camera=m2c, R_head=r_head, t_mm=t_mm)



EYE_LANDMARKS = slice(36, 48)  # iBUG 68: both eyes' corners and lids


def focus_distance_mm(posed: Posed, landmarks_cam: np.ndarray) -> float:
    """Planar camera distance a portrait is focused at: the mean depth of the eye landmarks of the
    68 (camera frame, mm); the head pivot's when there are none (a pack without landmarks).
    The renderer and the metadata both call this."""
    pts = np.asarray(landmarks_cam, dtype=np.float64).reshape(-1, 3)
    if len(pts) != 68:
        return float(posed.t_mm[2])
    return float(pts[EYE_LANDMARKS, 2].mean())
