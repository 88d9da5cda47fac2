"""Face bounding boxes (from the visible face area and from the 68 landmarks) and pupil centres.

Boxes are [x0, y0, x1, y1] in pixels with (0, 0) at the centre of the top-left pixel, like every
pixel coordinate of facesynth; a mask box runs along the outer edges of its pixels. The pupil
centres (subject's right eye first, then left, as iBUG orders the eyes) turn the 68 points into
the 70-point convention of Microsoft's Face Synthetics.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.assets.regions import IRIS, SCLERA
from facesynth.geometry.camera import Camera
from facesynth.geometry.landmarks import Landmarks
from facesynth.geometry.raster import Raster


def visible_face_area(raster: Raster, solid_triangles: np.ndarray, pack: FacePack) -> np.ndarray:
    """(H, W) bool: pixels where the nearest solid surface belongs to the pack's face area (a
    groomed sample's raster also holds hair and accessory triangles, ids from len(solid_triangles))."""
    covered = raster.covered & (raster.tri_id < len(solid_triangles))
    out = np.zeros(covered.shape, dtype=bool)
    poly = np.asarray(pack.tri_polygon)[solid_triangles[raster.tri_id[covered]]]
    out[covered] = np.asarray(pack.face_area, dtype=bool)[poly]
    return out


def mask_box(mask: np.ndarray) -> list[float]:
    """Outer pixel edges of the True pixels; [] when there are none."""
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return []
    return [float(cols.min()) - 0.5, float(rows.min()) - 0.5, float(cols.max()) + 0.5, float(rows.max()) + 0.5]


def points_box(uv: np.ndarray) -> list[float]:
    """Box around every given point (visible or not); [] for no points."""
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    if uv.size == 0:
        return []
    return [float(uv[:, 0].min()), float(uv[:, 1].min()), float(uv[:, 0].max()), float(uv[:, 1].max())]


def iris_vertex_sets(pack: FacePack) -> tuple[np.ndarray, np.ndarray] | None:
    """Vertex ids of the (subject's right, left) iris, split by the sign of model-frame x (the
    subject's left is +x: the face looks along +z with +y up); None for a pack without two irises."""
    offsets = np.asarray(pack.poly_offsets)
    corner_iris = np.repeat(np.asarray(pack.poly_region) == IRIS, np.diff(offsets))
    ids = np.unique(np.asarray(pack.poly_vertices)[corner_iris])
    x = np.asarray(pack.neutral_mm)[ids, 0]
    right, left = ids[x < 0], ids[x > 0]
    return (right, left) if right.size and left.size else None


def pupil_centres(pack: FacePack, vertices_cam: np.ndarray, camera: Camera, mask: np.ndarray) -> Landmarks | None:
    """The two pupil centres (the mean of each posed iris), projected. Visible when the surface seen
    at that point is the eye itself (iris or sclera), not a lid, the nose or the image border: an
    iris centroid lies behind the cornea of an eyeball mesh, so a depth test would always hide it."""
    sets = iris_vertex_sets(pack)
    if sets is None:
        return None
    v = np.asarray(vertices_cam, dtype=np.float64)
    centres = np.stack([v[ids].mean(axis=0) for ids in sets])
    uv = camera.project(centres)
    col, row = np.round(uv[:, 0]).astype(np.int64), np.round(uv[:, 1]).astype(np.int64)
    inside = (col >= 0) & (col < camera.width) & (row >= 0) & (row < camera.height)
    seen = np.zeros(2, dtype=bool)
    seen[inside] = np.isin(mask[row[inside], col[inside]], (IRIS, SCLERA))
    return Landmarks(uv=uv, xyz_cam=centres, visible=seen, surface_depth_mm=np.full(2, np.nan))
