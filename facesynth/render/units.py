"""The one place where facesynth's millimetres become Blender's metres (and back)."""

from __future__ import annotations

import numpy as np

M_PER_MM = 0.001
MM_PER_M = 1000.0


def points_to_m(points_mm: np.ndarray) -> np.ndarray:
    """(N, 3) mm -> flat float32 metres, the layout `foreach_set('co', ...)` wants."""
    return (np.asarray(points_mm, dtype=np.float64) * M_PER_MM).astype(np.float32).ravel()


def matrix_to_m(matrix_mm: np.ndarray) -> np.ndarray:
    """A rigid 4x4 transform between mm frames -> the same transform between metre frames.

    Rotation is unit-free; only the translation column scales.
    """
    m = np.array(matrix_mm, dtype=np.float64, copy=True)
    if m.shape != (4, 4):
        raise ValueError(f"expected a 4x4 matrix, got shape {m.shape}")
    m[:3, 3] *= M_PER_MM
    return m


def length_to_m(length_mm: float) -> float:
    return float(length_mm) * M_PER_MM


def depth_to_mm(depth_m: np.ndarray) -> np.ndarray:
    """Blender's Depth pass (metres, 1e10 where nothing is hit) -> float32 mm, 0 = no surface."""
    d = np.asarray(depth_m, dtype=np.float64)
    out = np.where(d < 1e9, d * MM_PER_M, 0.0)
    return out.astype(np.float32)


def blender_matrix(m: np.ndarray):  # -> mathutils.Matrix (only importable with bpy)
    """A numpy 4x4 -> mathutils.Matrix (rows), for `obj.matrix_world`."""
    import mathutils

    return mathutils.Matrix(np.asarray(m, dtype=np.float64).tolist())
