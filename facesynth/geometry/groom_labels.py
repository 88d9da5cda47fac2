"""The groom as label geometry: strand ribbons and accessory meshes as camera-frame triangles.

Cycles draws curves as camera-facing ribbons of the curve's radius; `ribbon_triangles` builds the
same ribbons, so the rasteriser's hair, brow, beard and frame pixels are those the render shows
at pixel centres. See-through parts (eyelashes, clear lenses) are left out: they never hide the
face in the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry import vec
from facesynth.geometry.pose import Posed
from facesynth.geometry.strands import GroomGeometry, ribbon_triangles


@dataclass(frozen=True, eq=False)
class GroomTriangles:
    vertices: np.ndarray
    """(V,3) camera frame, mm."""
    triangles: np.ndarray
    """(T,3) indices into vertices."""
    region: np.ndarray
    """(T,) uint8 region id per triangle."""
    parts: tuple[str, ...]
    """Names of the strand sets and meshes included (for metadata)."""


def groom_triangles(groom: GroomGeometry, posed: Posed) -> GroomTriangles:
    """Every solid strand set and mesh of a posed groom, in the camera frame."""
    verts, tris, regions, parts = [], [], [], []
    base = 0
    centre = np.zeros(3) if posed.camera.is_perspective else None
    for s in groom.strands:
        if not s.solid or s.n_strands == 0:
            continue
        n, p = s.points.shape[:2]
        pts = posed.to_camera(s.points.reshape(-1, 3)).reshape(n, p, 3)
        v, t = ribbon_triangles(pts, s.radius, centre)
        verts.append(v)
        tris.append(t + base)
        regions.append(np.repeat(s.region, 2 * (p - 1)))
        parts.append(s.name)
        base += len(v)
    for m in groom.meshes:
        if not m.solid:
            continue
        verts.append(posed.to_camera(m.vertices))
        tris.append(np.asarray(m.triangles, np.int64) + base)
        regions.append(np.full(len(m.triangles), m.region, np.uint8))
        parts.append(m.name)
        base += len(m.vertices)
    if not verts:
        return GroomTriangles(np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros(0, np.uint8), ())
    return GroomTriangles(np.vstack(verts), np.vstack(tris), np.concatenate(regions).astype(np.uint8), tuple(parts))


def facing_normals(vertices: np.ndarray, triangles: np.ndarray, perspective: bool) -> np.ndarray:
    """(T,3) unit face normals turned toward the camera (ribbons have no outside)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles)
    n = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    n = vec.unit(n, 1e-12)
    view = v[t[:, 0]] if perspective else np.array([[0.0, 0.0, 1.0]])
    flip = vec.dot(n, view) > 0  # facing away from the camera
    n[flip] *= -1
    return n
