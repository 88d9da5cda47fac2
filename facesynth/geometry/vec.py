"""Small vector helpers with a fixed order of additions.

numpy's SIMD reductions (sum, mean, norm, einsum) may add in an order that depends on how an
array happens to be aligned in memory, so the same inputs can give results differing in the last
bit from run to run. Grown geometry must be identical on every run (labels are compared byte for
byte), so its hot paths add explicitly, component by component, or with cumsum (sequential).
"""

from __future__ import annotations

import numpy as np


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot product over the last axis (length 3)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def norm(a: np.ndarray) -> np.ndarray:
    """Euclidean length over the last axis (length 3)."""
    return np.sqrt(dot(a, a))


def unit(a: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    return a / np.maximum(norm(a), eps)[..., None]


def weighted(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_k w[n, k] * x[n, k, ...], k added in order."""
    out = np.zeros(x.shape[:1] + x.shape[2:])
    extra = (slice(None),) + (None,) * (x.ndim - 2)
    for k in range(w.shape[1]):
        out = out + w[:, k][extra] * x[:, k]
    return out


def total(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """Sum along an axis in sequence (cumsum), whatever the memory layout."""
    return np.take(np.cumsum(a, axis=axis), -1, axis=axis)


def mean(a: np.ndarray, axis: int = 0) -> np.ndarray:
    return total(a, axis) / a.shape[axis]
