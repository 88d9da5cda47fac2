"""Change-only assignment into Blender properties.

Blender tags a data-block for re-sync on every RNA write, even of the value it already holds, and
Cycles then redoes the work behind it (a world write rebuilds the HDRI importance map, a material
write recompiles shaders). Writing only what changed keeps the persistent scene's caches valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_writes = 0


def write_count() -> int:
    """How many property writes `assign`/`assign_matrix` made in this process (for tests, stats)."""
    return _writes


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, str | bool | int) and not isinstance(new, float):
        return old == new
    try:
        a = np.asarray(old, dtype=np.float64)
        b = np.asarray(new, dtype=np.float64)
    except (TypeError, ValueError):
        return old == new
    # Blender stores float32: compare at float32 precision
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-7))


def assign(owner: Any, attr: str, value: Any) -> bool:
    """`owner.attr = value` unless it already holds that value; True when written."""
    global _writes
    if _same(getattr(owner, attr), value):
        return False
    setattr(owner, attr, value)
    _writes += 1
    return True


def assign_matrix(obj: Any, matrix: Sequence[Sequence[float]] | np.ndarray) -> bool:
    """`obj.matrix_world = matrix` (4x4 rows, metres) unless unchanged."""
    global _writes
    m = np.asarray(matrix, dtype=np.float64)
    if np.allclose(np.array(obj.matrix_world), m, rtol=1e-6, atol=1e-7):  # float32 in Blender
        return False
    from facesynth.render.units import blender_matrix

    obj.matrix_world = blender_matrix(m)
    _writes += 1
    return True
