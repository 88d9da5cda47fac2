"""Per-polygon layout of the built-in head: polygons, per-corner UVs and region ids.

UVs: the skin is unwrapped cylindrically with the seam at the back of the head, so the face sits
in the middle of the square (u from the column, denser on the face; v from the row's height
along the front profile). The neck's bottom cap and the two eyeballs (polar discs, iris in the
centre) share a strip along the bottom, below v = 0.13.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets import regions as rg
from facesynth.assets.builtin_head.grid import (
    EYEBALL_LAT,
    EYEBALL_LON,
    ROW_CAP,
    ROW_EYE_POCKET,
    ROW_MOUTH_POCKET,
    Grid,
    eyeball_polygons,
    skin_polygons,
)

V_HEAD0 = 0.13  # the head's UVs start above the strip of the cap and eyeballs
IRIS_BANDS = 3  # eyeball latitude bands (of 180/EYEBALL_LAT degrees) that are iris


def head_v(grid: Grid, t_eff: np.ndarray) -> np.ndarray:
    """(R,N) texture v of the ring vertices from their (lid-remapped) neutral front-profile t."""
    v = V_HEAD0 + (1.0 - V_HEAD0) * t_eff
    for kind, (lo, up) in ((ROW_EYE_POCKET, grid.eye_rows), (ROW_MOUTH_POCKET, grid.mouth_rows)):
        for r in np.flatnonzero(grid.row_kind == kind):
            v[r] = v[lo] + (v[up] - v[lo]) * grid.row_s[r]
    caps = grid.row_kind == ROW_CAP
    v[caps] = 0.11 + 0.02 * grid.row_s[caps][:, None]
    return v


def build_layout(
    grid: Grid, neutral: np.ndarray, t_eff: np.ndarray, mouth_half_width: float, eye_window: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """(polygon vertex-id arrays grouped by size, per-corner UV (C,2), region per polygon (F,)).

    `eye_window` (N,) is the eye slit's opening profile per column at rest (0 outside the eyes).
    """
    n = grid.n_cols
    quads, quad_cols, fans, fan_cols = skin_polygons(grid)
    v_ring = head_v(grid, t_eff).reshape(-1)
    v_all = np.concatenate([v_ring, [0.11, 1.0]])
    quad_uv = np.stack([quad_cols / n, v_all[quads]], axis=-1)
    fan_uv = np.stack([fan_cols / n, v_all[fans]], axis=-1)

    quad_region = _skin_regions(grid, neutral, quads, mouth_half_width, eye_window)
    fan_region = np.full(len(fans), rg.HEAD_NECK, dtype=np.uint8)

    first = grid.n_skin_vertices
    per_eye = 2 + (EYEBALL_LAT - 1) * EYEBALL_LON
    tris, tri_uv, tri_reg = [fans], [fan_uv], [fan_region]
    quad_list, quad_uv_list, quad_reg = [quads], [quad_uv], [quad_region]
    for e, centre_u in enumerate((0.15, 0.05)):  # subject's right eye, then left
        eq, ef, eb = eyeball_polygons(first + e * per_eye)
        uv = _eyeball_uv(centre_u)
        base = first + e * per_eye
        quad_list.append(eq)
        quad_uv_list.append(uv[eq - base])
        band = (np.arange(len(eq)) // EYEBALL_LON) + 1
        quad_reg.append(np.where(band < IRIS_BANDS, rg.IRIS, rg.SCLERA).astype(np.uint8))
        tris += [ef, eb]
        tri_uv += [uv[ef - base], _back_fan_uv(uv, eb - base, centre_u)]
        tri_reg += [np.full(len(ef), rg.IRIS, np.uint8), np.full(len(eb), rg.SCLERA, np.uint8)]
    polys = [np.concatenate(quad_list), np.concatenate(tris)]
    uv = np.concatenate([np.concatenate(quad_uv_list).reshape(-1, 2), np.concatenate(tri_uv).reshape(-1, 2)])
    region = np.concatenate([np.concatenate(quad_reg), np.concatenate(tri_reg)])
    return polys, uv, region


def _skin_regions(
    grid: Grid, neutral: np.ndarray, quads: np.ndarray, mouth_half_width: float, eye_window: np.ndarray
) -> np.ndarray:
    n = grid.n_cols
    centre = neutral[quads].mean(axis=1)
    row = quads[:, 0] // n
    col = quads[:, 0] % n
    phi = grid.col_phi[col] + 0.5 * np.diff(np.append(grid.col_phi, grid.col_phi[0] + 2 * np.pi))[col]
    front = np.cos(phi)
    region = np.full(len(quads), rg.HEAD_NECK, dtype=np.uint8)
    face = (front > 0.45) & (centre[:, 1] > -119.0) & (centre[:, 1] < 72.0)
    region[face] = rg.SKIN
    # Pockets: the quads from a slit's lower margin row to its upper margin row.
    lo, up = grid.mouth_rows
    k = row - lo
    in_mouth = (row >= lo) & (row < up) & (np.abs(centre[:, 0]) < mouth_half_width - 1.0) & (front > 0)
    inner = in_mouth & (k > 0) & (k < up - lo - 1)
    region[inner] = rg.MOUTH_SOCKET
    s = (k + 0.5) / (up - lo)  # position across the pocket, 0 = lower lip
    teeth_x = np.abs(centre[:, 0]) < 0.75 * mouth_half_width
    region[inner & teeth_x & (((s > 0.1) & (s < 0.3)) | ((s > 0.7) & (s < 0.9)))] = rg.TEETH
    region[inner & teeth_x & (s >= 0.3) & (s < 0.45)] = rg.GUMS_TONGUE
    lo, up = grid.eye_rows
    in_eye = (row >= lo) & (row < up) & (eye_window[col] > 0.05) & (front > 0)
    region[in_eye & (row > lo) & (row < up - 1)] = rg.EYE_SOCKET
    return region


def _eyeball_uv(centre_u: float) -> np.ndarray:
    """Polar-disc UVs of one eyeball's vertices: the front pole in the centre of the disc."""
    m, k = EYEBALL_LON, EYEBALL_LAT - 1
    radius = 0.045 * np.arange(1, k + 1) / EYEBALL_LAT
    lon = 2.0 * np.pi * np.arange(m) / m
    r, lo = np.meshgrid(radius, lon, indexing="ij")
    ring = np.stack([centre_u + r * np.cos(lo), 0.05 + r * np.sin(lo)], axis=-1).reshape(-1, 2)
    return np.concatenate([[[centre_u, 0.05]], ring, [[centre_u, 0.05]]])


def _back_fan_uv(uv: np.ndarray, fan: np.ndarray, centre_u: float) -> np.ndarray:
    """The back pole sits on the disc's rim: give each of its corners the rim point between its
    two neighbours, instead of the disc's centre."""
    out = uv[fan].copy()
    mid = 0.5 * (out[:, 0] + out[:, 2]) - np.array([centre_u, 0.05])
    mid /= np.linalg.norm(mid, axis=1, keepdims=True)
    out[:, 1] = np.array([centre_u, 0.05]) + 0.045 * mid
    return out
