"""Topology of the built-in head: a ring grid (rows x columns) closed by two poles, plus eyeballs.

Columns are azimuths around the vertical axis (column N/2 faces +Z, column 0 is the back seam),
denser on the face. Rows run from the bottom of the neck to the crown, denser on the face. Two
rows carry a slit: at the eye line and the mouth line the grid has a lower margin row, K pocket
rows and an upper margin row at the same nominal height, so lids and lips can part while the
skin stays one closed surface (the pocket rows fold inwards behind eyeballs and teeth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.assets.builtin_head.profiles import Profiles

N_COLS = 144
COL_WARP = 0.6  # 1 - COL_WARP = column spacing on the face relative to the back
EYE_POCKET_ROWS = 6
MOUTH_POCKET_ROWS = 10
CAP_SCALES = (0.3, 0.65)  # bottom-of-neck cap rings, as fractions of the lowest ring
EYE_Y = 0.0
MOUTH_Y = -72.0
EYEBALL_LON = 32
EYEBALL_LAT = 18

ROW_CAP, ROW_SKIN, ROW_EYE_POCKET, ROW_MOUTH_POCKET = 0, 1, 2, 3


@dataclass(frozen=True)
class Grid:
    col_phi: np.ndarray
    """(N,) azimuth: 0 = +Z (front), +pi/2 = +X (subject's left)."""
    row_t: np.ndarray
    """(R,) normalised arc length along the front profile (0 = neck bottom, 1 = crown)."""
    row_kind: np.ndarray
    """(R,) ROW_* constants."""
    row_side: np.ndarray
    """(R,) -1 lower margin, +1 upper margin of a slit, 0 otherwise."""
    row_s: np.ndarray
    """(R,) position inside a pocket (0 lower margin .. 1 upper margin), or cap scale."""
    eye_rows: tuple[int, int]
    """Row ids of the eye slit's lower and upper margin."""
    mouth_rows: tuple[int, int]

    @property
    def n_cols(self) -> int:
        return len(self.col_phi)

    @property
    def n_rows(self) -> int:
        return len(self.row_t)

    @property
    def n_ring_vertices(self) -> int:
        return self.n_rows * self.n_cols

    @property
    def bottom_pole(self) -> int:
        return self.n_ring_vertices

    @property
    def crown_pole(self) -> int:
        return self.n_ring_vertices + 1

    @property
    def n_skin_vertices(self) -> int:
        return self.n_ring_vertices + 2

    def vid(self, row: int | np.ndarray, col: int | np.ndarray) -> np.ndarray:
        return np.asarray(row) * self.n_cols + np.asarray(col) % self.n_cols


def _row_spacing(y: np.ndarray) -> np.ndarray:
    """Desired row spacing (mm of front-profile arc) at front height y: fine on the face."""
    face = 1.0 / (1.0 + np.exp(-(y + 125.0) / 4.0)) * (1.0 / (1.0 + np.exp((y - 45.0) / 6.0)))
    return 4.5 - 2.9 * face


def build_grid(prof: Profiles) -> Grid:
    u = -np.pi + 2.0 * np.pi * np.arange(N_COLS) / N_COLS
    col_phi = u - COL_WARP * np.sin(u)
    col_phi[N_COLS // 2] = 0.0  # exactly the midline

    # Rows: integrate 1/spacing along the front profile and cut at whole numbers.
    t_fine = np.linspace(0.0, 1.0, 20001)
    y_fine, _ = prof.front(t_fine)
    density = prof.front_length / _row_spacing(y_fine)
    count = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(t_fine))])
    n = int(np.floor(count[-1]))
    t_rows = np.interp(np.arange(1, n) * count[-1] / n, count, t_fine)  # no row at either pole

    t_eye = float(prof.t_at_front_y(np.array(EYE_Y)))
    t_mouth = float(prof.t_at_front_y(np.array(MOUTH_Y)))
    gap = 0.6 * 1.6 / prof.front_length
    half_gap = 0.3 / prof.front_length  # closed slits keep a 0.6 mm line, so no quad is flat
    t_rows = t_rows[(np.abs(t_rows - t_eye) > gap) & (np.abs(t_rows - t_mouth) > gap)]

    rows: list[tuple[float, int, int, float]] = [(0.0, ROW_CAP, 0, s) for s in CAP_SCALES]
    specials = {t_eye: (ROW_EYE_POCKET, EYE_POCKET_ROWS), t_mouth: (ROW_MOUTH_POCKET, MOUTH_POCKET_ROWS)}
    margin_rows: dict[int, tuple[int, int]] = {}
    pending = sorted(specials)
    for t in t_rows:
        while pending and pending[0] < t:
            ts = pending.pop(0)
            kind, k = specials[ts]
            lower = len(rows)
            rows.append((ts - half_gap, ROW_SKIN, -1, 0.0))
            rows.extend(
                (ts - half_gap + 2 * half_gap * (j + 1) / (k + 1), kind, 0, (j + 1) / (k + 1)) for j in range(k)
            )
            rows.append((ts + half_gap, ROW_SKIN, +1, 1.0))
            margin_rows[kind] = (lower, len(rows) - 1)
        rows.append((float(t), ROW_SKIN, 0, 0.0))
    arr = np.array(rows, dtype=np.float64)
    return Grid(
        col_phi=col_phi,
        row_t=arr[:, 0],
        row_kind=arr[:, 1].astype(np.int8),
        row_side=arr[:, 2].astype(np.int8),
        row_s=arr[:, 3],
        eye_rows=margin_rows[ROW_EYE_POCKET],
        mouth_rows=margin_rows[ROW_MOUTH_POCKET],
    )


