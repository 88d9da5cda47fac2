"""Eyeglasses and headwear fitted to a subject's landmarks and head shell (model frame, mm).

Eyeglasses: two rims (a superellipse per shape) centred on the eyes, in a plane just in front of
everything the rims enclose, a bridge arching over the nose and temples running back above the
ears, outside the head; frames are tube strands (Blender curves) and lenses a fan mesh each.
Clear lenses are see-through for the labels (they do not hide the eyes); sunglass lenses are
solid. A beanie is a cap of the head shell, offset outside the hair under it.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets import regions as R
from facesynth.geometry import vec
from facesynth.geometry.head_shell import HeadShell, directions, unit_from_angles
from facesynth.geometry.scalp_hair import Hairline
from facesynth.geometry.strands import GroomMesh, StrandSet

RIM_POINTS = 40
FRAME_RADIUS_MM = {"round": 1.0, "rectangle": 1.5, "aviator": 0.8, "cat_eye": 1.6}
# shape: (half width, half height above, half height below, superellipse exponent)
RIMS = {"round": (25.0, 21.0, 21.0, 2.0), "rectangle": (26.0, 16.0, 16.0, 5.0),
        "aviator": (27.0, 19.0, 25.0, 2.4), "cat_eye": (26.0, 17.0, 17.0, 3.0)}
LENS_CLEARANCE_MM = 5.0
# Bridge width (the gap between the lenses over the nose, "DBL"), mm: 14-22 mm on real frames,
# whose box size is printed as lens width / DBL (e.g. 52/18). The lens centres then sit
# (lens width + DBL) / 2 from the midline, a few mm outside the pupils (ANSI Z80.1 "frame PD").
BRIDGE_MM = {"round": 21.0, "rectangle": 18.0, "aviator": 16.0, "cat_eye": 17.0}
# Lens centre below the pupil, mm: frames are fitted with the pupil a little above the middle of
# the lens, and the rim's top edge at or under the brow.
PUPIL_ABOVE_CENTRE_MM = 3.0


def rim_outline(shape: str, side: float) -> np.ndarray:
    """(RIM_POINTS, 2) rim in lens coordinates (x toward the subject's `side`, mm), closed loop
    counter-clockwise seen from the front."""
    a, b_up, b_down, n = RIMS[shape]
    t = np.linspace(0.0, 2 * np.pi, RIM_POINTS, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    x = a * np.sign(c) * np.abs(c) ** (2 / n)
    y = np.sign(s) * np.abs(s) ** (2 / n) * np.where(s > 0, b_up, b_down)
    if shape == "aviator":  # teardrop: the lower half bulges toward the nose
        y = y - np.where(s < 0, 4.0 * np.clip(-x / a, 0, 1), 0.0)
    if shape == "cat_eye":  # outer upper corner swept up
        y = y + np.where(s > 0, 6.0 * np.clip(x / a, 0, 1) ** 3, 0.0)
    return np.stack([x * side, y], axis=1)


def eyeglasses(v: np.ndarray, tris: np.ndarray, lm: np.ndarray, shape: str, sun: bool) -> tuple[StrandSet, GroomMesh]:
    """(frame strands, both lenses) for a subject's identity shape."""
    head = v[np.unique(tris)]
    rims = []
    mid_x = float(lm[27:31, 0].mean())  # the nose bridge marks the midline
    half_pd = RIMS[shape][0] + BRIDGE_MM[shape] / 2
    for side, eye in ((-1.0, lm[36:42]), (1.0, lm[42:48])):
        c = vec.mean(eye)
        rims.append(rim_outline(shape, side) + np.array([mid_x + side * half_pd, c[1] - PUPIL_ABOVE_CENTRE_MM]))
    # lens plane: just in front of the brow ridge and cheeks inside the rims (the nose is left to
    # the rims' local fit below, as real lenses sit beside it)
    zone = np.zeros(len(head), bool)
    for rim in rims:
        c = vec.mean(rim)
        zone |= _inside(head[:, :2], c + (rim - c) * 1.05)
    zone &= np.abs(head[:, 0] - lm[27, 0]) > 9.0
    z0 = float(head[zone, 2].max()) + LENS_CLEARANCE_MM
    r = FRAME_RADIUS_MM[shape]
    closed = [np.concatenate([_fit_z(np.column_stack([rim, np.full(len(rim), z0)]), head, r),
                              _fit_z(np.array([[*rim[0], z0]]), head, r)]) for rim in rims]
    inner = [np.argmin(np.abs(rim[:, 0]) + np.abs(rim[:, 1] - rim[:, 1].max() * 0.5 - 4)) for rim in rims]
    a, b = closed[0][inner[0]], closed[1][inner[1]]
    t = np.linspace(0.0, 1.0, 8)[:, None]
    bridge = a * (1 - t) + b * t + np.array([0.0, 3.0, 1.5]) * np.sin(np.pi * t)
    temples = []
    for k, side in enumerate((-1.0, 1.0)):
        rim = rims[k]
        hinge_i = np.argmax(side * rim[:, 0] + 0.3 * rim[:, 1])
        hinge = np.array([*rim[hinge_i], z0])
        y = hinge[1]
        ear_z = float(lm[0 if side < 0 else 16, 2]) - 12.0
        band = head[(np.abs(head[:, 1] - y) < 12) & (head[:, 2] > ear_z) & (head[:, 2] < z0)]
        x_side = side * (float(np.abs(band[:, 0]).max()) + 3.0)
        path = np.array([hinge, [x_side, y, z0 - 12.0], [x_side, y - 2.0, (z0 + ear_z) / 2],
                         [x_side, y - 4.0, ear_z + 4.0], [x_side - side * 3.0, y - 14.0, ear_z - 6.0]])
        temples.append(_resample(path, 10))
    pieces = [*closed, bridge, *temples]
    n_pts = max(len(p) for p in pieces)
    points = np.stack([_resample(p, n_pts) for p in pieces])
    radius = np.full(points.shape[:2], r)
    anchor = np.asarray(tris[0])  # rigid: attached to one vertex with full weight
    frame = StrandSet("glasses_frame", "frame", points, radius, np.full(len(points), R.GLASSES, np.uint8),
                      np.broadcast_to(anchor, (len(points), 3)).copy(),
                      np.broadcast_to([1.0, 0.0, 0.0], (len(points), 3)).copy())
    lens_v, lens_t = [], []
    for rim in rims:
        c = vec.mean(rim)
        base = sum(len(x) for x in lens_v)
        ring = np.column_stack([rim, np.full(len(rim), z0)])
        lens_v.append(np.vstack([[*c, z0 + 1.0], ring]))
        k = np.arange(len(rim))
        lens_t.append(np.stack([np.zeros_like(k), 1 + k, 1 + (k + 1) % len(rim)], 1) + base)
    lenses = GroomMesh("glasses_lenses", "lens_sun" if sun else "lens_clear", np.vstack(lens_v),
                       np.vstack(lens_t), R.GLASSES, solid=sun)
    return frame, lenses


def _inside(xy: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon, vectorised over points."""
    x, y = xy[:, 0:1], xy[:, 1:2]
    a, b = poly, np.roll(poly, -1, axis=0)
    dy = np.where(b[:, 1] == a[:, 1], 1e-9, b[:, 1] - a[:, 1])
    cross = ((a[:, 1] > y) != (b[:, 1] > y)) & (x < a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / dy)
    return cross.sum(1) % 2 == 1


def _fit_z(points: np.ndarray, head: np.ndarray, clearance: float) -> np.ndarray:
    """Frame points moved forward where the head (the nose, a cheek) comes closer than the tube."""
    diff = points[:, None, :2] - head[None, :, :2]
    d = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2)
    near_z = np.where(d < clearance + 2.0, head[None, :, 2], -np.inf).max(axis=1)
    out = points.copy()
    out[:, 2] = np.maximum(points[:, 2], near_z + clearance + 1.0)
    return out


def _resample(path: np.ndarray, n: int) -> np.ndarray:
    """`n` points evenly spaced by arc length along a polyline."""
    seg = vec.norm(np.diff(path, axis=0))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    u = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(u, s, path[:, i]) for i in range(3)], axis=1)


def beanie(shell: HeadShell, line: Hairline, hair: StrandSet | None, n_el: int = 20, n_az: int = 96) -> GroomMesh:
    """A knit cap: the shell above a rim line (low on the forehead, over the ear tops), offset
    outside the hair it covers."""
    az = np.linspace(-np.pi, np.pi, n_az, endpoint=False)
    # the rim: low on the forehead, over the ear tops, across the back of the skull
    side = float(line.elevation(np.array([np.pi / 2]))[0]) + np.radians(4)
    back = float(line.elevation(np.array([np.pi]))[0]) + np.radians(25)
    el_rim = np.interp(np.abs(az), [0.0, np.pi / 2, np.pi], [line.el_front - np.radians(7), side, back])
    offset = 2.0
    if hair is not None and hair.n_strands:
        el_h, az_h, r_h = directions(hair.points.reshape(-1, 3), shell.centre)
        above = el_h > np.interp(az_h, az, el_rim)
        if above.any():
            offset += float(np.percentile(r_h[above] - shell.radius_at(el_h[above], az_h[above]), 99.5))
    offset = min(offset, 30.0)
    f = np.linspace(0.0, 1.0, n_el)[:, None]
    el = el_rim[None, :] * (1 - f) + (np.pi / 2 - 0.02) * f
    azg = np.broadcast_to(az, el.shape)
    radius = shell.radius_at(el, azg) + offset * (1 + 0.15 * f)  # a little slouch toward the top
    verts = shell.centre + unit_from_angles(el, azg) * radius[..., None]
    top_r = shell.radius_at(np.array([np.pi / 2 - 0.01]), np.array([0.0]))[0] + offset * 1.15
    verts = np.vstack([verts.reshape(-1, 3), shell.centre + np.array([0.0, top_r, 0.0])])
    tris = []
    for i in range(n_el - 1):
        a = i * n_az + np.arange(n_az)
        b = i * n_az + (np.arange(n_az) + 1) % n_az
        tris += [np.stack([a, a + n_az, b], 1), np.stack([b, a + n_az, b + n_az], 1)]
    top = (n_el - 1) * n_az + np.arange(n_az)
    top_next = (n_el - 1) * n_az + (np.arange(n_az) + 1) % n_az
    tris.append(np.stack([top, np.full(n_az, len(verts) - 1), top_next], 1))
    return GroomMesh("headwear", "knit", verts, np.vstack(tris).astype(np.int64), R.HEADWEAR)
