"""A vectorised numpy z-buffer rasteriser: exact depth, triangle ids and barycentrics at pixel centres.

Triangles are grouped by the size of their pixel bounding box, so each group is one dense numpy
computation over (triangles x candidate pixels); there is no per-pixel or per-triangle Python loop.
Edge functions are evaluated on a canonical orientation of each edge (lower vertex id first), so two
triangles sharing an edge agree bit for bit on which side a pixel centre lies: no cracks, and a
centre exactly on the edge belongs to both (the z-test then picks one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry.camera import Camera

# Candidate-pixel tile sizes (per axis) a triangle's bounding box is rounded up to.
_TILE_SIZES = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
                        1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384])
_MAX_CANDIDATES = 1 << 21  # candidates per batch: bounds peak memory at a few hundred MB


def _corner_ok(xy: np.ndarray, z: np.ndarray, tris: np.ndarray, perspective: bool) -> np.ndarray:
    """Triangles whose three vertices are finite (and in front of the camera for perspective)."""
    good = np.isfinite(xy).all(axis=1) & np.isfinite(z)
    if perspective:
        good &= z > 0
    return good[tris[:, 0]] & good[tris[:, 1]] & good[tris[:, 2]]


def _bounds(txy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-triangle (T,2) min and max corner; elementwise over the 3 corners (reductions over a
    length-3 axis are several times slower in numpy)."""
    a, b, c = txy[:, 0], txy[:, 1], txy[:, 2]
    return np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)


@dataclass(frozen=True, eq=False)
class Raster:
    depth: np.ndarray
    """(H,W) float32: planar depth (camera z) in mm for a camera, the given z for screen space; 0 = none."""
    tri_id: np.ndarray
    """(H,W) int32: index into the triangles passed in; -1 = none."""
    bary: np.ndarray
    """(H,W,3) float32: perspective-correct barycentrics of the triangle's three vertices; 0 = none."""

    @property
    def covered(self) -> np.ndarray:
        return self.tri_id >= 0

    def interpolate(self, vertex_values: np.ndarray, triangles: np.ndarray) -> np.ndarray:
        """Interpolate per-vertex values (V,C) at covered pixels -> (H,W,C), 0 where uncovered."""
        vals = np.asarray(vertex_values)
        out = np.zeros((*self.tri_id.shape, vals.shape[1]), dtype=np.float64)
        m = self.covered
        corner = vals[np.asarray(triangles)[self.tri_id[m]]]  # (P,3,C)
        out[m] = np.einsum("pk,pkc->pc", self.bary[m].astype(np.float64), corner)
        return out


def _edge_coeffs(xy: np.ndarray, tris: np.ndarray, i: int, j: int) -> tuple[np.ndarray, ...]:
    """Edge (v_i -> v_j) of each triangle as E(p) = A px + B py + C, computed on the canonical
    orientation (lower vertex id first) and sign-flipped back, so shared edges agree exactly."""
    vi, vj = tris[:, i], tris[:, j]
    flip = vi > vj
    a = np.where(flip, vj, vi)
    b = np.where(flip, vi, vj)
    ax, ay, bx, by = xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1]
    A = ay - by
    B = bx - ax
    C = ax * by - ay * bx
    s = np.where(flip, -1.0, 1.0)
    return A * s, B * s, C * s


