"""Strand sets and meshes that sit on a head: the one geometry both Blender and the labels use.

A `StrandSet` is N strands of P points each, grown on the subject's identity shape (no
expression) and attached to the face pack by barycentric roots: each root is a weighted sum of
three vertices. Posing moves every strand by its root's displacement under the sample's
expression, so brows rise with `browInnerUp` and a beard follows the jaw. A `GroomMesh` (lenses,
headwear) is rigid in the model frame.

Blender draws strands as Cycles curve ribbons of the given radius, facing the camera; the label
pass rasterises the very same ribbons (`ribbon_triangles`), so masks, depth and landmark
visibility see what the camera sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry import vec


@dataclass(frozen=True, eq=False)
class StrandSet:
    name: str
    """'hair', 'eyebrows', 'beard', 'eyelashes', 'glasses_frame' (also the Blender object name)."""
    material: str
    """Shader the renderer gives it: 'hair' (Principled Hair BSDF) or 'frame'."""
    points: np.ndarray
    """(N,P,3) float64, model frame, mm, on the identity shape."""
    radius: np.ndarray
    """(N,P) float64 mm."""
    region: np.ndarray
    """(N,) uint8 region id per strand (facesynth.assets.regions)."""
    root_vertices: np.ndarray
    """(N,3) int64 pack vertex ids the root is attached to."""
    root_weights: np.ndarray
    """(N,3) float64 barycentric weights (rows sum to 1)."""
    solid: bool = True
    """False for see-through strands (eyelashes) that never occlude a label."""

    @property
    def n_strands(self) -> int:
        return int(self.points.shape[0])

    def posed(self, rest_vertices: np.ndarray, posed_vertices: np.ndarray) -> StrandSet:
        """The strands moved with their roots from the identity shape to the sample's vertices."""
        if self.n_strands == 0:
            return self
        shift = vec.weighted(self.root_weights, np.asarray(posed_vertices, np.float64)[self.root_vertices]
                             - np.asarray(rest_vertices, np.float64)[self.root_vertices])
        return StrandSet(self.name, self.material, self.points + shift[:, None, :], self.radius, self.region,
                         self.root_vertices, self.root_weights, self.solid)


@dataclass(frozen=True, eq=False)
class GroomMesh:
    name: str
    material: str
    """'lens_clear', 'lens_sun' or 'knit'."""
    vertices: np.ndarray
    """(V,3) float64 model frame mm."""
    triangles: np.ndarray
    """(T,3) int64, counter-clockwise seen from outside."""
    region: int
    solid: bool = True


@dataclass(frozen=True, eq=False)
class GroomGeometry:
    """Everything grown on one subject (or posed for one sample)."""

    strands: tuple[StrandSet, ...] = ()
    meshes: tuple[GroomMesh, ...] = ()

    def posed(self, rest_vertices: np.ndarray, posed_vertices: np.ndarray) -> GroomGeometry:
        return GroomGeometry(tuple(s.posed(rest_vertices, posed_vertices) for s in self.strands), self.meshes)

    def strand_set(self, name: str) -> StrandSet | None:
        return next((s for s in self.strands if s.name == name), None)


def ribbon_triangles(points_cam: np.ndarray, radius: np.ndarray,
                     camera_centre: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Camera-facing ribbons of strands given in the camera frame (mm).

    points_cam (N,P,3), radius (N,P). Each point becomes two vertices at +-radius along
    tangent x view direction (view = the ray from the camera centre, or +z for an orthographic
    camera when `camera_centre` is None); each segment two triangles. Returns (vertices (N*P*2, 3),
    triangles (N*(P-1)*2, 3)), triangle k belonging to strand k // (2*(P-1)).
    """
    p = np.asarray(points_cam, dtype=np.float64)
    n, pts = p.shape[:2]
    if n == 0 or pts < 2:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    tangent = np.empty_like(p)
    tangent[:, 1:-1] = p[:, 2:] - p[:, :-2]
    tangent[:, 0] = p[:, 1] - p[:, 0]
    tangent[:, -1] = p[:, -1] - p[:, -2]
    view = p if camera_centre is not None else np.broadcast_to(np.array([0.0, 0.0, 1.0]), p.shape)
    if camera_centre is not None:
        view = p - np.asarray(camera_centre, dtype=np.float64)
    side = np.cross(tangent, view)
    length = vec.norm(side)[..., None]
    side = np.divide(side, length, out=np.zeros_like(side), where=length > 0) * np.asarray(radius)[..., None]
    verts = np.stack([p - side, p + side], axis=2).reshape(-1, 3)  # vertex 2*(i*P+j)+{0,1}
    base = (np.arange(n)[:, None] * pts + np.arange(pts - 1)[None, :]).reshape(-1) * 2
    a, b, c, d = base, base + 1, base + 2, base + 3
    tris = np.stack([np.stack([a, c, b], 1), np.stack([b, c, d], 1)], axis=1).reshape(-1, 3)
    return verts, tris.astype(np.int64)
