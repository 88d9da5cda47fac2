"""Scalp hair strands: parametric styles grown over the head shell from a hairline.

Growth, in the model frame on the subject's identity shape:
1. roots: uniform by area on the head's skin above a hairline (elevation per azimuth around the
   shell centre, from landmark heights: forehead, temples, sideburns, above the ears, nape);
2. guides (a few hundred roots) are grown step by step: a comb direction away from the parting
   (or toward a bun), turning into gravity with length, each step pushed out of the head shell
   by a volume offset that grows along the strand; front strands are kept off the face;
3. every other strand follows its three nearest guides (inverse-distance weights) from its own
   root, is pulled toward its clump guide near the tips, then gets curl (a helix about its
   tangent, phase shared per clump) and frizz, and is pushed out of the shell again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry import vec
from facesynth.geometry.head_shell import HeadShell, directions, unit_from_angles

# style: (length mm, strands at full density, points per strand, volume mm, comb length mm)
STYLES: dict[str, tuple[float, int, int, float, float]] = {
    "buzz": (3.5, 45000, 3, 0.0, 50.0),
    "short": (45.0, 26000, 7, 7.0, 60.0),
    "medium": (120.0, 22000, 12, 10.0, 50.0),
    "long": (280.0, 11000, 16, 12.0, 45.0),
    "curly": (110.0, 18000, 22, 16.0, 40.0),
    "bun": (140.0, 20000, 12, 3.0, 400.0),
    "braids": (170.0, 12000, 30, 2.0, 400.0),  # length: each braid's, below its gather point
}
N_GUIDES = 400
ROOT_RADIUS_MM = 0.1
TIP_RADIUS_MM = 0.05
FACE_HALF_AZ = np.radians(48.0)  # long hair may not hang in front of the face inside this azimuth


@dataclass(frozen=True)
class Hairline:
    centre: np.ndarray
    az_knots: np.ndarray
    """Azimuth knots (radians, 0..pi, symmetric)."""
    el_knots: np.ndarray
    """Hairline elevation at each knot (radians)."""
    el_front: float
    el_chin: float

    def elevation(self, az: np.ndarray) -> np.ndarray:
        return np.interp(np.abs(az), self.az_knots, self.el_knots)


def el_for_height(shell: HeadShell, az: float, y: float) -> float:
    """The elevation at which the shell surface at azimuth `az` reaches height `y` (model frame)."""
    el = np.linspace(-np.pi / 2 + 0.05, np.pi / 2 - 0.05, 721)
    r = shell.radius_at(el, np.full_like(el, az))
    height = shell.centre[1] + r * np.sin(el)
    k = int(np.searchsorted(height, y))  # height rises with elevation on a star-shaped head
    return float(el[min(max(k, 0), len(el) - 1)])


def hairline(shell: HeadShell, y_front: float, y_ear: float, y_nape: float, y_chin: float) -> Hairline:
    """Knots (degrees of azimuth) -> target heights; each turned into a shell elevation."""
    knots = np.radians([0, 28, 50, 64, 72, 80, 100, 122, 145, 180])
    heights = [y_front, y_front - 4, y_front - 16, y_ear + 8, y_ear + 2, y_ear + 24, y_ear + 26,
               y_ear + 8, y_nape, y_nape]
    els = np.array([el_for_height(shell, float(a), h) for a, h in zip(knots, heights, strict=True)])
    return Hairline(shell.centre, knots, els, float(els[0]), el_for_height(shell, 0.0, y_chin))


def _tangential(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    return vec.unit(v - vec.dot(v, n)[..., None] * n)


def _unit(v: np.ndarray) -> np.ndarray:
    return vec.unit(v)


@dataclass(frozen=True)
class HairParams:
    style: str
    density: float
    length: float
    clump: float
    curl: float
    frizz: float
    part_side: int


def grow_guides(roots: np.ndarray, shell: HeadShell, line: Hairline, p: HairParams,
                rng: np.random.Generator) -> np.ndarray:
    """(G,P,3) guide strands from (G,3) roots."""
    length, _, n_pts, volume, comb = STYLES[p.style]
    length *= p.length
    g = len(roots)
    lengths = length * rng.uniform(0.8, 1.1, g)
    ds = lengths / (n_pts - 1)
    layer = rng.uniform(0.35, 1.0, g)
    c = shell.centre
    part = c + unit_from_angles(np.array(line.el_front + np.radians(10)), np.array(p.part_side * np.radians(18))) * 100
    bun = c + unit_from_angles(np.array(np.radians(20.0)), np.array(np.pi)) * 120
    down = np.array([0.0, -1.0, 0.0])
    out = np.empty((g, n_pts, 3))
    pt = roots.copy()
    out[:, 0] = pt
    for k in range(1, n_pts):
        s = k * ds
        u = _unit(pt - c)
        flow = _tangential((bun - pt) if p.style == "bun" else (pt - part), u)
        wf = np.exp(-s / comb)[:, None]
        grav = _tangential(np.broadcast_to(down, pt.shape), u)
        el, _, _ = directions(pt, c)
        # below the widest part of the head, hair hangs free
        free = (el < np.radians(-5.0))[:, None]
        grav = np.where(free, down, grav)
        lift = u * (0.6 if k == 1 else 0.0)
        d = _unit(wf * flow + (1 - wf) * grav + lift)
        pt = pt + d * ds[:, None]
        offset = 0.6 + volume * layer * np.minimum(1.0, s / max(length * 0.25, 1.0))
        pt = shell.push_out(pt, offset)
        pt = _keep_off_face(pt, shell, line, offset)
        out[:, k] = pt
    return out


def _keep_off_face(pt: np.ndarray, shell: HeadShell, line: Hairline, offset: np.ndarray) -> np.ndarray:
    """Strands below the front hairline and in front of the face swing out to the face's side."""
    el, az, r = directions(pt, shell.centre)
    bad = (np.abs(az) < FACE_HALF_AZ) & (el < line.el_front - np.radians(3)) & (pt[:, 2] > shell.centre[2])
    if not bad.any():
        return pt
    az2 = np.where(az >= 0, FACE_HALF_AZ, -FACE_HALF_AZ)
    moved = shell.centre + unit_from_angles(el, az2) * np.maximum(shell.radius_at(el, az2) + offset, r)[:, None]
    return np.where(bad[:, None], moved, pt)


