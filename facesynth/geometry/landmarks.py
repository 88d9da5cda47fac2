"""68 facial landmarks: pixel positions, camera-frame 3D points and depth-test visibility."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry.camera import Camera
from facesynth.geometry.raster import sample_depth, screen_vertices

VISIBILITY_TOLERANCE_MM = 3.0
"""How far in front of a landmark a surface may be before it counts as occluding it."""


@dataclass(frozen=True, eq=False)
class Landmarks:
    uv: np.ndarray
    """(68,2) float64 pixel coordinates, (0, 0) = centre of the top-left pixel."""
    xyz_cam: np.ndarray
    """(68,3) float64 camera frame, mm."""
    visible: np.ndarray
    """(68,) bool: inside the image and not occluded (depth test)."""
    surface_depth_mm: np.ndarray
    """(68,) float64: nearest surface depth exactly at each landmark's image point (inf: none)."""


def visibility(
    points_cam: np.ndarray,
    uv: np.ndarray,
    surface_depth: np.ndarray,
    width: int,
    height: int,
    tol_mm: float = VISIBILITY_TOLERANCE_MM,
) -> np.ndarray:
    """A point is visible when it lies inside the image and the nearest surface at its exact image
    position is not more than `tol_mm` in front of it."""
    uv = np.asarray(uv, dtype=np.float64)
    z = np.asarray(points_cam, dtype=np.float64)[:, 2]
    inside = (uv[:, 0] >= -0.5) & (uv[:, 0] < width - 0.5) & (uv[:, 1] >= -0.5) & (uv[:, 1] < height - 0.5)
    return inside & (np.asarray(surface_depth, dtype=np.float64) >= z - tol_mm)


def compute_landmarks(
    vertices_cam: np.ndarray,
    landmark_ids: np.ndarray,
    camera: Camera,
    triangles: np.ndarray,
    tol_mm: float = VISIBILITY_TOLERANCE_MM,
) -> Landmarks:
    """Landmarks of posed camera-frame vertices; `triangles` are the occluders (solid geometry).

    The depth test samples the surface at each landmark's exact sub-pixel position (as if a pixel
    were centred there) rather than at the nearest pixel centre: at grazing angles, near the
    silhouette, depth changes by many mm within one pixel.
    """
    ids = np.asarray(landmark_ids)
    xy, z, tris, _ = screen_vertices(vertices_cam, triangles, camera)
    pts = np.asarray(vertices_cam, dtype=np.float64)[ids]
    uv = xy[ids]  # the very coordinates the occluder test uses
    surface = sample_depth(xy, z, tris, uv, perspective=camera.is_perspective)
    return Landmarks(uv=uv, xyz_cam=pts, visible=visibility(pts, uv, surface, camera.width, camera.height, tol_mm),
                     surface_depth_mm=surface)
