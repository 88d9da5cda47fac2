"""Render-worker overhead: RenderSession.render vs the raw Cycles call, and vs a naive loop.

Reference (DESIGN.md): 480x640, 64 spp, adaptive sampling, OpenImageDenoise, ICT head, 10 samples.
For each sample, the session mirrors a new subject/pose into the persistent scene and renders
(our full per-sample cost: update + render + EXR read + composite); then the very same scene is
rendered again with a bare `bpy.ops.render.render()` in the same process (the raw Cycles cost).
The naive loop rebuilds the whole scene for every sample (factory reset, mesh, materials...).
Printed: per-sample medians and the ratios session/raw (target <= 1.10) and naive/raw, in wall
time and in process CPU time (all threads; steadier than wall time on a shared machine).

    .venv/bin/python bench/render_overhead.py            # the reference run (many minutes)
    .venv/bin/python bench/render_overhead.py --samples 3 --spp 16 --scale 0.5   # quick look

`measure()` returns the figures; `python -m bench` records them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import numpy as np

os.environ.setdefault("FACESYNTH_HOME", os.path.join(os.path.dirname(__file__), "..", ".cache", "facesynth-test"))

from facesynth.assets import load_pack
from facesynth.geometry.pose import pose_sample
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.render.session import RenderSession


def specs(n: int, spp: int, scale: float, pack, adaptive_threshold: float = 0.01) -> list:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        spec = quick_spec(face_model="ict-facekit", width=round(480 * scale), height=round(640 * scale),
                          samples=spp, adaptive_threshold=adaptive_threshold, denoise=True, max_bounces=8, index=i,
                          yaw_deg=float(rng.uniform(-30, 30)), skin_tone=float(rng.uniform(0, 1)),
                          lights=(KEY_LIGHT,), distance_mm=700.0)
        identity = rng.standard_normal(pack.n_identity)
        out.append((spec, pack.deform(identity, {})))
    return out


def measure(samples: int = 10, spp: int = 64, scale: float = 1.0, naive_samples: int | None = None,
            threads: int = 0, adaptive_threshold: float = 0.01) -> dict[str, Any]:
    """Per-sample seconds (lists) of the session, the raw Cycles call and the naive loop, and their ratios."""
    import bpy

    pack = load_pack("ict-facekit")
    work = specs(samples, spp, scale, pack, adaptive_threshold)
    session_s, raw_s, update_s = [], [], []
    session_cpu, raw_cpu, naive_cpu = [], [], []
    session = RenderSession(pack, threads=threads)
    for spec, v in work:
        t0, c0 = time.perf_counter(), time.process_time()
        res = session.render(spec, v, pose_sample(spec, pack))
        session_s.append(time.perf_counter() - t0)
        session_cpu.append(time.process_time() - c0)
        update_s.append(res.timings["update"] + res.timings["read"] + res.timings["composite"])
        t0, c0 = time.perf_counter(), time.process_time()
        bpy.ops.render.render()  # the same scene, nothing changed, nothing written
        raw_s.append(time.perf_counter() - t0)
        raw_cpu.append(time.process_time() - c0)
    session.close()

    naive_s = []
    for spec, v in work[: naive_samples or samples]:
        t0, c0 = time.perf_counter(), time.process_time()
        s = RenderSession(pack, threads=threads)  # factory reset + full scene build
        s.render(spec, v, pose_sample(spec, pack))
        s.close()
        naive_s.append(time.perf_counter() - t0)
        naive_cpu.append(time.process_time() - c0)

    med = statistics.median
    w, h = work[0][0].camera.width, work[0][0].camera.height
    return {
        "setup": f"{w}x{h}, {spp} spp, adaptive {adaptive_threshold:g}, OIDN, ICT head, {samples} samples "
                 f"({len(naive_s)} naive), threads={threads or 'auto'}",
        "raw_s": raw_s, "session_s": session_s, "naive_s": naive_s, "update_s": update_s,
        "session_over_raw": med(session_s) / med(raw_s),
        "session_over_raw_cpu": med(session_cpu) / med(raw_cpu),
        "naive_over_raw": med(naive_s) / med(raw_s),
        "naive_over_raw_cpu": med(naive_cpu) / med(raw_cpu),
        "session_over_naive": med(session_s) / med(naive_s),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10, help="dataset samples (default 10)")
    ap.add_argument("--spp", type=int, default=64, help="Cycles samples per pixel (default 64)")
    ap.add_argument("--adaptive-threshold", type=float, default=0.01, help="(default 0.01)")
    ap.add_argument("--scale", type=float, default=1.0, help="resolution factor of 480x640 (default 1)")
    ap.add_argument("--naive-samples", type=int, default=None, help="samples for the naive loop (default: same)")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    r = measure(args.samples, args.spp, args.scale, args.naive_samples, args.threads, args.adaptive_threshold)
    med = statistics.median
    print(f"reference: {r['setup']}")
    print(f"raw bpy.ops.render.render      median {med(r['raw_s']):7.2f} s/sample")
    print(f"RenderSession.render           median {med(r['session_s']):7.2f} s/sample "
          f"(update+read+composite {med(r['update_s']) * 1000:.0f} ms)")
    print(f"naive rebuild-per-sample loop  median {med(r['naive_s']):7.2f} s/sample")
    print(f"ratio session/raw  {r['session_over_raw']:.3f} wall, {r['session_over_raw_cpu']:.3f} CPU time   "
          "(target <= 1.10)")
    print(f"ratio naive/raw    {r['naive_over_raw']:.3f} wall, {r['naive_over_raw_cpu']:.3f} CPU time")
    print("per-sample session/raw:", " ".join(f"{a / b:.2f}" for a, b in zip(r["session_s"], r["raw_s"], strict=True)))


if __name__ == "__main__":
    main()
