"""A shirt on neck and shoulders, as plain numpy geometry in the pack's model frame (mm).

Built per sample from the posed (identity + expression) vertices, so it fits every neck: rings of
a tube run from a collar around the neck down over the shoulders to well below the bust, and each
ring is pushed out to enclose the head mesh's own neck and bust with a few mm of clearance. Blender
renders exactly these vertices and the label pass rasterises exactly these triangles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facesynth.assets import parsing as P

SEGMENTS = 72
CLEARANCE_MM = 3.0
SHOULDER_HALF_WIDTH_MM = 215.0
CHEST_HALF_DEPTH_MM = 115.0
DROP_BELOW_COLLAR_MM = 480.0
"""The shirt runs this far below its collar: past the bottom of any framing the recipes use."""
SHOULDER_DROP_MM = 110.0
"""How far below the collar the shoulders reach their full width."""
# collar height as a fraction of the chin -> lowest-neck-vertex distance, and the collar band
STYLES: dict[str, tuple[float, float]] = {
    "turtleneck": (0.30, 14.0),
    "collar": (0.50, 9.0),
    "crew": (0.72, 5.0),
}


@dataclass(frozen=True, eq=False)
class ClothingMesh:
    vertices: np.ndarray
    """(N,3) float64, the pack's model frame, mm."""
    triangles: np.ndarray
    """(T,3) int64, counter-clockwise seen from outside."""
    quads: np.ndarray
    """(Q,4) int64, the same surface as quads (Blender renders these)."""
    collar_y_mm: float
    """Height of the collar seam in the face frame (facesynth.assets.parsing.face_frame); below
    it (minus the band) no part of the head may show."""


