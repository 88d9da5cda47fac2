"""The 'braids' hair style: scalp hair combed tight to two gather points behind the ears, then
plaited into two three-strand braids that hang to the shoulders.

Every strand starts at its own root, runs over the head shell to its side's gather point and then
follows one of the three bundles of that side's braid. A bundle's centre line is the classic
plait curve: across the braid as sin(t), in and out of the braid's plane as sin(2t)/2, the three
bundles a third of a period apart, so each crosses over the middle one in turn. Below the tie the
strands fan out into a short loose tuft.
"""

from __future__ import annotations

import numpy as np

from facesynth.geometry import vec
from facesynth.geometry.head_shell import HeadShell, directions, unit_from_angles
from facesynth.geometry.scalp_hair import el_for_height

GATHER_AZ = np.radians(112.0)
"""Azimuth of each side's gather point: a little behind the ear (90 deg is straight to the side)."""
HEAD_POINTS = 10
"""Points of a strand between its root and the gather point; the rest make the braid."""
BRAID_HALF_WIDTH_MM = (11.0, 7.0)
"""Half-width of the braid at its top and at the tie."""
BUNDLE_RADIUS_MM = 3.6
PITCH_MM = 26.0
"""Length of braid per full crossing cycle of the three bundles."""
TUFT = 0.12
"""Share of the braid's length below the tie, where strands fan out."""


def braid_strands(roots: np.ndarray, shell: HeadShell, y_gather: float, length_mm: float, n_pts: int,
                  rng: np.random.Generator) -> np.ndarray:
    """(N,P,3) strands (model frame, mm) from (N,3) scalp roots; `y_gather` is the height of the
    gather points (about the ear lobes), `length_mm` the braid's length below them."""
    n = len(roots)
    c = shell.centre
    _, root_az, _ = directions(roots, c)
    side = np.where(roots[:, 0] >= c[0], 1.0, -1.0)  # +1: the subject's left (+X, azimuth > 0)
    out = np.empty((n, n_pts, 3))
    gathers = {}
    for s in (1.0, -1.0):
        az = s * GATHER_AZ
        el = el_for_height(shell, az, y_gather)
        gathers[s] = (el, az, c + unit_from_angles(np.array(el), np.array(az)) * (shell.radius_at(
            np.array([el]), np.array([az]))[0] + 8.0))

    # 1. over the head: along the shell from the root to the gather point, a layer above the skin
    root_el, _, _ = directions(roots, c)
    t = np.linspace(0.0, 1.0, HEAD_POINTS)[None, :]
    g_el = np.where(side > 0, gathers[1.0][0], gathers[-1.0][0])[:, None]
    g_az = np.where(side > 0, gathers[1.0][1], gathers[-1.0][1])[:, None]
    ease = t * t * (3.0 - 2.0 * t)  # leave the root along the skin, arrive along the gather
    el = root_el[:, None] + (g_el - root_el[:, None]) * ease
    az = root_az[:, None] + (g_az - root_az[:, None]) * ease
    layer = 0.6 + rng.uniform(0.5, 3.5, (n, 1)) * np.sqrt(t)
    head = c + unit_from_angles(el, az) * (shell.radius_at(el, az) + layer)[..., None]
    out[:, :HEAD_POINTS] = head

    # 2. the braid: three bundles per side, each strand at a fixed offset inside its bundle
    m = n_pts - HEAD_POINTS
    u = np.linspace(0.0, 1.0, m + 1)[1:][None, :]  # 0 would repeat the gather point
    bundle = rng.integers(0, 3, n)
    jitter = rng.normal(0.0, 1.0, (n, 2))
    size = np.sqrt(jitter[:, 0] ** 2 + jitter[:, 1] ** 2)
    jitter *= (BUNDLE_RADIUS_MM * np.sqrt(rng.uniform(0.0, 1.0, n)) / np.maximum(size, 1e-9))[:, None]
    for s in (1.0, -1.0):
        idx = np.flatnonzero(side == s)
        if not idx.size:
            continue
        gather = gathers[s][2]
        outward = gather - c
        outward[1] = 0.0
        outward = vec.unit(outward)
        hang = vec.unit(np.array([0.0, -1.0, 0.0]) + 0.2 * outward)
        across = vec.unit(np.cross(hang, outward))
        depth = np.cross(across, hang)
        along = gather + hang * (u[..., None] * length_mm)  # (1,m,3)
        phase = 2.0 * np.pi * (u * length_mm / PITCH_MM)[:, :, None] + 2.0 * np.pi * bundle[idx, None, None] / 3.0
        plait = 1.0 - TUFT
        half = np.interp(u, [0.0, plait], BRAID_HALF_WIDTH_MM)[..., None]
        settle = np.minimum(1.0, u / 0.08)[..., None]  # the bundles part just below the gather point
        tied = (u <= plait)[..., None]
        spread = np.where(u <= plait, 1.0, 1.0 + 2.5 * (u - plait) / TUFT)[..., None]
        centre = (np.sin(phase) * across + 0.5 * np.sin(2.0 * phase) * depth) * (half * settle)
        centre = np.where(tied, centre, 0.0)
        own = (jitter[idx, 0, None, None] * across + jitter[idx, 1, None, None] * depth) * spread * (0.4 + 0.6 * settle)
        out[idx, HEAD_POINTS:] = along + centre + own
    flat = shell.push_out(out[:, 1:].reshape(-1, 3), 0.6).reshape(n, n_pts - 1, 3)
    out[:, 1:] = flat
    out[:, 0] = roots
    return out

