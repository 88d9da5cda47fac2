"""The 68 iBUG / Multi-PIE landmark vertices of the built-in head, chosen on the neutral mesh.

Order (0-indexed): 0-16 face contour from the subject's right (-X) to left, 17-21 right brow
(outer to inner), 22-26 left brow (inner to outer), 27-30 nose bridge down to the tip, 31-35
nostril base from right to left, 36-41 right eye and 42-47 left eye (each clockwise in the image
from the outer/inner corner: corner, two upper-lid points, corner, two lower-lid points), 48-59
outer lip contour from the right corner, 60-67 inner lip contour. Eye and inner-lip points sit
on the slits' margin rows, so lids and lips carry them when they move.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets.builtin_head.grid import MOUTH_Y, ROW_SKIN, Grid


def _on_row(grid: Grid, v: np.ndarray, row: int, x: float) -> int:
    """The front-facing vertex of `row` whose x is nearest `x`."""
    cols = np.flatnonzero(np.cos(grid.col_phi) > 0)
    ids = grid.vid(row, cols)
    return int(ids[np.argmin(np.abs(v[ids, 0] - x))])


def _nearest_xy(v: np.ndarray, candidates: np.ndarray, x: float, y: float) -> int:
    d = (v[candidates, 0] - x) ** 2 + (v[candidates, 1] - y) ** 2
    return int(candidates[np.argmin(d)])


def landmarks_68(grid: Grid, v: np.ndarray, eye_x: float, mouth_half_width: float) -> np.ndarray:
    n = grid.n_cols
    rows = np.repeat(np.arange(grid.n_rows), n)
    cols = np.tile(np.arange(n), grid.n_rows)
    ring = v[: grid.n_ring_vertices]
    skin = (grid.row_kind[rows] == ROW_SKIN) & (np.cos(grid.col_phi[cols]) > 0.25)
    front = np.flatnonzero(skin)

    out: list[int] = []
    # Contour: nearest vertices to 17 points spaced evenly along the mandible, right to left.
    half = np.array([(0, -118.5, 79), (26, -114, 74), (47, -104, 56), (60, -86, 30), (68, -50, 25), (70, -18, 20)])
    path = np.concatenate([half[::-1] * (-1, 1, 1), half[1:]]).astype(np.float64)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    at = np.linspace(0.0, arc[-1], 17)
    for target in np.stack([np.interp(at, arc, path[:, k]) for k in range(3)], axis=1):
        out.append(int(front[np.argmin(np.linalg.norm(ring[front] - target, axis=1))]))
    # Brows: along the brow ridge, outer to inner on the right, mirrored on the left.
    brow = [(-52.0, 15.0), (-43.0, 20.0), (-33.0, 22.5), (-23.0, 22.0), (-14.0, 19.0)]
    out += [_nearest_xy(ring, front, x, y) for x, y in brow]
    out += [_nearest_xy(ring, front, -x, y) for x, y in reversed(brow)]
    # Nose: bridge on the midline, tip = most forward midline vertex, then the nostril base.
    mid = grid.vid(np.flatnonzero(grid.row_kind == ROW_SKIN), n // 2)
    for y in (6.0, -7.0, -20.0):
        out.append(int(mid[np.argmin(np.abs(ring[mid, 1] - y))]))
    nose = mid[(ring[mid, 1] < -10) & (ring[mid, 1] > -50)]
    out.append(int(nose[np.argmax(ring[nose, 2])]))
    out += [_nearest_xy(ring, front, x, y) for x, y in ((-11, -45), (-5.5, -46.5), (0, -47.5), (5.5, -46.5), (11, -45))]
    # Eyes: on the eye slit's margin rows.
    lo, up = grid.eye_rows
    corner = 13.6
    for sign in (-1.0, 1.0):  # right eye (-X) first
        c = sign * eye_x
        # Left to right in the image along the upper lid, then back along the lower lid.
        pts = [(up, c - corner), (up, c - 5), (up, c + 5), (up, c + corner), (lo, c + 5), (lo, c - 5)]
        out += [_on_row(grid, ring, r, x) for r, x in pts]
    # Mouth: outer contour from the right corner along the upper lip, then back along the lower.
    lo, up = grid.mouth_rows
    mw = mouth_half_width
    out.append(_on_row(grid, ring, up, -mw))
    upper = [(-15.0, MOUTH_Y + 6.5), (-6.0, MOUTH_Y + 8.5), (0.0, MOUTH_Y + 7.8)]
    out += [_nearest_xy(ring, front, x, y) for x, y in upper]
    out += [_nearest_xy(ring, front, -x, y) for x, y in reversed(upper[:2])]
    out.append(_on_row(grid, ring, up, mw))
    lower = [(15.0, MOUTH_Y - 9.0), (6.0, MOUTH_Y - 11.0), (0.0, MOUTH_Y - 11.5)]
    out += [_nearest_xy(ring, front, x, y) for x, y in lower]
    out += [_nearest_xy(ring, front, -x, y) for x, y in reversed(lower[:2])]
    inner = mw - 3.0
    out += [_on_row(grid, ring, up, x) for x in (-inner, -9.0, 0.0, 9.0, inner)]
    out += [_on_row(grid, ring, lo, x) for x in (9.0, 0.0, -9.0)]
    assert len(out) == 68
    return np.array(out, dtype=np.int32)
