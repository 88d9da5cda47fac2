"""Eyebrows, beards/stubble and eyelashes as short strands lying on the skin.

Roots are sampled uniformly by area on the face pack's skin triangles and kept where a region
test built from the subject's own 68 landmarks (identity shape, model frame: +X subject's left,
+Y up, +Z forward) says the hair grows. Each strand leaves the skin at a shallow angle in a
direction that depends on where it grows (brows: up at the inner end, sideways along the arch;
beards: down the face), lying in the skin's tangent plane and rising slowly off it.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets import regions as R
from facesynth.geometry import vec
from facesynth.geometry.accessories import _inside as _inside_polygon
from facesynth.geometry.head_shell import SurfaceSamples, sample_surface
from facesynth.geometry.strands import StrandSet

UP = np.array([0.0, 1.0, 0.0])


def _unit(v: np.ndarray) -> np.ndarray:
    return vec.unit(v)


def _tangent(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    return _unit(d - vec.dot(d, n)[..., None] * n)


def lying_strands(roots: np.ndarray, normals: np.ndarray, direction: np.ndarray, length: np.ndarray,
                  n_pts: int, lift: float, droop: float = 0.0) -> np.ndarray:
    """(N,P,3): strands along `direction` (projected onto the skin's tangent plane), rising off
    the skin by `lift` mm per mm and bending back toward it by `droop` per mm^2."""
    d = _tangent(direction, normals)
    s = np.linspace(0.0, 1.0, n_pts)[None, :] * length[:, None]
    height = np.maximum(lift * s - droop * s**2, 0.05 * s)
    return roots[:, None, :] + d[:, None, :] * s[..., None] + normals[:, None, :] * height[..., None]


def _strand_set(name: str, tris: np.ndarray, samples: SurfaceSamples, keep: np.ndarray, points: np.ndarray,
                root_r: float, tip_r: float, region: np.ndarray | int, solid: bool = True) -> StrandSet:
    n, n_pts = points.shape[:2]
    radius = np.broadcast_to(np.linspace(root_r, tip_r, n_pts), (n, n_pts)).copy()
    reg = np.broadcast_to(np.asarray(region, np.uint8), (n,)).copy()
    return StrandSet(name=name, material="hair", points=points, radius=radius, region=reg,
                     root_vertices=tris[samples.triangle[keep]], root_weights=samples.bary[keep], solid=solid)


def eyebrows(vertices: np.ndarray, skin_tris: np.ndarray, lm: np.ndarray, density: float, thickness_mm: float,
             rng: np.random.Generator) -> StrandSet:
    """Both brows: a band under the iBUG brow contour (17-21 right, 22-26 left), thick at the
    inner end and tapering to the tail."""
    brow = lm[17:27]
    lo = brow.min(0) - np.array([8.0, thickness_mm + 6.0, 30.0])
    hi = brow.max(0) + np.array([8.0, 6.0, 30.0])
    cen = vec.mean(vertices[skin_tris], axis=1)
    near = skin_tris[np.all((cen > lo) & (cen < hi), axis=1)]
    s = sample_surface(vertices, near, int(20000 * density) + 1, rng)
    x, y = s.points[:, 0], s.points[:, 1]
    side = np.sign(x)
    right, left = lm[17:22][::-1], lm[22:27]  # inner -> outer
    inner_x = np.where(side < 0, abs(right[0, 0]), abs(left[0, 0]))
    outer_x = np.where(side < 0, abs(right[-1, 0]), abs(left[-1, 0]))
    t = (np.abs(x) - inner_x) / np.maximum(outer_x - inner_x, 1e-6)
    xs = np.linspace(0.0, 1.0, 5)
    top = np.where(side < 0, np.interp(t, xs, right[:, 1]), np.interp(t, xs, left[:, 1]))
    t_c = np.clip(t, 0.0, 1.0)
    h = thickness_mm * (1.0 - 0.6 * t_c)
    jitter = rng.normal(0.0, 0.6, len(x))
    inside = (t > -0.04) & (t < 1.1) & (y < top + 0.5 + jitter) & (y > top - h + jitter) & (s.normals[:, 2] > 0.2)
    # sparser toward the tail and the band's edges
    edge = np.minimum(np.abs(y - top), np.abs(y - (top - h))) / np.maximum(h, 1e-6)
    keep = inside & (rng.uniform(size=len(x)) < (1.0 - 0.45 * t_c) * np.clip(edge * 4 + 0.3, 0, 1))
    side_k, t_k = side[keep], t_c[keep]
    lateral = np.stack([side_k, np.zeros_like(side_k), np.zeros_like(side_k)], 1)
    up_w = np.maximum(0.35 - t_k, 0.0) * 3.0 + 0.2 - np.maximum(t_k - 0.7, 0.0) * 1.2
    direction = lateral * (0.3 + t_k)[:, None] + UP * up_w[:, None] + rng.normal(0, 0.15, (len(t_k), 3))
    length = rng.uniform(5.0, 8.5, len(t_k))
    points = lying_strands(s.points[keep], s.normals[keep], direction, length, 4, lift=0.22, droop=0.012)
    region = np.where(side_k > 0, R.BROW_LEFT, R.BROW_RIGHT)
    return _strand_set("eyebrows", near, s, keep, points, 0.06, 0.03, region)


# beard style: (length mm, strands at full density, points, lift per mm, area)
BEARD: dict[str, tuple[float, int, int, float, str]] = {
    "stubble": (1.2, 45000, 2, 0.6, "full"),
    "short": (5.0, 30000, 3, 0.35, "full"),
    "full": (22.0, 26000, 6, 0.3, "full"),
    "goatee": (10.0, 12000, 4, 0.3, "goatee"),
    "moustache": (9.0, 6000, 4, 0.25, "moustache"),
}


def beard_area(points: np.ndarray, normals: np.ndarray, lm: np.ndarray, area: str) -> np.ndarray:
    """How likely hair grows at each point (0..1): 1 inside the style's area, fading over a few mm
    at the cheek and neck lines so the edge is not a cut."""
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    ax = np.abs(x)
    mouth_w = np.abs(lm[54, 0] - lm[48, 0]) / 2
    y_nose, y_lip_top, y_lip_bottom = lm[33, 1], lm[51, 1], lm[57, 1]
    y_ear, y_chin = (lm[0, 1] + lm[16, 1]) / 2, lm[8, 1]
    lips = lm[48:60, :2]
    mouth_c = vec.mean(lips)
    in_lips = _inside_polygon(points[:, :2], mouth_c + (lips - mouth_c) * 1.12) & (z > lm[8, 2] - 25)
    moustache = (ax < mouth_w + 4) & (y < y_nose - 2) & (y > y_lip_top - 2) & (normals[:, 2] > 0.3)
    if area == "moustache":
        return (moustache & ~in_lips).astype(float)
    chin = (ax < mouth_w + 6) & (y < y_lip_bottom - 1) & (y > y_chin - 25)
    if area == "goatee":
        return ((moustache | chin) & ~in_lips).astype(float)
    # full: below a cheek line from the sideburn (in front of the ear) to the nose wings,
    # down under the chin to above the Adam's apple, in front of the ear
    cheek = np.interp(ax, [0.0, mouth_w, mouth_w + 12, mouth_w + 28, 72.0, 200.0],
                      [y_nose - 2, y_nose - 5, y_nose + 2, y_ear - 20, y_ear + 10, y_ear + 10])
    jaw_front = z > np.interp(y, [y_chin - 60, y_ear], [lm[8, 2] - 75, lm[0, 2] - 4])
    margin = np.minimum(cheek - y, y - (y_chin - 32))
    return np.clip(margin / 7.0, 0.0, 1.0) * (jaw_front & ~in_lips & (normals[:, 1] < 0.9))


def beard(vertices: np.ndarray, skin_tris: np.ndarray, lm: np.ndarray, style: str, density: float,
          rng: np.random.Generator) -> StrandSet:
    length, count, n_pts, lift, area = BEARD[style]
    lo = np.array([-95.0, lm[8, 1] - 60, lm[0, 2] - 30])
    hi = np.array([95.0, lm[33, 1] + 4, 400.0])
    cen = vec.mean(vertices[skin_tris], axis=1)
    near = skin_tris[np.all((cen > lo) & (cen < hi), axis=1)]
    s = sample_surface(vertices, near, int(count * density * 2.2) + 1, rng)
    keep = rng.uniform(size=len(s.points)) < beard_area(s.points, s.normals, lm, area)
    p, n = s.points[keep], s.normals[keep]
    k = len(p)
    side = np.sign(p[:, 0])
    direction = -UP + rng.normal(0, 0.25, (k, 3))
    in_moustache = (p[:, 1] > lm[51, 1] - 2) & (np.abs(p[:, 0]) < np.abs(lm[54, 0] - lm[48, 0]) / 2 + 4)
    direction[in_moustache, 0] += side[in_moustache] * 0.8
    lengths = length * rng.uniform(0.7, 1.2, k)
    points = lying_strands(p, n, direction, lengths, n_pts, lift=lift, droop=0.004 if length > 10 else 0.0)
    return _strand_set("beard", near, s, keep, points, 0.05, 0.025, R.BEARD)


LID_UPPER = ((36, 37, 38, 39), (42, 43, 44, 45))
LID_LOWER = ((39, 40, 41, 36), (45, 46, 47, 42))


def eyelashes(vertices: np.ndarray, lm_ids: np.ndarray, rng: np.random.Generator) -> StrandSet:
    """Lashes along the lid margins (landmark vertices), curling up (upper) or down (lower);
    roots are weighted between two consecutive landmark vertices. See-through: never occludes."""
    pts_all, vids, wts = [], [], []
    for lids, count, length, up in ((LID_UPPER, 80, 8.5, 1.0), (LID_LOWER, 35, 4.5, -1.0)):
        for chain in lids:
            ids = np.asarray(lm_ids)[list(chain)]
            t = np.sort(rng.uniform(0.04, 0.96, count)) * (len(ids) - 1)
            seg = np.minimum(t.astype(int), len(ids) - 2)
            f = t - seg
            a, b = vertices[ids[seg]], vertices[ids[seg + 1]]
            root = a * (1 - f)[:, None] + b * f[:, None]
            eye_c = vec.mean(vertices[ids])
            outward = _unit((root - eye_c) * [1.0, 1.0, 0.0]) * 0.5 + np.array([0.0, 0.0, 1.0])
            d0 = _unit(outward + UP * up * 0.5)
            s = np.linspace(0.0, 1.0, 5)[None, :] * (length * rng.uniform(0.7, 1.1, count))[:, None]
            curve = UP[None, None, :] * (up * 0.045 * s**2)[..., None]
            pts_all.append(root[:, None, :] + d0[:, None, :] * s[..., None] + curve)
            vids.append(np.stack([ids[seg], ids[seg + 1], ids[seg + 1]], 1))
            wts.append(np.stack([1 - f, f, np.zeros_like(f)], 1))
    points = np.concatenate(pts_all)
    n = len(points)
    radius = np.broadcast_to(np.linspace(0.04, 0.012, 5), (n, 5)).copy()
    return StrandSet("eyelashes", "hair", points, radius, np.full(n, R.EYELASHES, np.uint8),
                     np.concatenate(vids), np.concatenate(wts), solid=False)
