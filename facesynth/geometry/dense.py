"""Dense landmarks: a fixed vertex set of the face pack, projected like the 68.

The default set is a roughly uniform spread over the pack's face area (the polygons of its
position-map face area): farthest-point sampling on the neutral mesh, seeded at the vertex nearest
the area's centroid. It depends only on the pack's neutral mesh and face area, so the same vertex
ids mark the same anatomical points in every identity and expression of that pack.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.errors import UserError

DEFAULT_COUNT = 500
VERTEX_SET_VERSION = "facesynth-fps/1"
"""Names the selection rule: a new rule gets a new name, so datasets say which one they used."""

_CACHE: dict[tuple[str, int, int], np.ndarray] = {}


def face_area_vertices(pack: FacePack) -> np.ndarray:
    """Sorted ids of the vertices of the pack's face-area polygons."""
    offsets = np.asarray(pack.poly_offsets)
    counts = np.diff(offsets)
    corner_in_area = np.repeat(np.asarray(pack.face_area, dtype=bool), counts)
    return np.unique(np.asarray(pack.poly_vertices)[corner_in_area])


def farthest_points(points: np.ndarray, count: int, start: int) -> np.ndarray:
    """Indices of `count` points, each the farthest (Euclidean) from those chosen before; ties go
    to the lowest index, so the choice is deterministic."""
    p = np.asarray(points, dtype=np.float64)
    chosen = np.empty(min(count, len(p)), dtype=np.int64)
    dist = np.full(len(p), np.inf)
    nxt = start
    for k in range(len(chosen)):
        chosen[k] = nxt
        dist = np.minimum(dist, np.einsum("ij,ij->i", p - p[nxt], p - p[nxt]))
        nxt = int(np.argmax(dist))
    return chosen


def default_vertex_ids(pack: FacePack, count: int = DEFAULT_COUNT) -> np.ndarray:
    """(count,) int64 vertex ids spread evenly over the face area of `pack` (cached per pack)."""
    key = (pack.sha256 or pack.name, id(pack) if not pack.sha256 else 0, count)
    if key not in _CACHE:
        ids = face_area_vertices(pack)
        pts = np.asarray(pack.neutral_mm, dtype=np.float64)[ids]
        start = int(np.argmin(np.linalg.norm(pts - pts.mean(axis=0), axis=1)))
        _CACHE[key] = ids[farthest_points(pts, count, start)]
        _CACHE[key].flags.writeable = False
    return _CACHE[key]


def dense_vertex_ids(pack: FacePack, count: int, vertex_ids: tuple[int, ...] = ()) -> np.ndarray:
    """The recipe's own vertex ids when given (checked against the pack), else the default set."""
    if not vertex_ids:
        return default_vertex_ids(pack, count)
    ids = np.asarray(vertex_ids, dtype=np.int64)
    bad = np.flatnonzero((ids < 0) | (ids >= pack.n_vertices))
    if bad.size:
        raise UserError(f"dense_landmarks.vertex_ids[{int(bad[0])}] = {int(ids[bad[0]])} is not a vertex of face "
                        f"pack {pack.name!r} (it has {pack.n_vertices})")
    return ids
