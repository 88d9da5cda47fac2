"""PRN's loss weight mask, built from the face pack's UV layout and 68 landmark vertices.

Weights (PRN): the 68 landmarks : eyes, nose, mouth : the rest of the face : neck and outside
= 16 : 4 : 3 : 0. The face area is the position map's coverage; eyes, nose and mouth are the
convex hulls of their landmark groups in UV space (iBUG 36-47, 27-35, 48-59), grown by 2 % of
the map; each landmark marks the texels within 1 % of the map (at least the nearest texel).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.path import Path as PolyPath
from scipy.spatial import ConvexHull

WEIGHTS = {"landmark": 16.0, "eyes_nose_mouth": 4.0, "face": 3.0, "other": 0.0}
GROUPS = {"right_eye": range(36, 42), "left_eye": range(42, 48), "nose": range(27, 36), "mouth": range(48, 60)}


def landmark_texels(pack: Any, size: int) -> np.ndarray:
    """(68,2) texel coordinates (col, row) of the landmark vertices in a size x size position map,
    with facesynth's texel convention (col = u S - 0.5, row = (1 - v) S - 0.5); NaN for a landmark
    whose vertex lies outside the face area (e.g. the built-in head's jaw line)."""
    face_tris = np.flatnonzero(np.asarray(pack.face_area)[pack.tri_polygon])
    tris = np.asarray(pack.triangles)[face_tris]
    uv = np.asarray(pack.tri_uv, np.float64)[face_tris]
    tile = np.floor(uv.reshape(-1, 2).min(axis=0))  # face area in another UV tile -> unit square
    if (uv.reshape(-1, 2).max(axis=0) - tile <= 1.0).all():
        uv = uv - tile
    out = np.full((68, 2), np.nan)
    for i, vid in enumerate(np.asarray(pack.landmarks_68).reshape(-1)):
        hit = np.argwhere(tris == vid)
        if len(hit) == 0:
            continue
        u, v = uv[hit[0, 0], hit[0, 1]]
        out[i] = (u * size - 0.5, (1.0 - v) * size - 0.5)
    return out


def prn_weight_mask(pack: Any, size: int, coverage: np.ndarray) -> np.ndarray:
    """(S,S) float32 weights for `posmap_loss` (coverage: the position map's (S,S) face-area mask)."""
    cov = np.asarray(coverage, bool)
    w = np.where(cov, WEIGHTS["face"], WEIGHTS["other"]).astype(np.float32)
    lm = landmark_texels(pack, size)
    rows, cols = np.mgrid[0:size, 0:size]
    centres = np.c_[cols.ravel(), rows.ravel()].astype(np.float64)
    grow = 0.02 * size
    for ids in GROUPS.values():
        pts = lm[list(ids)]
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts) < 3:
            continue
        hull = pts[ConvexHull(pts).vertices]
        c = hull.mean(axis=0)
        d = hull - c
        grown = c + d * (1.0 + grow / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9))
        inside = PolyPath(grown).contains_points(centres).reshape(size, size)
        w[inside & cov] = WEIGHTS["eyes_nose_mouth"]
    radius = max(0.01 * size, 0.5)
    for x, y in lm[np.isfinite(lm).all(axis=1)]:
        near = (cols - x) ** 2 + (rows - y) ** 2 <= radius**2
        near[int(np.clip(round(y), 0, size - 1)), int(np.clip(round(x), 0, size - 1))] = True
        w[near] = WEIGHTS["landmark"]
    return w
