"""The head as seen by growing hair: a radial height field around a centre, and surface sampling.

Strands must stay outside the skin. Rather than a nearest-surface search per step (a KD-tree
per subject), the head is summarised once as its outermost radius in each direction from a
centre inside the skull, on an elevation x azimuth grid; pushing a point out to that radius
keeps it outside. The skull is close to star-shaped around such a centre, which is what makes
this cheap summary good enough for hair (it is conservative: never inside the mesh).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry import vec

N_EL, N_AZ = 60, 120


def directions(p: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(elevation, azimuth) in radians and radius of points around `centre` in the model frame
    (+Y up, +Z forward: azimuth 0 = straight ahead, +pi/2 = subject's left, +X)."""
    d = np.asarray(p, dtype=np.float64) - centre
    r = vec.norm(d)
    el = np.arcsin(np.clip(d[..., 1] / np.maximum(r, 1e-9), -1.0, 1.0))
    az = _atan2(np.ascontiguousarray(d[..., 0]), np.ascontiguousarray(d[..., 2]))
    return el, az, r


def _atan2(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """atan2 from arctan: numpy's arctan2 gave last-bit differences between calls on equal
    inputs (seen with numpy 1.26 on x86-64), and grown hair must be identical on every run."""
    ax, ay = np.abs(x), np.abs(y)
    big, small = np.maximum(ax, ay), np.minimum(ax, ay)
    a = np.arctan(small / np.where(big > 0, big, 1.0))
    a = np.where(ay > ax, np.pi / 2 - a, a)
    a = np.where(x < 0, np.pi - a, a)
    return np.where(y < 0, -a, a)


def unit_from_angles(el: np.ndarray, az: np.ndarray) -> np.ndarray:
    ce = np.cos(el)
    return np.stack([ce * np.sin(az), np.sin(el), ce * np.cos(az)], axis=-1)


@dataclass(frozen=True, eq=False)
class HeadShell:
    centre: np.ndarray
    radius: np.ndarray
    """(N_EL, N_AZ) outermost head radius per cell, mm."""

    def radius_at(self, el: np.ndarray, az: np.ndarray) -> np.ndarray:
        """Bilinear in the cell grid (azimuth wraps)."""
        fe = np.clip((el + np.pi / 2) / np.pi * N_EL - 0.5, 0, N_EL - 1)
        fa = ((az + np.pi) / (2 * np.pi) * N_AZ - 0.5) % N_AZ
        e0 = np.floor(fe).astype(int)
        a0 = np.floor(fa).astype(int)
        e1 = np.minimum(e0 + 1, N_EL - 1)
        a1 = (a0 + 1) % N_AZ
        te, ta = fe - e0, fa - a0
        r = self.radius
        return ((r[e0, a0] * (1 - ta) + r[e0, a1] * ta) * (1 - te) + (r[e1, a0] * (1 - ta) + r[e1, a1] * ta) * te)

    def push_out(self, p: np.ndarray, offset: np.ndarray | float) -> np.ndarray:
        """Points moved radially to at least `offset` mm outside the shell."""
        el, az, r = directions(p, self.centre)
        need = self.radius_at(el, az) + offset
        scale = np.where(r < need, need / np.maximum(r, 1e-9), 1.0)
        return self.centre + (p - self.centre) * scale[..., None]


def build_shell(vertices: np.ndarray, centre: np.ndarray) -> HeadShell:
    """Outermost radius per direction cell; empty cells take their neighbours' maximum, and each
    cell the maximum of its 3x3 neighbourhood, so a point pushed to the shell clears every
    vertex of the cells it lies between."""
    el, az, r = directions(vertices, centre)
    ie = np.clip(((el + np.pi / 2) / np.pi * N_EL).astype(int), 0, N_EL - 1)
    ia = np.clip(((az + np.pi) / (2 * np.pi) * N_AZ).astype(int), 0, N_AZ - 1)
    grid = np.zeros((N_EL, N_AZ))
    np.maximum.at(grid, (ie, ia), r)
    for _ in range(N_EL):  # fill holes (below the neck cut, behind thin parts) from neighbours
        empty = grid == 0
        if not empty.any():
            break
        grid = np.where(empty, _max3(grid), grid)
    return HeadShell(centre=np.asarray(centre, dtype=np.float64), radius=_max3(grid))


def _max3(g: np.ndarray) -> np.ndarray:
    """3x3 maximum filter; azimuth wraps, elevation clamps."""
    p = np.pad(g, ((1, 1), (0, 0)), mode="edge")
    p = np.concatenate([p[:, -1:], p, p[:, :1]], axis=1)
    stack = [p[1 + de:1 + de + g.shape[0], 1 + da:1 + da + g.shape[1]] for de in (-1, 0, 1) for da in (-1, 0, 1)]
    return np.max(stack, axis=0)


@dataclass(frozen=True, eq=False)
class SurfaceSamples:
    triangle: np.ndarray
    """(N,) index into the triangles sampled from."""
    bary: np.ndarray
    """(N,3) barycentric weights."""
    points: np.ndarray
    normals: np.ndarray
    """(N,3) unit geometric normals (counter-clockwise = outward)."""


def sample_surface(vertices: np.ndarray, triangles: np.ndarray, count: int,
                   rng: np.random.Generator) -> SurfaceSamples:
    """`count` points uniformly by area on the triangles."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    a, b, c = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
    cross = np.cross(b - a, c - a)
    area = vec.norm(cross)
    cdf = np.cumsum(area)  # sequential: the same choice on every run
    tri = np.minimum(np.searchsorted(cdf, rng.uniform(size=count) * cdf[-1], side="right"), len(t) - 1)
    u, w = rng.uniform(size=count), rng.uniform(size=count)
    su = np.sqrt(u)
    bary = np.stack([1 - su, su * (1 - w), su * w], axis=1)
    pts = vec.weighted(bary, v[t[tri]])
    n = cross[tri] / np.maximum(area[tri], 1e-12)[:, None]
    return SurfaceSamples(tri, bary, pts, n)
