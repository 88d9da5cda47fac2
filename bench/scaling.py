"""Scaling with work: per-sample time and memory against resolution and against mesh size.

    nice .venv/bin/python bench/scaling.py [--spp 16] [--no-record]

Each row runs in a fresh process (so its peak memory is its own): build the scene, render one
untimed warm-up sample (kernel and shader set-up), then time --samples samples of the full
per-sample work (labels with a 256² position map, and `RenderSession.render`). Rows:
- resolution: the ICT head at 240x320, 480x640, 720x960 and 960x1280;
- mesh size, at 480x640: the built-in head, ICT-FaceKit, and a ~100k-vertex character made by
  splitting every ICT triangle into four (midpoints; UVs, regions and landmark vertices carried
  over, so it renders and labels like ICT with four times the triangles).
Cost (CPU seconds of the process per sample: all render threads, and what a machine shared with
other jobs does not inflate; wall seconds beside it) is shown against the first row of each table
with the work ratio (pixels, triangles) beside it: a cost ratio at or below the work ratio means
cost grows at most linearly with work.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))

RESOLUTIONS = ("240x320", "480x640", "720x960", "960x1280")
MESHES = ("builtin", "ict-facekit", "ict-subdivided")


def subdivided(pack: Any) -> Any:
    """`pack` with every triangle split into four at edge midpoints (vertex ids of `pack` kept)."""
    from facesynth.assets.pack import FacePack

    tris = np.asarray(pack.triangles)
    v = np.asarray(pack.neutral_mm, dtype=np.float64)
    edges = np.sort(tris[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = inverse.reshape(-1, 3) + len(v)  # ids of the midpoints of edges ab, bc, ca
    verts = np.vstack([v, v[unique].mean(axis=1)])
    a, b, c = tris.T
    ab, bc, ca = mid.T
    faces = np.stack([np.c_[a, ab, ca], np.c_[ab, b, bc], np.c_[ca, bc, c], np.c_[ab, bc, ca]], axis=1).reshape(-1, 3)
    uv = np.asarray(pack.tri_uv, dtype=np.float64)  # (T, 3, 2) per corner
    ua, ub, uc = uv[:, 0], uv[:, 1], uv[:, 2]
    uab, ubc, uca = (ua + ub) / 2, (ub + uc) / 2, (uc + ua) / 2
    corner_uv = np.stack([np.stack([ua, uab, uca], 1), np.stack([uab, ub, ubc], 1), np.stack([uca, ubc, uc], 1),
                          np.stack([uab, ubc, uca], 1)], axis=1).reshape(-1, 2)
    poly = np.asarray(pack.tri_polygon)
    return FacePack.from_arrays(
        name="ict-subdivided", neutral_mm=verts, polygons=faces, poly_uv=corner_uv,
        poly_region=np.repeat(np.asarray(pack.poly_region)[poly], 4),
        face_area=np.repeat(np.asarray(pack.face_area)[poly], 4),
        landmarks_68=np.asarray(pack.landmarks_68), pivot_mm=pack.pivot_mm,
    )


def child(face_model: str, resolution: str, spp: int, samples: int) -> dict[str, Any]:
    """One row, in this (fresh) process."""
    import resource

    from facesynth.assets import load_pack
    from facesynth.farm.soak import rss_mb
    from facesynth.geometry.labels import compute_labels
    from facesynth.geometry.pose import pose_sample
    from facesynth.render import RenderSession
    from facesynth.render.quick import KEY_LIGHT, quick_spec

    pack = subdivided(load_pack("ict-facekit")) if face_model == "ict-subdivided" else load_pack(face_model)
    w, h = (int(x) for x in resolution.split("x"))
    rss_before = rss_mb()
    session = RenderSession(pack)
    label_s, render_s, total_s, cpu_s = [], [], [], []
    for i in range(samples + 1):  # the first is the untimed warm-up
        spec = quick_spec(face_model="ict-facekit" if face_model != "builtin" else "builtin", width=w, height=h,
                          samples=spp, adaptive_threshold=0.03, denoise=True, max_bounces=8, index=i,
                          yaw_deg=10.0 * i, lights=(KEY_LIGHT,), distance_mm=650.0)
        spec = spec.model_copy(update={"outputs": ("rgb", "depth", "normals", "masks", "landmarks", "posmap")})
        posed = pose_sample(spec, pack)
        t0, c0 = time.perf_counter(), time.process_time()
        compute_labels(spec, pack, pack.neutral_mm, posed)
        t1 = time.perf_counter()
        res = session.render(spec, pack.neutral_mm, posed)
        if i:
            label_s.append(t1 - t0)
            render_s.append(res.timings["render"])
            total_s.append(time.perf_counter() - t0)
            cpu_s.append(time.process_time() - c0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # KiB on Linux
    session.close()
    return {"face_model": face_model, "resolution": resolution, "vertices": int(pack.n_vertices),
            "triangles": len(pack.triangles), "pixels": w * h, "sample_s": statistics.median(total_s),
            "sample_cpu_s": statistics.median(cpu_s),
            "render_s": statistics.median(render_s), "labels_s": statistics.median(label_s),
            "rss_mb": rss_mb(), "peak_rss_mb": peak, "rss_before_scene_mb": rss_before}


def run_row(face_model: str, resolution: str, spp: int, samples: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", face_model, resolution, str(spp), str(samples)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{face_model} {resolution}: {out.stderr.strip()[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict[str, Any]], work_key: str, work_label: str) -> str:
    base = rows[0]
    lines = [f"| face model | resolution | vertices | CPU s/sample | ÷ first row | {work_label} ÷ first row | "
             "wall s/sample | of which Cycles | labels s | peak RSS MB | ÷ first row |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['face_model']} | {r['resolution']} | {r['vertices']} | {r['sample_cpu_s']:.2f} | "
                     f"{r['sample_cpu_s'] / base['sample_cpu_s']:.2f} | {r[work_key] / base[work_key]:.2f} | "
                     f"{r['sample_s']:.2f} | {r['render_s']:.2f} | {r['labels_s']:.3f} | {r['peak_rss_mb']:.0f} | "
                     f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spp", type=int, default=16, help="Cycles samples per pixel (adaptive 0.03, OIDN)")
    ap.add_argument("--samples", type=int, default=2, help="timed samples per row (median)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from bench.record import append_table, command_line, machine

    machine_text = machine()
    t0 = time.perf_counter()
    by_res = []
    for res in RESOLUTIONS:
        by_res.append(run_row("ict-facekit", res, args.spp, args.samples))
        print(by_res[-1], flush=True)
    by_mesh = []
    for fm in MESHES:
        by_mesh.append(by_res[1] if fm == "ict-facekit" else run_row(fm, "480x640", args.spp, args.samples))
        print(by_mesh[-1], flush=True)
    text = (f"Resolution (ICT head, {args.spp} spp, adaptive 0.03, OIDN):\n\n{table(by_res, 'pixels', 'pixels')}\n\n"
            f"Mesh size (480x640, same settings):\n\n{table(by_mesh, 'triangles', 'triangles')}")
    print(text)
    if not args.no_record:
        append_table("scaling with work", text, machine_text=machine_text, command=command_line(),
                     note=f"each row a fresh process, median of {args.samples} samples after a warm-up; "
                          f"the run took {(time.perf_counter() - t0) / 60:.0f} min")


if __name__ == "__main__":
    main()
