"""Smooth 1-D profiles of the built-in head: the mid-sagittal front curve and the side/back extents.

The head's skin is a stack of horizontal rings (see `builtin_head.shape`). Each ring is fixed by
a point on the front profile (y, z at the face's midline, parameterised by arc length, so the
under-chin and the crown get rows too), the half-width and centre depth of the ring at its side,
and the depth of the back of the head. All numbers are mm in the model frame (+Y up, +Z out of
the face), for an average adult: chin at y = -117, crown at y = +115, eyes at y = 0.
"""

from __future__ import annotations

import numpy as np

CROWN_Y = 115.0
NECK_Y = -215.0
DOME_Y = 40.0  # above this the skull is an ellipsoidal dome
DOME_CENTRE_Z = -8.0
DOME_FRONT = 100.0
DOME_BACK = 98.0
DOME_HALF_WIDTH = 76.0

# Mid-sagittal front profile below the dome, neck bottom upwards, without nose and lips (those are
# added as local fields). (y, z)
_FRONT_POINTS = np.array(
    [
        (-215, 42),
        (-180, 44),
        (-150, 47),
        (-134, 51),
        (-126, 58),
        (-121, 68),
        (-118, 78),
        (-113, 86),
        (-104, 90),
        (-95, 88),
        (-87, 86),
        (-78, 89),
        (-70, 91),
        (-58, 92),
        (-46, 91),
        (-30, 91),
        (-15, 91),
        (-5, 89),
        (4, 88),
        (14, 93),
        (24, 96),
        (34, 96),
    ],
    dtype=np.float64,
)
# Side of the head below the dome: (y, half-width, z of the widest point).
_SIDE_POINTS = np.array(
    [
        (-215, 50, -14),
        (-150, 50, -14),
        (-128, 52, -12),
        (-112, 56, -6),
        (-95, 60, -2),
        (-70, 65, -2),
        (-45, 70, -4),
        (-20, 73, -7),
        (0, 74, -8),
        (20, 75.5, -8),
        (34, 76, -8),
    ],
    dtype=np.float64,
)
# Back of the head below the dome: (y, z).
_BACK_POINTS = np.array(
    [
        (-215, -56),
        (-150, -56),
        (-120, -60),
        (-95, -70),
        (-70, -84),
        (-45, -95),
        (-20, -101),
        (0, -103.5),
        (20, -105),
        (34, -106),
    ],
    dtype=np.float64,
)


def _dome(y: np.ndarray, extent: float) -> np.ndarray:
    """Ellipse-cap factor: `extent` at the dome's base, 0 at the crown."""
    q = np.clip((y - DOME_Y) / (CROWN_Y - DOME_Y), 0.0, 1.0)
    return extent * np.sqrt(np.clip(1.0 - q * q, 0.0, None))


def _smooth_table(x_ctrl: np.ndarray, y_ctrl: np.ndarray, step: float, sigma: float) -> tuple:
    """Dense, Gaussian-smoothed piecewise-linear table through control points (no kinks)."""
    xs = np.arange(x_ctrl[0], x_ctrl[-1] + step / 2, step)
    ys = np.interp(xs, x_ctrl, y_ctrl)
    half = int(3 * sigma / step)
    k = np.exp(-0.5 * (np.arange(-half, half + 1) * step / sigma) ** 2)
    k /= k.sum()
    padded = np.concatenate([np.full(half, ys[0]), ys, np.full(half, ys[-1])])
    return xs, np.convolve(padded, k, mode="valid")


def _with_dome(points: np.ndarray, dome_values: np.ndarray, dome_ys: np.ndarray) -> np.ndarray:
    return np.concatenate([points, np.stack([dome_ys, dome_values], axis=1)])


class Profiles:
    """Lookup tables of the head's profiles, built once (deterministic, float64)."""

    def __init__(self) -> None:
        dome_ys = np.linspace(DOME_Y + 6, CROWN_Y, 24)
        # Front curve: polyline -> smoothed along its length -> arc-length table.
        front = np.concatenate([_FRONT_POINTS, np.stack([dome_ys, DOME_CENTRE_Z + _dome(dome_ys, DOME_FRONT)], axis=1)])
        seg = np.linalg.norm(np.diff(front, axis=0), axis=1)
        s = np.concatenate([[0.0], np.cumsum(seg)])
        _, fy = _smooth_table(s, front[:, 0], 0.5, 3.0)
        _, fz = _smooth_table(s, front[:, 1], 0.5, 3.0)
        fy[-1], fz[-1] = CROWN_Y, DOME_CENTRE_Z  # the crown is exactly at the top
        d = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(fy), np.diff(fz)))])
        self.front_length = float(d[-1])
        self._front_t = d / d[-1]
        self._front_y, self._front_z = fy, fz

        side = np.concatenate([_SIDE_POINTS[:, :2], np.stack([dome_ys, _dome(dome_ys, DOME_HALF_WIDTH)], 1)])
        self._side_y, self._half_width = _smooth_table(side[:, 0], side[:, 1], 0.5, 5.0)
        centre = np.concatenate([_SIDE_POINTS[:, [0, 2]], np.stack([dome_ys, np.full(24, DOME_CENTRE_Z)], 1)])
        _, self._centre_z = _smooth_table(centre[:, 0], centre[:, 1], 0.5, 5.0)
        back = _with_dome(_BACK_POINTS, DOME_CENTRE_Z - _dome(dome_ys, DOME_BACK), dome_ys)
        _, self._back_z = _smooth_table(back[:, 0], back[:, 1], 0.5, 5.0)
        # The half-width must reach 0 at the crown with an ellipse's vertical tangent.
        top = self._side_y > DOME_Y + 6
        self._half_width[top] = _dome(self._side_y[top], DOME_HALF_WIDTH)

    def front(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(y, z) of the front profile at normalised arc length t in [0, 1]."""
        return np.interp(t, self._front_t, self._front_y), np.interp(t, self._front_t, self._front_z)

    def t_at_front_y(self, y: np.ndarray) -> np.ndarray:
        """Inverse of the front profile's height on the face, where it rises monotonically."""
        sel = (self._front_y > -110) & (self._front_y < 60)
        return np.interp(y, self._front_y[sel], self._front_t[sel])

    def side(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(half-width, z of the widest point, z of the back) of the ring at height y."""
        return (
            np.interp(y, self._side_y, self._half_width),
            np.interp(y, self._side_y, self._centre_z),
            np.interp(y, self._side_y, self._back_z),
        )

    def side_height(self, t: np.ndarray) -> np.ndarray:
        """Height of a ring at its sides and back: the front height, except under the chin, where
        the front profile runs almost horizontally and the sides would crowd into one line."""
        y_front, _ = self.front(t)
        t0, t1 = self._under_chin_span()
        y0, y1 = np.interp([t0, t1], self._front_t, self._front_y)
        lin = y0 + (y1 - y0) * (t - t0) / (t1 - t0)
        w = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        blend = np.where((t > t0) & (t < t1), 1.0 - np.abs(2 * w - 1) ** 4, 0.0)
        return y_front + blend * (lin - y_front)

    def _under_chin_span(self) -> tuple[float, float]:
        i0 = int(np.searchsorted(self._front_y, -145.0))
        i1 = int(np.searchsorted(self._front_y, -108.0))
        return float(self._front_t[i0]), float(self._front_t[i1])
