"""Position map speed: `compute_posmap` against a straightforward per-triangle loop (same texels).

The reference is how position maps are often written: for each face-area triangle of the UV
layout, test the texel centres in its bounding box with barycentric coordinates and write the
interpolated camera-frame point. It must agree with `compute_posmap`'s `cam` map (checked), so the
ratio compares equal work.

    .venv/bin/python bench/bench_posmap.py [--size 256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("FACESYNTH_HOME", str(Path(__file__).resolve().parents[1] / ".cache" / "facesynth-test"))


def naive_posmap(pack: Any, vertices_cam: np.ndarray, size: int,
                 every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(cam map, coverage) by a Python loop over the face-area triangles (texel centres, v up);
    `every` > 1 visits only every n-th triangle (to time the loop on a share of the work)."""
    cam = np.zeros((size, size, 3))
    cov = np.zeros((size, size), bool)
    face_tris = np.flatnonzero(np.asarray(pack.face_area)[pack.tri_polygon])
    uv = np.asarray(pack.tri_uv, dtype=np.float64)
    tile = np.floor(uv[face_tris].reshape(-1, 2).min(axis=0))  # the face area's UV tile
    tris = np.asarray(pack.triangles)
    for t in face_tris[::every]:
        xy = np.c_[(uv[t, :, 0] - tile[0]) * size - 0.5, (1.0 - (uv[t, :, 1] - tile[1])) * size - 0.5]
        c0 = max(int(np.ceil(xy[:, 0].min())), 0)
        c1 = min(int(np.floor(xy[:, 0].max())), size - 1)
        r0 = max(int(np.ceil(xy[:, 1].min())), 0)
        r1 = min(int(np.floor(xy[:, 1].max())), size - 1)
        if c1 < c0 or r1 < r0:
            continue
        cols, rows = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
        p = np.c_[cols.ravel(), rows.ravel()].astype(np.float64)
        m = np.c_[xy[1] - xy[0], xy[2] - xy[0]]
        det = np.linalg.det(m)
        if abs(det) < 1e-12:
            continue
        b12 = np.linalg.solve(m, (p - xy[0]).T).T
        bary = np.c_[1.0 - b12.sum(axis=1), b12]
        inside = (bary >= -1e-9).all(axis=1)
        rr, cc = rows.ravel()[inside], cols.ravel()[inside]
        cam[rr, cc] = bary[inside] @ vertices_cam[tris[t]]
        cov[rr, cc] = True
    return cam, cov


def measure(size: int = 256, repeats: int = 5, every: int = 1) -> dict[str, Any]:
    """Median ms of compute_posmap and of the naive loop on one posed ICT sample, and their agreement
    on the texels the loop covered; with `every` > 1 the loop runs on every n-th triangle and its
    time is scaled by n (it is linear in triangles)."""
    from facesynth.assets import load_pack
    from facesynth.geometry.labels import solid_triangles
    from facesynth.geometry.landmarks import compute_landmarks
    from facesynth.geometry.pose import pose_sample
    from facesynth.geometry.posmap import _uv_raster, compute_posmap
    from facesynth.render.quick import quick_spec

    pack = load_pack("ict-facekit")
    spec = quick_spec(face_model="ict-facekit", width=480, height=640, yaw_deg=20.0)
    posed = pose_sample(spec, pack)
    v_cam = posed.to_camera(pack.neutral_mm)
    lm = compute_landmarks(v_cam, pack.landmarks_68, posed.camera, pack.triangles[solid_triangles(pack)])
    pspec = spec.posmap.model_copy(update={"size": size})

    def ours() -> Any:
        _uv_raster.cache_clear()  # count the UV raster too: a fresh worker pays it once per pack
        return compute_posmap(pack, v_cam, posed.camera, lm.uv, lm.xyz_cam, pspec)

    def timed(fn: Any, n: int) -> float:
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1e3

    pm = ours()
    ref_cam, ref_cov = naive_posmap(pack, v_cam, size, every)
    both = pm.coverage & ref_cov
    agree = float(both.sum() / max(ref_cov.sum(), 1))  # share of the loop's texels that ours covers too
    max_diff = float(np.abs(pm.cam[both] - ref_cam[both]).max())
    ours_cached_ms = timed(lambda: compute_posmap(pack, v_cam, posed.camera, lm.uv, lm.xyz_cam, pspec), repeats)
    return {"setup": f"ICT head, {size}x{size} map, {int(pm.coverage.sum())} covered texels",
            "ours_ms": timed(ours, repeats), "ours_cached_ms": ours_cached_ms,
            "naive_ms": every * timed(lambda: naive_posmap(pack, v_cam, size, every), max(repeats // 2, 1)),
            "every": every,
            "coverage_agreement": agree, "max_diff_mm": max_diff}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--every", type=int, default=1, help="time the loop on every n-th triangle, scaled by n")
    args = ap.parse_args()
    r = measure(args.size, args.repeats, args.every)
    print(r["setup"])
    print(f"compute_posmap (UV raster rebuilt): {r['ours_ms']:8.1f} ms; with the per-pack UV raster cached: "
          f"{r['ours_cached_ms']:.1f} ms")
    print(f"per-triangle loop:                  {r['naive_ms']:8.1f} ms -> {r['naive_ms'] / r['ours_ms']:.1f}x slower")
    print(f"texels of the loop also covered by compute_posmap: {r['coverage_agreement'] * 100:.2f} %, largest "
          f"difference {r['max_diff_mm']:.2e} mm")


if __name__ == "__main__":
    main()
