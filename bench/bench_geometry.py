"""Speed of the numpy ground truth: rasterising the ICT head at 480x640, and all labels of a sample.

Run: .venv/bin/python bench/bench_geometry.py [--archive ../shared/assets/ict-facekit/...tar.xz]
Prints medians over repeats, the 150 ms target ratio, and the ratio to trimesh ray casting of the
same depth image (measured on a pixel subsample and scaled to the full image).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = REPO.parent / "shared" / "assets" / "ict-facekit" / "ict-facekit-da5f95a.tar.xz"
TARGET_MS = 150.0


def _ict_pack(archive: Path):
    from facesynth.assets import load_pack
    from facesynth.assets.cache import pack_cache_path
    from facesynth.assets.ict import import_ict

    if not pack_cache_path("ict-facekit").exists():
        import_ict(archive)
    return load_pack("ict-facekit")


def _spec(yaw: float):
    sys.path.insert(0, str(REPO / "tests"))
    from test_geometry_support import camera_spec, sample_spec

    return sample_spec(yaw=yaw, pitch=5.0, camera=camera_spec(width=640, height=480, distance_mm=900.0),
                       identity=(0.8, -0.4), weights=(("jawOpen", 0.3),))


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(times)


def measure(archive: Path = DEFAULT_ARCHIVE, repeats: int = 7, n_rays: int = 5000) -> dict[str, Any]:
    """Rasteriser, labels and trimesh ray casting (the straightforward reference) of one ICT sample."""
    import trimesh

    from facesynth.geometry.labels import compute_labels, solid_triangles
    from facesynth.geometry.pose import pose_sample
    from facesynth.geometry.raster import rasterize

    pack = _ict_pack(archive)
    spec = _spec(yaw=20.0)
    posed = pose_sample(spec, pack)
    verts = pack.deform(spec.subject.identity, spec.expression_weights())
    v_cam = posed.to_camera(verts)
    tris = np.asarray(pack.triangles)
    solid = tris[solid_triangles(pack)]

    raster_ms = _median_ms(lambda: rasterize(v_cam, tris, posed.camera), repeats)
    solid_ms = _median_ms(lambda: rasterize(v_cam, solid, posed.camera), repeats)
    labels_ms = _median_ms(lambda: compute_labels(spec, pack, verts, posed), repeats)
    r = rasterize(v_cam, solid, posed.camera)

    # Reference: trimesh ray casting of the same pixels (no embree here), on a subsample.
    h, w = r.depth.shape
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, h, n_rays), rng.integers(0, w, n_rays)
    K = posed.camera.K
    dirs = np.c_[(cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1], np.ones(n_rays)]
    mesh = trimesh.Trimesh(v_cam, solid, process=False)
    t = time.perf_counter()
    mesh.ray.intersects_location(np.zeros_like(dirs), dirs, multiple_hits=True)
    rays_full_ms = (time.perf_counter() - t) * 1000.0 * (h * w) / n_rays
    return {"setup": f"ICT head: {pack.n_vertices} vertices, {len(tris)} triangles ({len(solid)} solid), {w}x{h}",
            "raster_ms": raster_ms, "solid_ms": solid_ms, "labels_ms": labels_ms, "rays_ms": rays_full_ms,
            "n_rays": n_rays, "covered": int(r.covered.sum()), "rays_over_raster": rays_full_ms / solid_ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    r = measure(args.archive, args.repeats)
    print(r["setup"])
    print(f"rasterize, all triangles:          {r['raster_ms']:8.1f} ms  (target {TARGET_MS:.0f} ms: "
          f"{r['raster_ms'] / TARGET_MS:.2f}x of budget)")
    print(f"rasterize, solid triangles:        {r['solid_ms']:8.1f} ms  ({r['covered']} pixels covered)")
    print(f"compute_labels (depth, normals, mask, 68 landmarks, 256x256 posmap): {r['labels_ms']:8.1f} ms")
    print(f"trimesh ray casting, same image (scaled from {r['n_rays']} rays): {r['rays_ms']:8.0f} ms "
          f"-> rasteriser {r['rays_over_raster']:.0f}x faster")


if __name__ == "__main__":
    main()