def neck_vertex_mask(pack: Any) -> np.ndarray:
    """(V,) bool: vertices of the pack's neck polygons (parsing class 'neck')."""
    cls = P.polygon_classes(pack)
    offsets = np.asarray(pack.poly_offsets)
    per_corner = np.repeat(cls == P.NECK, np.diff(offsets))
    mask = np.zeros(pack.n_vertices, dtype=bool)
    mask[np.asarray(pack.poly_vertices)[per_corner]] = True
    return mask


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def build_clothing(pack: Any, vertices_model: np.ndarray, style: str, neck_mask: np.ndarray | None = None,
                   ) -> ClothingMesh:
    """The shirt for one posed head. `neck_mask` (from neck_vertex_mask) may be cached by callers."""
    v = np.asarray(vertices_model, dtype=np.float64)
    lm_idx = np.asarray(pack.landmarks_68).reshape(-1)
    rot, origin = P.face_frame(pack, v[lm_idx])
    p = (v - origin) @ rot.T  # x right, y up, z forward (face frame)
    neck = neck_mask if neck_mask is not None else neck_vertex_mask(pack)
    body = p[neck]
    chin_y = p[lm_idx[8], 1]
    bottom_y = body[:, 1].min()
    frac, band = STYLES[style]
    collar_y = chin_y - frac * (chin_y - bottom_y)
    near = body[np.abs(body[:, 1] - collar_y) < 8.0]
    centre = np.array([near[:, 0].mean(), near[:, 2].mean()])

    # ring heights: a folded collar band, then down to the shoulders and below
    top = np.array([collar_y + band, collar_y + band])
    below = collar_y - np.concatenate([np.linspace(0.0, SHOULDER_DROP_MM, 10),
                                       np.linspace(SHOULDER_DROP_MM + 25.0, DROP_BELOW_COLLAR_MM, 8)])
    heights = np.concatenate([top, below])
    theta = np.linspace(0.0, 2.0 * np.pi, SEGMENTS, endpoint=False)
    dirs = np.stack([np.sin(theta), np.cos(theta)], axis=1)  # (x, z): theta 0 = front

    # envelope: the farthest head-mesh point per (ring, sector), so nothing pokes through
    rel = body[:, [0, 2]] - centre
    sector = np.round(np.arctan2(rel[:, 0], rel[:, 1]) / (2 * np.pi) * SEGMENTS).astype(int) % SEGMENTS
    radius = np.linalg.norm(rel, axis=1)
    neck_r = np.full(SEGMENTS, 0.0)
    at_collar = np.abs(body[:, 1] - collar_y) < 5.0  # a thin band: a snug collar on a leaning neck
    np.maximum.at(neck_r, sector[at_collar], radius[at_collar])
    neck_r = np.maximum(neck_r, np.median(neck_r[neck_r > 0]) if (neck_r > 0).any() else 60.0)
    neck_r = np.convolve(np.r_[neck_r[-2:], neck_r, neck_r[:2]], np.ones(5) / 5, mode="valid")

    rings = []
    for k, h in enumerate(heights):
        depth = collar_y - h
        w = _smoothstep(depth / SHOULDER_DROP_MM)
        # torso: a superellipse (squarish shoulders), centred a little behind the neck
        n_exp = 2.4
        ct, st = dirs[:, 1], dirs[:, 0]
        torso = (np.abs(st / SHOULDER_HALF_WIDTH_MM) ** n_exp
                 + np.abs(ct / CHEST_HALF_DEPTH_MM) ** n_exp) ** (-1 / n_exp)
        r = (1 - w) * (neck_r + CLEARANCE_MM + 2.0) + w * torso
        if k == 0:  # the collar's rolled edge
            r = neck_r + CLEARANCE_MM + 1.0
        # every head point between this ring and its neighbours: with both neighbours enclosing
        # it, the straight shirt panel between two rings encloses it too
        reach = max(np.abs(heights[max(k - 1, 0)] - h), np.abs(heights[min(k + 1, len(heights) - 1)] - h), 5.0)
        slab = body[np.abs(body[:, 1] - h) <= reach]
        if len(slab):
            srel = slab[:, [0, 2]] - centre
            ssec = np.round(np.arctan2(srel[:, 0], srel[:, 1]) / (2 * np.pi) * SEGMENTS).astype(int) % SEGMENTS
            env = np.zeros(SEGMENTS)
            np.maximum.at(env, ssec, np.linalg.norm(srel, axis=1))
            env = np.maximum.reduce([env, np.roll(env, 1), np.roll(env, -1)])
            r = np.maximum(r, env + CLEARANCE_MM)
        xz = centre + dirs * r[:, None]
        rings.append(np.stack([xz[:, 0], np.full(SEGMENTS, h), xz[:, 1]], axis=1))
    pts = np.concatenate(rings)
    verts_model = pts @ rot + origin

    n_rings = len(heights)
    i = np.arange(n_rings - 1)[:, None] * SEGMENTS
    j = np.arange(SEGMENTS)[None, :]
    a = (i + j).ravel()
    b = (i + (j + 1) % SEGMENTS).ravel()
    c, d = a + SEGMENTS, b + SEGMENTS
    # ring k+1 is below ring k; theta grows from front toward +x (the face frame's right):
    # (a, c, d, b) runs counter-clockwise seen from outside
    quads = np.stack([a, c, d, b], axis=1)
    outward = _orient(verts_model, quads, rot)
    quads = quads if outward else quads[:, ::-1]
    tris = np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    return ClothingMesh(vertices=verts_model, triangles=tris.astype(np.int64), quads=quads.astype(np.int64),
                        collar_y_mm=float(collar_y))


def _orient(v: np.ndarray, quads: np.ndarray, rot: np.ndarray) -> bool:
    """True when the quads' winding gives normals pointing away from the body axis."""
    q = quads[len(quads) // 2]
    n = np.cross(v[q[1]] - v[q[0]], v[q[2]] - v[q[0]])
    axis_pt = v[quads[:, 0]].mean(axis=0)
    return float(n @ (v[q[0]] - axis_pt)) > 0.0
