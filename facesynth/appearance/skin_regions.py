"""Per-vertex weights of skin regions, from the face pack's landmarks and parsing classes.

The skin shader reads them as two colour attributes and uses them to vary colour (flushed cheeks
and nose, red lips, darker under-eyes), roughness (oily T-zone) and detail (forehead and crow's-feet
wrinkles, freckles on the cheeks and nose). Computed once per pack on the neutral mesh, so the
weights ride along with every identity and expression.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.assets import parsing as P

ATTR_A = "facesynth_skin_a"
"""(flush, lips, under-eye, T-zone)"""
ATTR_B = "facesynth_skin_b"
"""(forehead, crow's feet, freckle zone, unused)"""


def _gauss(p: np.ndarray, centre: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * (((p - centre) / sigma) ** 2).sum(axis=1))


def _vertex_share(pack: Any, poly_mask: np.ndarray) -> np.ndarray:
    """(V,) share of each vertex's polygons that are in `poly_mask` (0..1)."""
    offsets = np.asarray(pack.poly_offsets)
    verts = np.asarray(pack.poly_vertices)
    per_corner = np.repeat(poly_mask.astype(np.float64), np.diff(offsets))
    hits = np.bincount(verts, per_corner, minlength=pack.n_vertices)
    total = np.bincount(verts, minlength=pack.n_vertices)
    return np.divide(hits, total, out=np.zeros(pack.n_vertices), where=total > 0)


def skin_region_weights(pack: Any) -> tuple[np.ndarray, np.ndarray]:
    """((V,4), (V,4)) float32 weights in [0, 1] for ATTR_A and ATTR_B (zeros without landmarks)."""
    n = pack.n_vertices
    a, b = np.zeros((n, 4)), np.zeros((n, 4))
    lm_idx = np.asarray(pack.landmarks_68).reshape(-1)
    if len(lm_idx) != 68:
        return a.astype(np.float32), b.astype(np.float32)
    v = np.asarray(pack.neutral_mm, dtype=np.float64)
    rot, origin = P.face_frame(pack, v[lm_idx])
    lm = (v[lm_idx] - origin) @ rot.T
    p = (v - origin) @ rot.T
    front = np.clip((p[:, 2] - lm[0, 2]) / 15.0, 0.0, 1.0)  # fade out toward the ears
    cls = P.polygon_classes(pack)
    cheek_r = 0.5 * (lm[2] + lm[31]) + np.array([0.0, 6.0, 0.0])
    cheek_l = 0.5 * (lm[14] + lm[35]) + np.array([0.0, 6.0, 0.0])
    s_cheek = np.array([14.0, 12.0, 25.0])
    nose = _vertex_share(pack, cls == P.NOSE)
    a[:, 0] = np.clip(_gauss(p, cheek_r, s_cheek) + _gauss(p, cheek_l, s_cheek) + 0.6 * nose, 0, 1) * front
    a[:, 1] = _vertex_share(pack, np.isin(cls, (P.UPPER_LIP, P.LOWER_LIP)))
    s_eye = np.array([11.0, 4.5, 20.0])
    for eye in (lm[36:42], lm[42:48]):
        a[:, 2] += _gauss(p, eye.mean(axis=0) - np.array([0.0, 7.0, 0.0]), s_eye)
    brow_y = lm[17:27, 1].mean()
    forehead = np.clip((p[:, 1] - brow_y) / 10.0, 0, 1) * np.clip(1.0 - (p[:, 1] - brow_y - 55.0) / 20.0, 0, 1)
    forehead *= np.clip(1.0 - (np.abs(p[:, 0]) - 40.0) / 15.0, 0, 1) * front
    a[:, 3] = np.clip(forehead + nose, 0, 1)
    b[:, 0] = forehead
    for corner in (lm[36], lm[45]):
        side = np.sign(corner[0])
        b[:, 1] += _gauss(p, corner + np.array([side * 9.0, 0.0, -4.0]), np.array([6.0, 8.0, 10.0]))
    b[:, 2] = np.clip(_gauss(p, cheek_r, s_cheek * 1.6) + _gauss(p, cheek_l, s_cheek * 1.6) + nose, 0, 1) * front
    return np.clip(a, 0, 1).astype(np.float32), np.clip(b, 0, 1).astype(np.float32)