def rasterize_screen(
    xy: np.ndarray,
    z: np.ndarray,
    triangles: np.ndarray,
    width: int,
    height: int,
    *,
    perspective: bool,
    z_min: float = -np.inf,
    z_max: float = np.inf,
) -> Raster:
    """Rasterise triangles given in pixel coordinates (pixel-centre convention).

    xy (V,2) pixel coordinates, z (V,) depth per vertex (must be > 0 when `perspective`: depth and
    barycentrics are then interpolated in 1/z, i.e. perspective-correct). Fragments with depth
    outside [z_min, z_max] are dropped. Nearest fragment wins.
    """
    xy = np.asarray(xy, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    tris = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    depth = np.full(height * width, np.inf)
    tri_id = np.full(height * width, -1, dtype=np.int32)
    bary = np.zeros((height * width, 3), dtype=np.float32)
    if len(tris) == 0:
        return _finish(depth, tri_id, bary, width, height)

    txy = xy[tris]  # (T,3,2)
    tz = z[tris]
    ok = _corner_ok(xy, z, tris, perspective)
    lo, hi = _bounds(np.nan_to_num(txy))
    x0 = np.ceil(lo[:, 0]).clip(0, width)
    x1 = np.floor(hi[:, 0]).clip(-1, width - 1)
    y0 = np.ceil(lo[:, 1]).clip(0, height)
    y1 = np.floor(hi[:, 1]).clip(-1, height - 1)
    bw = (x1 - x0 + 1).astype(np.int64)
    bh = (y1 - y0 + 1).astype(np.int64)
    ok &= (bw > 0) & (bh > 0)

    e = [_edge_coeffs(xy, tris, 1, 2), _edge_coeffs(xy, tris, 2, 0), _edge_coeffs(xy, tris, 0, 1)]
    A = np.stack([c[0] for c in e], axis=1)  # (T,3): edge k is opposite vertex k
    B = np.stack([c[1] for c in e], axis=1)
    C = np.stack([c[2] for c in e], axis=1)
    # Twice the signed area, evaluated as E_0 at vertex 0 (same arithmetic as the pixel tests).
    area = A[:, 0] * txy[:, 0, 0] + B[:, 0] * txy[:, 0, 1] + C[:, 0]
    ok &= area != 0
    sign = np.sign(area)

    keep = np.flatnonzero(ok)
    tw = _TILE_SIZES[np.searchsorted(_TILE_SIZES, bw[keep])]
    th = _TILE_SIZES[np.searchsorted(_TILE_SIZES, bh[keep])]
    frag_pix, frag_z, frag_tri, frag_b = [], [], [], []
    # One dense computation per distinct tile shape (a few dozen groups at most).
    shape_key = tw * 100003 + th
    order = np.argsort(shape_key, kind="stable")
    keys, starts = np.unique(shape_key[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    for g in range(len(keys)):
        members = keep[order[bounds[g]:bounds[g + 1]]]
        gw, gh = int(tw[order[bounds[g]]]), int(th[order[bounds[g]]])
        oy, ox = np.divmod(np.arange(gw * gh), gw)
        per_batch = max(1, _MAX_CANDIDATES // (gw * gh))
        for s in range(0, len(members), per_batch):
            t = members[s:s + per_batch]
            px = x0[t, None] + ox[None, :]
            py = y0[t, None] + oy[None, :]
            inb = (px <= x1[t, None]) & (py <= y1[t, None])
            sg = sign[t, None]
            w0 = (A[t, 0, None] * px + B[t, 0, None] * py + C[t, 0, None]) * sg
            w1 = (A[t, 1, None] * px + B[t, 1, None] * py + C[t, 1, None]) * sg
            w2 = (A[t, 2, None] * px + B[t, 2, None] * py + C[t, 2, None]) * sg
            inside = inb & (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
            ti, ci = np.nonzero(inside)
            if len(ti) == 0:
                continue
            tri = t[ti]
            b = np.stack([w0[ti, ci], w1[ti, ci], w2[ti, ci]], axis=1) / np.abs(area[tri])[:, None]
            zc = tz[tri]
            if perspective:
                bz = b / zc
                inv = bz.sum(axis=1)
                fz = 1.0 / inv
                b = bz * fz[:, None]
            else:
                fz = (b * zc).sum(axis=1)
            sel = (fz >= z_min) & (fz <= z_max)
            frag_pix.append((py[ti, ci] * width + px[ti, ci]).astype(np.int64)[sel])
            frag_z.append(fz[sel])
            frag_tri.append(tri[sel])
            frag_b.append(b[sel])
    if frag_pix:
        pix = np.concatenate(frag_pix)
        fz = np.concatenate(frag_z)
        np.minimum.at(depth, pix, fz)
        win = np.flatnonzero(fz == depth[pix])
        # Ties (a centre on a shared edge) resolve to the last fragment: deterministic.
        tri_id[pix[win]] = np.concatenate(frag_tri)[win]
        bary[pix[win]] = np.concatenate(frag_b)[win]
    return _finish(depth, tri_id, bary, width, height)


def _finish(depth: np.ndarray, tri_id: np.ndarray, bary: np.ndarray, width: int, height: int) -> Raster:
    depth = np.where(tri_id >= 0, depth, 0.0).astype(np.float32)
    return Raster(depth.reshape(height, width), tri_id.reshape(height, width), bary.reshape(height, width, 3))


def screen_vertices(
    vertices_cam: np.ndarray, triangles: np.ndarray, camera: Camera, near_mm: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Project camera-frame vertices for rasterising: (xy, z, triangles, near).

    For a perspective camera, triangles with a vertex nearer than `near_mm` (default: the clip
    start) are replaced by degenerate ones, which rasterise to nothing; indices stay stable.
    """
    v = np.asarray(vertices_cam, dtype=np.float64)
    near = camera.clip_start_mm if near_mm is None else float(near_mm)
    z = v[:, 2]
    tris = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    if not camera.is_perspective:
        return camera.project(v), z, tris, near
    # Vertices at or behind the centre have no projection; their triangles are dropped.
    xy = camera.project(np.where(z[:, None] > 0, v, np.array([0.0, 0.0, 1.0])))
    near_v = z < near
    too_near = near_v[tris[:, 0]] | near_v[tris[:, 1]] | near_v[tris[:, 2]]
    if too_near.any():
        tris = tris.copy()
        tris[too_near] = tris[too_near, :1]
    return xy, z, tris, near


def rasterize(
    vertices_cam: np.ndarray,
    triangles: np.ndarray,
    camera: Camera,
    near_mm: float | None = None,
) -> Raster:
    """Rasterise camera-frame vertices (mm) with the camera's projection.

    Depth is planar (camera z) in mm. `near_mm` defaults to the camera's clip start; for a
    perspective camera, triangles with a vertex closer than it are dropped whole (no clipping:
    faces never straddle the camera), and fragments beyond the clip end are dropped.
    """
    xy, z, tris, near = screen_vertices(vertices_cam, triangles, camera, near_mm)
    return rasterize_screen(xy, z, tris, camera.width, camera.height, perspective=camera.is_perspective,
                            z_min=near, z_max=camera.clip_end_mm)


def sample_depth(
    xy: np.ndarray,
    z: np.ndarray,
    triangles: np.ndarray,
    points_xy: np.ndarray,
    *,
    perspective: bool,
) -> np.ndarray:
    """The nearest surface depth at arbitrary (sub-pixel) image points: what the rasteriser would
    write at a pixel centred exactly there. (N,) float64, inf where no triangle covers a point.

    Same inputs and interpolation as `rasterize_screen`; meant for a few points (landmarks).
    """
    xy = np.asarray(xy, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    tris = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    pts = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(pts), np.inf)
    if len(tris) == 0 or len(pts) == 0:
        return out
    txy, tz = xy[tris], z[tris]
    lo, hi = _bounds(txy)
    ok = _corner_ok(xy, z, tris, perspective)
    # Candidate pairs: points sorted by x, each triangle takes the run whose x is in its box.
    order = np.argsort(pts[:, 0], kind="stable")
    sx = pts[order, 0]
    start = np.searchsorted(sx, lo[:, 0], side="left")
    count = np.where(ok, np.searchsorted(sx, hi[:, 0], side="right") - start, 0)
    ti = np.repeat(np.arange(len(tris)), count)
    if len(ti) == 0:
        return out
    run = np.arange(len(ti)) - np.repeat(np.cumsum(count) - count, count)
    pi = order[start[ti] + run]
    keep = (pts[pi, 1] >= lo[ti, 1]) & (pts[pi, 1] <= hi[ti, 1])
    pi, ti = pi[keep], ti[keep]
    a, b, c = txy[ti, 0], txy[ti, 1], txy[ti, 2]
    p = pts[pi]

    def edge(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (v[:, 0] - u[:, 0]) * (p[:, 1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (p[:, 0] - u[:, 0])

    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    w = np.stack([edge(b, c), edge(c, a), edge(a, b)], axis=1) * np.sign(area)[:, None]
    inside = (area != 0) & (w >= 0).all(axis=1)
    bary = w[inside] / np.abs(area[inside])[:, None]
    zc = tz[ti[inside]]
    depth = 1.0 / (bary / zc).sum(axis=1) if perspective else (bary * zc).sum(axis=1)
    np.minimum.at(out, pi[inside], depth)
    return out