def skin_polygons(grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quads between consecutive rows and triangle fans at the poles, outward-facing.

    Returns (quads (Q,4), quad_cols (Q,4) unwrapped column per corner for UVs, fans (2N,3),
    fan_cols (2N,3)), with column N standing for the seam's second side.
    """
    n, r = grid.n_cols, grid.n_rows
    row = np.repeat(np.arange(r - 1), n)
    col = np.tile(np.arange(n), r - 1)
    cols = np.stack([col, col + 1, col + 1, col], axis=1)
    rows = np.stack([row, row, row + 1, row + 1], axis=1)
    quads = rows * n + cols % n
    c = np.arange(n)
    bottom = np.stack([np.full(n, grid.bottom_pole), c + 1, c], axis=1)
    bottom[:, 1:] %= n
    top = np.stack([(r - 1) * n + c, (r - 1) * n + (c + 1) % n, np.full(n, grid.crown_pole)], axis=1)
    fans = np.concatenate([bottom, top])
    fan_cols = np.concatenate([np.stack([c + 0.5, c + 1, c], axis=1), np.stack([c, c + 1, c + 0.5], axis=1)])
    return quads, cols, fans, fan_cols


def eyeball_polygons(first_vertex: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A UV sphere around its +Z axis: (quads, front fan, back fan) vertex ids, outward-facing.

    Vertex layout from `first_vertex`: front pole, EYEBALL_LAT-1 rings of EYEBALL_LON, back pole.
    """
    m, k = EYEBALL_LON, EYEBALL_LAT - 1
    ring = lambda j: first_vertex + 1 + j * m  # noqa: E731 - tiny index helper
    c = np.arange(m)
    front = np.stack([np.full(m, first_vertex), ring(0) + c, ring(0) + (c + 1) % m], axis=1)
    j = np.repeat(np.arange(k - 1), m)
    cc = np.tile(c, k - 1)
    quads = np.stack([ring(j) + cc, ring(j + 1) + cc, ring(j + 1) + (cc + 1) % m, ring(j) + (cc + 1) % m], 1)
    back_pole = first_vertex + 1 + k * m
    back = np.stack([ring(k - 1) + c, np.full(m, back_pole), ring(k - 1) + (c + 1) % m], axis=1)
    return quads, front, back


def eyeball_unit_vertices() -> np.ndarray:
    """Unit-sphere vertices in the eyeball layout, the front pole on +Z."""
    m, k = EYEBALL_LON, EYEBALL_LAT - 1
    theta = np.pi * np.arange(1, k + 1) / EYEBALL_LAT
    lon = 2.0 * np.pi * np.arange(m) / m
    th, lo = np.meshgrid(theta, lon, indexing="ij")
    ring = np.stack([np.sin(th) * np.cos(lo), np.sin(th) * np.sin(lo), np.cos(th)], axis=-1).reshape(-1, 3)
    return np.concatenate([[[0.0, 0.0, 1.0]], ring, [[0.0, 0.0, -1.0]]])