def children(roots: np.ndarray, guide_roots: np.ndarray, guides: np.ndarray, shell: HeadShell, line: Hairline,
             p: HairParams, rng: np.random.Generator) -> np.ndarray:
    """(N,P,3) strands following their nearest guides, clumped, curled and frizzed."""
    n, n_pts = len(roots), guides.shape[1]
    near = np.empty((n, 3), np.int64)
    dist = np.empty((n, 3))
    g = [np.ascontiguousarray(guide_roots[:, k])[None, :] for k in range(3)]
    for s in range(0, n, 4096):  # bounded memory: chunks of the (N, G) squared-distance matrix
        r = [np.ascontiguousarray(roots[s:s + 4096, k])[:, None] for k in range(3)]
        d2 = (r[0] - g[0]) ** 2 + (r[1] - g[1]) ** 2 + (r[2] - g[2]) ** 2
        idx = np.argpartition(d2, 2, axis=1)[:, :3]
        near[s:s + 4096] = idx
        dist[s:s + 4096] = np.sqrt(np.take_along_axis(d2, idx, axis=1))
    w = 1.0 / (dist + 1.0)
    w = w / (w[:, 0] + w[:, 1] + w[:, 2])[:, None]
    rel = guides - guides[:, :1]  # (G,P,3) path relative to the guide's root
    strands = roots[:, None, :] + vec.weighted(w, rel[near])
    frac = np.linspace(0.0, 1.0, n_pts)[None, :, None]
    own = near[np.arange(n), np.argmin(dist, axis=1)]
    clumped = guides[own] + (roots - guide_roots[own])[:, None, :] * 0.15
    strands = strands + (clumped - strands) * (p.clump * 0.85 * np.sqrt(frac))
    length = vec.total(vec.norm(np.diff(strands, axis=1)), axis=1)
    if p.curl > 0:
        strands = _curl(strands, shell, p.curl, own, length)
    if p.frizz > 0:
        amp = p.frizz * 3.0 * (frac**1.5)
        strands = strands + rng.normal(0.0, 1.0, strands.shape) * amp
    flat = shell.push_out(strands.reshape(-1, 3), 0.4)
    if p.style != "buzz":
        flat = _keep_off_face(flat, shell, line, 0.4)
    out = flat.reshape(n, n_pts, 3)
    out[:, 0] = roots  # on the skin, exactly at the barycentric root
    return out


def _curl(strands: np.ndarray, shell: HeadShell, curl: float, clump: np.ndarray, length: np.ndarray) -> np.ndarray:
    """A helix about each strand's tangent; radius grows over the first 15 mm."""
    n_pts = strands.shape[1]
    tangent = np.gradient(strands, axis=1)
    tangent = _unit(tangent)
    radial = _unit(strands - shell.centre)
    b1 = _unit(np.cross(tangent, radial))
    b2 = np.cross(tangent, b1)
    s = np.linspace(0.0, 1.0, n_pts)[None, :] * length[:, None]
    period = 10.0 + (1.0 - curl) * 30.0
    phase = (clump * 2.399963)[:, None] % (2 * np.pi)  # golden angle: clumps differ
    ang = 2 * np.pi * s / period + phase
    amp = (curl * 6.0 * np.minimum(1.0, s / 15.0))[..., None]
    return strands + amp * (np.cos(ang)[..., None] * b1 + np.sin(ang)[..., None] * b2)


def bun_strands(roots: np.ndarray, shell: HeadShell, rng: np.random.Generator, n_pts: int) -> np.ndarray:
    """Strands wound around a ball at the back of the crown, starting at their roots."""
    c = shell.centre
    el, az = np.array(np.radians(20.0)), np.array(np.pi)
    u = unit_from_angles(el, az)
    rb = 24.0
    centre = c + u * (shell.radius_at(el[None], az[None])[0] + rb * 0.75)
    n = len(roots)
    a = _unit(rng.normal(size=(n, 3)))
    b = _unit(np.cross(a, rng.normal(size=(n, 3))))
    theta = np.linspace(0.0, 2 * np.pi * 1.2, n_pts - 1)[None, :, None] + rng.uniform(0, 2 * np.pi, (n, 1, 1))
    radius = rb * rng.uniform(0.75, 1.0, (n, 1, 1))
    ring = centre + radius * (np.cos(theta) * a[:, None, :] + np.sin(theta) * b[:, None, :])
    return np.concatenate([roots[:, None, :], ring], axis=1)
