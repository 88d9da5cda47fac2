"""The built-in head as a pure function: (identity, expression) parameters -> vertices (mm).

Every identity mode and expression of the pack is this function evaluated with one parameter at
1 minus it evaluated at rest, so the numbers that shape a face live only here. Features are
smooth analytic fields (Gaussian bumps and windows) on top of the ring surface of
`builtin_head.profiles`; eyelids slide along the face and the lid skin wraps the eyeball; the
two slits' pocket rows are laid between their margins after every other deformation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from facesynth.assets.builtin_head.grid import (
    EYE_Y,
    MOUTH_Y,
    ROW_CAP,
    ROW_EYE_POCKET,
    ROW_MOUTH_POCKET,
    Grid,
    eyeball_unit_vertices,
)
from facesynth.assets.builtin_head.profiles import Profiles

IDENTITY_NAMES: tuple[str, ...] = (
    "face_width", "face_length", "jaw_width", "chin", "nose_length", "nose_width",
    "nose_projection", "eye_spacing", "brow_height", "lip_thickness", "cheekbones",
    "mouth_width", "head_length", "forehead_slope", "eye_size", "nose_bridge",
)  # fmt: skip

EXPRESSION_NAMES: tuple[str, ...] = (
    "jawOpen", "jawForward", "jawLeft", "jawRight",
    "mouthSmile_L", "mouthSmile_R", "mouthFrown_L", "mouthFrown_R",
    "mouthStretch_L", "mouthStretch_R", "mouthLowerDown_L", "mouthLowerDown_R",
    "mouthUpperUp_L", "mouthUpperUp_R", "mouthPucker", "mouthLeft", "mouthRight",
    "cheekPuff_L", "cheekPuff_R", "cheekSquint_L", "cheekSquint_R",
    "browInnerUp_L", "browInnerUp_R", "browDown_L", "browDown_R", "browOuterUp_L", "browOuterUp_R",
    "eyeBlink_L", "eyeBlink_R", "eyeWide_L", "eyeWide_R", "eyeSquint_L", "eyeSquint_R",
    "noseSneer_L", "noseSneer_R",
    "mouthClose", "mouthFunnel", "mouthDimple_L", "mouthDimple_R", "mouthPress_L", "mouthPress_R",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "eyeLookUp_L", "eyeLookUp_R", "eyeLookDown_L", "eyeLookDown_R",
    "eyeLookIn_L", "eyeLookIn_R", "eyeLookOut_L", "eyeLookOut_R",
)  # fmt: skip
EYE_LOOK_DEG = 25.0

EYE_X = 32.0  # half the interpupillary distance
EYEBALL_RADIUS = 12.0
EYEBALL_Z = 69.0
EYE_HALF_WIDTH = 14.0  # half the palpebral fissure
LID_THICKNESS = 2.0
JAW_PIVOT_YZ = (-22.0, -4.0)  # temporomandibular joint, on the X axis through it
JAW_OPEN_DEG = 14.0
MOUTH_HALF_WIDTH = 25.0


def _eye_x(p: Mapping[str, float]) -> float:
    """Half the distance between the eyeball centres for the eye_spacing identity mode."""
    return EYE_X + 1.8 * p.get("eye_spacing", 0.0)


def gauss(d: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * d * d)


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _smooth_interp(x: np.ndarray, ctrl: list[tuple[float, float]], sigma: float) -> np.ndarray:
    """np.interp through control points, Gaussian-smoothed so the result has no kinks."""
    cx, cy = np.array(ctrl, dtype=np.float64).T
    order = np.argsort(cx)
    cx, cy = cx[order], cy[order]
    grid = np.arange(cx[0] - 3 * sigma, cx[-1] + 3 * sigma + 0.25, 0.25)
    table = np.interp(grid, cx, cy)
    half = int(3 * sigma / 0.25)
    k = gauss(np.arange(-half, half + 1) * 0.25 / sigma)
    table = np.convolve(np.pad(table, half, mode="edge"), k / k.sum(), mode="valid")
    return np.interp(x, grid, table)


class HeadShape:
    """Evaluates the head for parameter values; build once, call many times."""

    def __init__(self, grid: Grid, prof: Profiles) -> None:
        self.grid, self.prof = grid, prof
        self._unit_eye = eyeball_unit_vertices()

    # --- the ring surface -------------------------------------------------------------------
    def _ring(self, t: np.ndarray, phi: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
        y_f, z_f = self.prof.front(t)
        y_s = self.prof.side_height(t)
        a, zc, zb = self.prof.side(y_s)
        a = a * (1.0 + 0.07 * p.get("jaw_width", 0.0) * gauss((y_s + 92.0) / 22.0))
        zb = zc + (zb - zc) * (1.0 + 0.04 * p.get("head_length", 0.0))
        c, s = np.cos(phi), np.sin(phi)
        front = c >= 0
        n = np.where(front, 2.5, 2.2)
        x = a * np.sign(s) * np.abs(s) ** (2.0 / n)
        depth = np.where(front, z_f - zc, zc - zb)
        z = zc + depth * np.sign(c) * np.abs(c) ** (2.0 / n)
        y = y_s + (y_f - y_s) * np.clip(c, 0.0, None) ** 2
        return np.stack([x, y, z], axis=-1)

    # --- eyelids ----------------------------------------------------------------------------
    def eye_params(
        self, x: np.ndarray, front: np.ndarray, p: Mapping[str, float], ex: float = EYE_X
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per vertex: (opening window, upper margin y, lower margin y) of the eye on its side;
        `front` is 1 on the face and 0 at the back of the head (which has the same x)."""
        left = x >= 0
        side = lambda name: np.where(left, p.get(name + "_L", 0.0), p.get(name + "_R", 0.0))  # noqa: E731
        size = 1.0 + 0.12 * p.get("eye_size", 0.0)
        q = (np.abs(x) - ex) / EYE_HALF_WIDTH  # eye_size opens the lids, keeps the corners
        win = front * np.clip(1.0 - q * q, 0.0, None) ** 0.75
        blink, wide, squint = side("eyeBlink"), side("eyeWide"), side("eyeSquint")
        h_up = win * 5.8 * size * (1.0 + 0.55 * wide - 0.2 * squint)
        h_lo = win * 4.6 * size * (1.0 - 0.45 * squint + 0.1 * wide)
        closed = -0.55 * win * 4.6 * size
        upper = EYE_Y + 0.25 + (1.0 - blink) * h_up + blink * closed
        lower = EYE_Y - 0.25 + (1.0 - blink) * -h_lo + blink * closed
        return win, upper, lower

    def _lid_remap(
        self, t: np.ndarray, x: np.ndarray, front: np.ndarray, side: np.ndarray, p: Mapping[str, float]
    ) -> np.ndarray:
        """Slide the rows of the upper and lower lid bands so the slit's margins open or close."""
        band_up, band_lo = 14.0, 12.0
        y_nom, _ = self.prof.front(t)
        _, upper, lower = self.eye_params(x, front, p)
        u = y_nom - EYE_Y
        in_up = (side > 0) | ((side == 0) & (u > 0) & (u < band_up))
        in_lo = (side < 0) | ((side == 0) & (u < 0) & (u > -band_lo))
        u_up = np.where(side > 0, 0.0, u)
        u_lo = np.where(side < 0, 0.0, u)
        y_up = upper + u_up * (band_up - (upper - EYE_Y)) / band_up
        y_lo = lower + u_lo * (band_lo + (lower - EYE_Y)) / band_lo
        y_new = np.where(in_up, y_up, np.where(in_lo, y_lo, y_nom))
        moved = in_up | in_lo
        return np.where(moved, self.prof.t_at_front_y(y_new), t)

    def eyeball_centres(self, p: Mapping[str, float], ex: float = EYE_X) -> np.ndarray:
        return np.array([[-ex, EYE_Y + 0.5, EYEBALL_Z], [ex, EYE_Y + 0.5, EYEBALL_Z]])

    # --- static facial features (z offsets on the face) ---------------------------------------
    def _features(self, x: np.ndarray, y: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
        ax = np.abs(x)
        ex = EYE_X  # eye_spacing, nose_length/width and mouth_width move the finished surface
        dz = np.zeros_like(x)
        # Nose: a ridge whose height and width follow the midline profile, plus the alae.
        y_n, y_t, y_sn = 6.0, -36.0, -49.0
        proj = 1.0 + 0.13 * p.get("nose_projection", 0.0)
        widen = 1.0
        bridge = 2.5 + 2.0 * p.get("nose_bridge", 0.0)
        h = _smooth_interp(
            y,
            [(y_n + 14, 0.0), (y_n, bridge), (y_n - 14, 8.0 + 0.3 * bridge), (y_t + 9, 17.0), (y_t + 2, 21.0),
             (y_t - 4, 18.0), (y_sn + 2, 4.0), (y_sn - 2, 0.0), (y_sn - 20, 0.0)],
            1.6,
        ) * proj  # fmt: skip
        width = _smooth_interp(
            y, [(y_n + 14, 9.0), (y_n, 6.5), (y_n - 18, 5.5), (y_t + 5, 7.5), (y_t - 2, 9.5), (y_sn, 11.0)], 2.0
        ) * widen  # fmt: skip
        dz += h * np.exp(-0.5 * np.abs(x / width) ** 2.3)
        ala_x = 12.5 * widen
        dz += 7.0 * proj * gauss(np.hypot((ax - ala_x) / 5.0, (y - (y_sn + 6.5)) / 5.0))
        # Brow ridge, orbits, cheekbones, cheeks.
        y_b = 21.0
        dz += 4.5 * gauss((y - y_b) / 6.5) * smoothstep((56.0 - ax) / 14.0)
        dz -= 11.0 * gauss(np.hypot((ax - ex) / 15.0, (y - 1.0) / 11.0))
        cb = 1.0 + 0.4 * p.get("cheekbones", 0.0)
        dz += 6.0 * cb * gauss(np.hypot((ax - 47.0 - 2.0 * p.get("cheekbones", 0.0)) / 13.0, (y + 27.0) / 11.0))
        dz -= 2.5 * gauss(np.hypot((ax - 44.0) / 12.0, (y + 62.0) / 14.0))
        # Mouth: dental-arch bulge, lips, corners; chin.
        mw = MOUTH_HALF_WIDTH  # the mouth_width mode stretches the finished lips sideways
        lt = 1.0 + 0.22 * p.get("lip_thickness", 0.0)
        dz += 3.0 * gauss(np.hypot(x / 28.0, (y - MOUTH_Y) / 22.0))
        lip_x = np.clip(1.0 - (x / mw) ** 2, 0.0, None) ** 0.5
        cupid = 1.2 * gauss(np.abs(ax - 6.0) / 4.0)  # the peaks of the Cupid's bow
        dz += 7.5 * lt * lip_x * gauss((y - (MOUTH_Y + 3.8 * lt + 0.4 * cupid)) / (3.0 * (0.6 + 0.4 * lt)))
        dz += 8.0 * lt * lip_x * gauss((y - (MOUTH_Y - 5.2 * lt)) / (4.0 * (0.6 + 0.4 * lt)))
        dz -= 2.0 * gauss(np.hypot((ax - mw) / 4.5, (y - MOUTH_Y) / 5.0))
        dz -= 1.2 * gauss(np.hypot(x / 3.0, (y - (MOUTH_Y + 13.0)) / 6.0))  # philtrum
        chin = p.get("chin", 0.0)
        dz += (4.0 + 3.5 * chin) * gauss(np.hypot(x / 14.0, (y + 104.0) / 9.0))
        # Forehead slope: lean the forehead back above the brow.
        dz -= 4.0 * p.get("forehead_slope", 0.0) * smoothstep((y - 25.0) / 70.0)
        return dz

    # --- expression displacements ------------------------------------------------------------
    def _expressions(self, v: np.ndarray, below: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
        x, y = v[..., 0], v[..., 1]
        out = np.zeros_like(v)
        mw = MOUTH_HALF_WIDTH * (1.0 + 0.1 * p.get("mouth_width", 0.0))

        def add(weight: float, dxyz: tuple[float, float, float], field: np.ndarray) -> None:
            if weight:
                out[...] += weight * np.asarray(dxyz) * field[..., None]

        for sign, sfx in ((1.0, "_L"), (-1.0, "_R")):
            w = lambda name: p.get(name + sfx, 0.0)  # noqa: B023,E731 - used within this iteration
            corner = gauss(np.hypot((x - sign * mw) / 13.0, (y - MOUTH_Y) / 11.0))
            add(w("mouthSmile"), (sign * 3.5, 6.5, -2.5), corner)
            add(w("mouthSmile"), (sign * 1.0, 2.5, 3.0), gauss(np.hypot((x - sign * 38) / 13, (y + 45) / 13)))
            add(w("mouthFrown"), (sign * 0.5, -5.0, -1.0), corner)
            add(w("mouthStretch"), (sign * 4.5, -2.5, -1.5), corner)
            lower_lip = below * gauss(np.hypot((x - sign * 12.0) / 9.0, (y - MOUTH_Y + 5.0) / 8.0))
            add(w("mouthLowerDown"), (0.0, -4.5, 0.5), lower_lip)
            upper_lip = ~below * gauss(np.hypot((x - sign * 12.0) / 9.0, (y - MOUTH_Y - 6.0) / 8.0))
            add(w("mouthUpperUp"), (0.0, 3.5, 0.5), upper_lip)
            puff = gauss(np.hypot((x - sign * 42.0) / 17.0, (y + 62.0) / 17.0)) * (sign * x > 0)
            add(w("cheekPuff"), (sign * 6.5, 0.0, 5.5), puff)
            add(w("cheekSquint"), (0.0, 3.0, 1.0), gauss(np.hypot((x - sign * 36) / 12, (y + 26) / 9)))
            add(w("eyeSquint"), (0.0, 1.5, 0.5), gauss(np.hypot((x - sign * 36) / 12, (y + 22) / 8)))
            add(w("browInnerUp"), (0.0, 6.0, 0.5), gauss(np.hypot((x - sign * 14) / 12, (y - 24) / 13)))
            add(w("browOuterUp"), (0.0, 5.5, 0.0), gauss(np.hypot((x - sign * 44) / 12, (y - 22) / 12)))
            add(w("browDown"), (-sign * 2.5, -4.5, 1.5), gauss(np.hypot((x - sign * 26) / 16, (y - 21) / 9)))
            add(w("mouthDimple"), (sign * 2.0, 0.5, -3.0), corner)
            press = gauss(np.hypot((x - sign * 12.0) / 10.0, (y - MOUTH_Y) / 7.0))
            add(w("mouthPress"), (0.0, 1.5, -1.5), press * below)
            add(w("mouthPress"), (0.0, -1.5, -1.5), press * ~below)
            sneer = gauss(np.hypot((x - sign * 13.0) / 8.0, (y + 36.0) / 10.0))
            add(w("noseSneer"), (sign * 0.5, 3.5, 1.0), sneer)
            add(w("noseSneer"), (0.0, -2.0, 0.5), gauss(np.hypot((x - sign * 14) / 10, (y - 15) / 8)))
        mouth = gauss(np.hypot(x / 20.0, (y - MOUTH_Y) / 12.0))
        if p.get("mouthPucker", 0.0):
            out[..., 0] += p["mouthPucker"] * -0.3 * x * mouth
            out[..., 2] += p["mouthPucker"] * 7.0 * mouth
        add(p.get("mouthLeft", 0.0), (5.0, 0.0, -0.5), gauss(np.hypot(x / 24.0, (y - MOUTH_Y) / 14.0)))
        add(p.get("mouthRight", 0.0), (-5.0, 0.0, -0.5), gauss(np.hypot(x / 24.0, (y - MOUTH_Y) / 14.0)))
        lip_lo = below * gauss(np.hypot(x / 18.0, (y - MOUTH_Y + 5.0) / 7.0))
        lip_up = ~below * gauss(np.hypot(x / 18.0, (y - MOUTH_Y - 5.0) / 7.0))
        add(p.get("mouthClose", 0.0), (0.0, 3.0, 0.0), lip_lo)
        add(p.get("mouthClose", 0.0), (0.0, -1.5, 0.0), lip_up)
        add(p.get("mouthRollLower", 0.0), (0.0, 1.5, -4.0), lip_lo)
        add(p.get("mouthRollUpper", 0.0), (0.0, -1.5, -4.0), lip_up)
        add(p.get("mouthShrugLower", 0.0), (0.0, 3.5, 1.5), below * gauss(np.hypot(x / 20, (y - MOUTH_Y + 12) / 12)))
        add(p.get("mouthShrugUpper", 0.0), (0.0, 2.5, 1.0), lip_up)
        if p.get("mouthFunnel", 0.0):  # lips forward and parted into a round opening
            f = p["mouthFunnel"]
            out[..., 0] -= f * 0.15 * x * mouth
            out[..., 1] += f * np.where(below, -2.5, 2.0) * gauss(np.hypot(x / 12.0, (y - MOUTH_Y) / 8.0))
            out[..., 2] += f * 5.0 * mouth
        out += self._jaw(v, below, p)
        return out

    def _jaw_weight(self, v: np.ndarray, below: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
        """How much of the jaw's motion a vertex follows: all of the lower lip inside the mouth,
        fading smoothly over the cheeks so the mouth corners stay closed, none behind the ears."""
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        mw = MOUTH_HALF_WIDTH * (1.0 + 0.1 * p.get("mouth_width", 0.0))
        inside = smoothstep((mw - 2.0 - np.abs(x)) / 10.0)
        cheek = smoothstep((MOUTH_Y + 8.0 - y) / 45.0)
        w = inside * below + (1.0 - inside) * cheek
        w *= smoothstep((z + 15.0) / 40.0)  # not the back of the neck
        w *= smoothstep((y + 185.0) / 60.0)  # fade out down the throat
        return w

    def _jaw(self, v: np.ndarray, below: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
        opening, fwd = p.get("jawOpen", 0.0), p.get("jawForward", 0.0)
        side = p.get("jawLeft", 0.0) - p.get("jawRight", 0.0)
        if not (opening or fwd or side):
            return np.zeros_like(v)
        w = self._jaw_weight(v, below, p)[..., None]
        a = np.radians(JAW_OPEN_DEG) * opening
        yy, zz = v[..., 1] - JAW_PIVOT_YZ[0], v[..., 2] - JAW_PIVOT_YZ[1]
        rot = np.stack(
            [np.zeros_like(yy), yy * np.cos(a) - zz * np.sin(a) - yy, yy * np.sin(a) + zz * np.cos(a) - zz], -1
        )
        return w * (rot + np.array([5.0 * side, 0.0, 5.0 * fwd]))

    # --- the whole head ------------------------------------------------------------------------
    def evaluate(self, p: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(vertices (V,3) float64 mm, per-ring-vertex lid-remapped t (R,N)) for parameters `p`."""
        g = self.grid
        t = np.broadcast_to(g.row_t[:, None], (g.n_rows, g.n_cols))
        phi = np.broadcast_to(g.col_phi[None, :], t.shape)
        eye_margin = np.isin(np.arange(g.n_rows), g.eye_rows)
        side = np.broadcast_to((g.row_side * eye_margin)[:, None], t.shape)
        front = np.clip(2.5 * np.cos(phi), 0.0, 1.0)
        x0 = self._ring(t, phi, p)[..., 0]
        t_eff = self._lid_remap(t, x0, front, side, p)
        v = self._ring(t_eff, phi, p)
        x, y = v[..., 0], v[..., 1]
        v[..., 2] += front * self._features(x, y, p)
        v[..., 0] += np.sign(x) * self._ear(v, phi)
        self._wrap_lids(v, p)
        # Pockets are shaped by where their columns are on the rest face, so that they move with
        # the lids and lips (identity and expression) and every shape stays linear in its weight.
        x_rest = v[..., 0].copy()
        # Identity changes of proportion that move whole areas.
        v[..., 1] += 0.045 * p.get("face_length", 0.0) * np.minimum(v[..., 1], 0.0)
        self._proportions(v, front, p)
        v[..., 1] -= 1.5 * p.get("chin", 0.0) * gauss(np.hypot(v[..., 0] / 16.0, (v[..., 1] + 108) / 12.0))
        # The lower lip's margin row and every row under it follow the jaw; the upper lip does not.
        lower_lip = g.mouth_rows[0]
        below_rows = (g.row_t < g.row_t[lower_lip]) | (np.arange(g.n_rows) == lower_lip)
        below = np.broadcast_to(below_rows[:, None], t.shape)
        v += front[..., None] * self._expressions(v, below, p)
        self._pockets(v, x_rest, front[0])
        self._cap(v)
        eyes = self._eyeballs(p)
        poles = np.array([self._bottom_pole(v), self._crown_pole(v)])
        return np.concatenate([v.reshape(-1, 3), poles, eyes]), t_eff

    def _proportions(self, v: np.ndarray, front: np.ndarray, p: Mapping[str, float]) -> None:
        """Identity modes that move finished features: brows, mouth corners, nose, eyes."""
        x, y = v[..., 0], v[..., 1]
        brow = front * gauss((y - 21.0) / 11.0) * smoothstep((58.0 - np.abs(x)) / 14.0)
        lips = front * gauss(np.hypot(x / 30.0, (y - MOUTH_Y) / 14.0))
        nose_tip = front * gauss(np.hypot(x / 16.0, (y + 36.0) / 16.0))
        nose_base = front * gauss(np.hypot(x / 18.0, (y + 42.0) / 12.0))
        # flat-topped around each eye, so lids and the skin around the eyeball move as one piece
        eyes = front * np.exp(-0.5 * np.hypot((np.abs(x) - EYE_X) / 26.0, y / 18.0) ** 4)
        dy = 3.0 * p.get("brow_height", 0.0) * brow - 3.5 * p.get("nose_length", 0.0) * nose_tip
        dx = (0.1 * p.get("mouth_width", 0.0) * lips + 0.13 * p.get("nose_width", 0.0) * nose_base) * x
        dx += (_eye_x(p) - EYE_X) * np.sign(x) * eyes
        # A wider face widens the head but not the eyes' surroundings (the eyeballs stay put).
        dx += 0.035 * p.get("face_width", 0.0) * x * (1.0 - eyes)
        v[..., 0] += dx
        v[..., 1] += dy

    def _ear(self, v: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """A simple ear: an outward bulge on each side of the head, level with the nose."""
        side = smoothstep((np.abs(np.sin(phi)) - 0.75) / 0.2)
        return 12.0 * side * gauss(np.hypot((v[..., 1] + 10.0) / 16.0, (v[..., 2] + 12.0) / 9.0))

    def _wrap_lids(self, v: np.ndarray, p: Mapping[str, float]) -> None:
        """Lid skin lies on the eyeball (plus lid thickness) wherever the eyeball would poke out."""
        for c in self.eyeball_centres(p):
            r2 = (v[..., 0] - c[0]) ** 2 + (v[..., 1] - c[1]) ** 2
            cover = c[2] + np.sqrt(np.clip(EYEBALL_RADIUS**2 - r2, 0.0, None)) + LID_THICKNESS
            near = (r2 < (EYEBALL_RADIUS + 6.0) ** 2) & (v[..., 2] > 0)
            a, b = v[..., 2], cover
            k = 1.5
            v[..., 2] = np.where(near, 0.5 * (a + b + np.sqrt((a - b) ** 2 + k * k)), a)

    def _pockets(self, v: np.ndarray, x_rest: np.ndarray, front: np.ndarray) -> None:
        """Lay each slit's pocket rows between its two margins, folded in behind them."""
        g = self.grid
        for kind, (lo, up), depth, bulge in (
            (ROW_EYE_POCKET, g.eye_rows, 10.0, 0.0),
            (ROW_MOUTH_POCKET, g.mouth_rows, 24.0, 7.0),
        ):
            rows = np.flatnonzero(g.row_kind == kind)
            s = g.row_s[rows][:, None, None]
            a, b = v[lo][None], v[up][None]
            x = 0.5 * (x_rest[lo] + x_rest[up])[None]
            if kind == ROW_EYE_POCKET:
                win = self.eye_params(x[0], front, {})[0][None] ** 0.7
            else:
                win = front * np.clip(1.0 - (x / MOUTH_HALF_WIDTH) ** 2, 0.0, None) ** 0.5
            pos = a + (b - a) * s
            pos[..., 2] -= depth * win * np.sin(np.pi * s[..., 0]) ** 0.7
            pos[..., 1] -= bulge * win * np.sin(2.0 * np.pi * s[..., 0])
            v[rows] = pos

    def _cap(self, v: np.ndarray) -> None:
        g = self.grid
        base = int(np.flatnonzero(g.row_kind != ROW_CAP)[0])
        centre = self._bottom_pole(v)
        for r in np.flatnonzero(g.row_kind == ROW_CAP):
            v[r] = centre + g.row_s[r] * (v[base] - centre)

    def _bottom_pole(self, v: np.ndarray) -> np.ndarray:
        base = int(np.flatnonzero(self.grid.row_kind != ROW_CAP)[0])
        return v[base].mean(axis=0)

    def _crown_pole(self, v: np.ndarray) -> np.ndarray:
        y, z = self.prof.front(np.array(1.0))
        return np.array([0.0, float(y), float(z)])

    def _eyeballs(self, p: Mapping[str, float]) -> np.ndarray:
        """Both eyeballs, turned about their centres by the eyeLook* weights (gaze)."""
        out = []
        for c, sign, sfx in zip(self.eyeball_centres(p, _eye_x(p)), (-1.0, 1.0), ("_R", "_L"), strict=True):
            # out = towards the subject's own side (+X for the left eye), in = towards the nose
            yaw = sign * (p.get("eyeLookOut" + sfx, 0.0) - p.get("eyeLookIn" + sfx, 0.0))
            pitch = p.get("eyeLookUp" + sfx, 0.0) - p.get("eyeLookDown" + sfx, 0.0)
            a, b = np.radians(EYE_LOOK_DEG) * yaw, np.radians(EYE_LOOK_DEG) * pitch
            turn_y = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
            turn_x = np.array([[1, 0, 0], [0, np.cos(b), np.sin(b)], [0, -np.sin(b), np.cos(b)]])
            out.append(c + EYEBALL_RADIUS * self._unit_eye @ (turn_y @ turn_x).T)
        return np.concatenate(out)
