"""68 facial landmarks: pixel positions, camera-frame 3D points and depth-test visibility."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry.camera import Camera

VISIBILITY_TOLERANCE_MM = 5.0
"""How far in front of a landmark a surface may be before it counts as occluding it."""


@dataclass(frozen=True, eq=False)
class Landmarks:
    uv: np.ndarray
    """(68,2) float64 pixel coordinates, (0, 0) = centre of the top-left pixel."""
    xyz_cam: np.ndarray
    """(68,3) float64 camera frame, mm."""
    visible: np.ndarray
    """(68,) bool: inside the image and not occluded (depth test)."""


def visibility(
    points_cam: np.ndarray, uv: np.ndarray, depth: np.ndarray, tol_mm: float = VISIBILITY_TOLERANCE_MM
) -> np.ndarray:
    """Depth-test visibility of surface points.

    The point must project inside the image, and some covered pixel of the 3x3 block around its
    nearest pixel must show a surface that is not in front of the point by more than `tol_mm`.
    Looking at the block rather than one pixel absorbs the sub-pixel offset between the point and
    the pixel centres on steep, near-silhouette surfaces, where depth changes by many mm per pixel;
    an occluded point has the occluder in front of it across the whole block.
    """
    h, w = depth.shape
    uv = np.asarray(uv, dtype=np.float64)
    z = np.asarray(points_cam, dtype=np.float64)[:, 2]
    col = np.rint(uv[:, 0]).astype(np.int64)
    row = np.rint(uv[:, 1]).astype(np.int64)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h) & np.isfinite(uv).all(axis=1)
    seen = np.zeros(len(uv), dtype=bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            d = depth[np.clip(row + dr, 0, h - 1), np.clip(col + dc, 0, w - 1)].astype(np.float64)
            seen |= (d > 0) & (d >= z - tol_mm)  # background pixels are no evidence either way
    return inside & seen


def compute_landmarks(
    vertices_cam: np.ndarray,
    landmark_ids: np.ndarray,
    camera: Camera,
    depth: np.ndarray,
    tol_mm: float = VISIBILITY_TOLERANCE_MM,
) -> Landmarks:
    """Landmarks of posed camera-frame vertices; `depth` is the solid-geometry depth map (mm)."""
    pts = np.asarray(vertices_cam, dtype=np.float64)[np.asarray(landmark_ids)]
    uv = camera.project(pts)
    return Landmarks(uv=uv, xyz_cam=pts, visible=visibility(pts, uv, depth, tol_mm))
