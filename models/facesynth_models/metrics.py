"""Metrics in numpy (no torch): each docstring names its convention.

Depth metrics follow Eigen et al. (NIPS 2014), computed on the pixels of a mask; NME after a rigid
(Kabsch, no scale) alignment; ARMSE as in 3DFAW; CED as the share of samples at or below an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

# iBUG 68: outer eye corners (subject's right eye outer = 36, left eye outer = 45).
OUTER_EYE_CORNERS = (36, 45)


def depth_metrics(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Eigen's depth errors over `mask` (and gt > 0), depths in mm.

    AbsRel = mean |p - g| / g; SqRel = mean (p - g)^2 / g (mm); RMSE = sqrt(mean (p - g)^2) (mm);
    RMSE(log) = sqrt(mean (ln p - ln g)^2) with p clipped to >= 1e-3 mm; delta_k = share of pixels
    with max(p/g, g/p) < 1.25**k for k = 1, 2, 3.
    """
    m = np.asarray(mask, bool) & (np.asarray(gt) > 0)
    if not m.any():
        raise ValueError("depth_metrics: the mask selects no pixel with ground truth")
    g = np.asarray(gt, np.float64)[m]
    p = np.maximum(np.asarray(pred, np.float64)[m], 1e-3)
    diff = p - g
    ratio = np.maximum(p / g, g / p)
    return {
        "abs_rel": float(np.mean(np.abs(diff) / g)),
        "sq_rel": float(np.mean(diff**2 / g)),
        "rmse": float(np.sqrt(np.mean(diff**2))),
        "rmse_log": float(np.sqrt(np.mean((np.log(p) - np.log(g)) ** 2))),
        "delta1": float(np.mean(ratio < 1.25)),
        "delta2": float(np.mean(ratio < 1.25**2)),
        "delta3": float(np.mean(ratio < 1.25**3)),
    }


def rigid_align(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """`src` (N,3) moved by the rotation and translation (Kabsch, no scale) that best fit it to `dst`."""
    a, b = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    u, _, vt = np.linalg.svd((a - ca).T @ (b - cb))
    d = np.sign(np.linalg.det(u @ vt))
    R = u @ np.diag([1.0, 1.0, d]) @ vt  # maps row vectors: (a - ca) @ R ~ (b - cb)
    return (a - ca) @ R + cb


def bbox_size(points: np.ndarray) -> float:
    """sqrt(w * h) of the 2D (x, y) bounding box of the ground-truth points."""
    p = np.asarray(points, np.float64)
    w, h = p[:, :2].max(axis=0) - p[:, :2].min(axis=0)
    return float(np.sqrt(w * h))


def outer_interocular(landmarks: np.ndarray) -> float:
    """Distance between the outer eye corners (iBUG 36 and 45) of 68 ground-truth landmarks."""
    lm = np.asarray(landmarks, np.float64)
    return float(np.linalg.norm(lm[OUTER_EYE_CORNERS[0]] - lm[OUTER_EYE_CORNERS[1]]))


def nme(pred: np.ndarray, gt: np.ndarray, norm: float, align: bool = True) -> float:
    """Mean per-point Euclidean error divided by `norm`, after rigid alignment of pred onto gt.

    Pass `bbox_size(gt)` (the PRN / AFLW2000-3D convention) or `outer_interocular(landmarks)` and
    say which. Points are (N,2) or (N,3); alignment is 3D only.
    """
    p, g = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if align and p.shape[1] == 3:
        p = rigid_align(p, g)
    if not norm > 0:
        raise ValueError(f"nme: normaliser must be positive, got {norm}")
    return float(np.mean(np.linalg.norm(p - g, axis=1)) / norm)


def armse(pred: np.ndarray, gt: np.ndarray, iod: float) -> float:
    """3DFAW's ARMSE: the mean of the two nearest-neighbour mean distances (pred -> gt and gt -> pred)
    divided by the outer inter-ocular distance. Point-to-point (vertex) distances, no alignment."""
    p, g = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    d_pg = cKDTree(g).query(p)[0].mean()
    d_gp = cKDTree(p).query(g)[0].mean()
    return float((d_pg + d_gp) / (2.0 * iod))


@dataclass(frozen=True)
class CED:
    """Cumulative error distribution: `fraction[i]` = share of errors <= `thresholds[i]`."""

    thresholds: np.ndarray
    fraction: np.ndarray

    def auc(self) -> float:
        """Area under the curve divided by the largest threshold (1 = every error is 0)."""
        t, f = self.thresholds, self.fraction
        return float(np.sum((f[1:] + f[:-1]) * np.diff(t)) / 2.0 / t[-1]) if len(t) > 1 else float(f[0])


def ced(errors: np.ndarray, max_error: float, steps: int = 101) -> CED:
    """The CED of a list of per-sample errors on `steps` thresholds from 0 to `max_error`."""
    e = np.sort(np.asarray(errors, np.float64))
    t = np.linspace(0.0, max_error, steps)
    return CED(t, np.searchsorted(e, t, side="right") / max(len(e), 1))


YAW_BINS = ((0.0, 30.0), (30.0, 60.0), (60.0, 90.0))


def yaw_bin(yaw_deg: float) -> str:
    """'0-30', '30-60' or '60-90' by |yaw| (the upper bound belongs to the lower bin; > 90 -> '60-90')."""
    a = abs(yaw_deg)
    for lo, hi in YAW_BINS:
        if a <= hi:
            return f"{lo:g}-{hi:g}"
    return "60-90"
