"""`python -m bench [--quick]`: the performance suite, one figure per row in bench/RESULTS.md.

Each step calls an existing bench script's `measure()` (the scripts still run on their own) and
turns its result into ratios measured in the same run. `--quick` shrinks every step (240x320,
fewer samples and spp) to a few minutes on 2 cores; the full suite uses the reference recipe
(480x640, the default preset, OIDN, ICT head) and stays under 15 minutes on an idle 2-core
machine once the time-to-quality reference is cached (`.cache/bench/`: the first run renders it,
about 5 min at 240x320 and 20 min at 480x640). The soak and the scaling table are longer and run
on their own (`bench/soak.py`, `bench/scaling.py`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))
CACHE = REPO / ".cache" / "bench"


@dataclass(frozen=True)
class Mode:
    quick: bool
    scale: float
    samples: int
    spp: int
    threshold: float
    ref_spp: int
    """Time to quality's reference: 4 renders of this many spp, averaged. Its own noise adds the same
    error to every render compared with it, so equal measured PSNR still means equal true error and
    the time ratio holds; a noisier reference only lowers the dB figures and flattens the curve."""

    @property
    def resolution(self) -> str:
        return f"{round(480 * self.scale)}x{round(640 * self.scale)}"


QUICK = Mode(quick=True, scale=0.5, samples=2, spp=16, threshold=0.05, ref_spp=256)
FULL = Mode(quick=False, scale=1.0, samples=3, spp=128, threshold=0.03, ref_spp=1024)  # the default preset


def ensure_ict_pack() -> None:
    """The ICT pack in $FACESYNTH_HOME, imported from ../shared when missing (not timed)."""
    from facesynth.assets.cache import pack_cache_path

    if not pack_cache_path("ict-facekit").exists():
        from facesynth.assets.ict import import_ict

        import_ict(REPO.parent / "shared" / "assets" / "ict-facekit" / "ict-facekit-da5f95a.tar.xz")


def step_first_sample(mode: Mode) -> list[Any]:
    from bench.first_sample import TARGET_S, measure
    from bench.record import Figure

    r = measure()
    ph = r["phases"]
    cycles = ph.get("  of which the Cycles call (wall only)", (0.0, 0.0))[0]
    return [
        Figure("time to first sample ÷ 5 s target", r["total_s"] / TARGET_S,
               f"`facesynth render quickstart.yaml --limit 1`, spawn to exit {r['total_s']:.1f} s",
               "<= 1"),
        Figure("first sample: Cycles call ÷ process total", cycles / r["phases_total_s"],
               "phases (wall/CPU s): " + ", ".join(f"{k.strip()} {w:.1f}/{c:.1f}" for k, (w, c) in ph.items()
                                                    if not k.startswith("  ")), ""),
    ]


def step_render_overhead(mode: Mode) -> list[Any]:
    from bench.record import Figure
    from bench.render_overhead import measure

    r = measure(samples=mode.samples, spp=mode.spp, scale=mode.scale, naive_samples=2,
                adaptive_threshold=mode.threshold)
    med = statistics.median
    raw, ses, naive = med(r["raw_s"]), med(r["session_s"]), med(r["naive_s"])
    return [
        Figure("per-sample wall ÷ raw Cycles call", r["session_over_raw"],
               f"{r['setup']}: session {ses:.2f} s, raw {raw:.2f} s (CPU-time ratio "
               f"{r['session_over_raw_cpu']:.3f})", "<= 1.10"),
        Figure("persistent scene ÷ naive rebuild loop", r["session_over_naive"],
               f"session {ses:.2f} s, naive {naive:.2f} s per sample", "< 1"),
    ]


def step_labels(mode: Mode) -> list[Any]:
    from bench.labels_vs_render import measure
    from bench.record import Figure

    r = measure(samples=mode.samples, resolution=mode.resolution, spp=mode.spp, threshold=mode.threshold)
    med = statistics.median
    return [Figure("labels ÷ render", r["labels_over_render"],
                   f"{r['setup']}: labels {med(r['labels_s']) * 1e3:.0f} ms, Cycles {med(r['render_s']):.2f} s",
                   "<= 0.05")]


def step_time_to_quality(mode: Mode) -> list[Any]:
    from bench.record import Figure
    from bench.time_to_quality import default_vs_blender

    cache = CACHE / f"ttq_ref_{mode.resolution}_{mode.ref_spp}spp.npy"
    r = default_vs_blender(scale=mode.scale, ref_cache=cache, start_spp=32, ref_spp=mode.ref_spp)
    curve = ", ".join(f"{n} spp {s:.1f} s {d:.2f} dB" for n, s, d in r["curve"])
    return [Figure("default preset time-to-quality ÷ Blender's defaults", r["ratio"],
                   f"{r['setup']}: default preset {r['default_s']:.1f} s at {r['default_db']:.2f} dB face PSNR; "
                   f"Blender as shipped {r['qualifier']}{r['blender_s']:.1f} s at that PSNR (curve: {curve})"
                   + (f"; reference built in {r['reference_built_s']:.0f} s" if r["reference_built_s"] else ""),
                   "<= 0.5")]


def step_deform(mode: Mode) -> list[Any]:
    from bench.bench_assets import deform_figures
    from bench.record import Figure
    from facesynth.assets import load_pack

    d = deform_figures(load_pack("ict-facekit"), repeat=10 if mode.quick else 20)
    return [Figure("deform ÷ naive per-shape loop", d["full_ms"] / d["naive_ms"],
                   f"ICT, 100 identity + 53 expressions: deform {d['full_ms']:.1f} ms, naive {d['naive_ms']:.1f} ms",
                   "< 1")]


def step_rasterise(mode: Mode) -> list[Any]:
    from bench.bench_geometry import measure
    from bench.record import Figure

    r = measure(repeats=3 if mode.quick else 7, n_rays=2000 if mode.quick else 5000)
    return [
        Figure("rasterise ÷ trimesh ray casting", 1.0 / r["rays_over_raster"],
               f"{r['setup']}: rasteriser {r['solid_ms']:.0f} ms, rays {r['rays_ms']:.0f} ms (scaled from "
               f"{r['n_rays']} rays); compute_labels {r['labels_ms']:.0f} ms", "< 1"),
    ]


def step_posmap(mode: Mode) -> list[Any]:
    from bench.bench_posmap import measure
    from bench.record import Figure

    r = measure(repeats=3 if mode.quick else 5, every=8 if mode.quick else 2)
    return [Figure("position map ÷ per-triangle loop", r["ours_ms"] / r["naive_ms"],
                   f"{r['setup']}: compute_posmap {r['ours_ms']:.0f} ms (UV raster cached: {r['ours_cached_ms']:.0f} "
                   f"ms), loop {r['naive_ms']:.0f} ms (timed on 1/{r['every']} of the triangles, scaled); "
                   f"agreement {r['coverage_agreement'] * 100:.1f} % of texels, max diff {r['max_diff_mm']:.1e} mm",
                   "< 1")]


def step_export(mode: Mode) -> list[Any]:
    from bench.bench_export import measure
    from bench.record import Figure

    r = measure(samples=20 if mode.quick else 60, repeat=2 if mode.quick else 3)
    return [Figure("WebDataset export ÷ plain file copy (time)", r["export_over_baseline_time"],
                   f"{r['setup']}: export {r['export_mb_s']:.0f} MB/s, copy {r['baseline_mb_s']:.0f} MB/s",
                   "export >= 150 MB/s")]


STEPS: dict[str, Callable[[Mode], list[Any]]] = {
    "first_sample": step_first_sample,
    "render_overhead": step_render_overhead,
    "labels": step_labels,
    "time_to_quality": step_time_to_quality,
    "deform": step_deform,
    "rasterise": step_rasterise,
    "posmap": step_posmap,
    "export": step_export,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few minutes: 240x320, 16 spp, 2 samples")
    ap.add_argument("--only", nargs="+", choices=sorted(STEPS), help="run only these steps")
    ap.add_argument("--no-record", action="store_true", help="print, do not append to bench/RESULTS.md")
    ap.add_argument("--results", type=Path, default=None, help="append here instead of bench/RESULTS.md")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from bench.record import RESULTS, Figure, append_run, command_line, machine

    mode = QUICK if args.quick else FULL
    started = dt.datetime.now(dt.UTC)
    machine_text = machine()
    print(f"machine: {machine_text}", flush=True)
    ensure_ict_pack()
    figures: list[Figure] = []
    failed = 0
    t_suite = time.perf_counter()
    for name in args.only or list(STEPS):
        t0 = time.perf_counter()
        try:
            got = STEPS[name](mode)
        except Exception as exc:  # one broken step must not lose the others' figures
            traceback.print_exc()
            got = [Figure(name, None, f"failed: {type(exc).__name__}: {exc}")]
            failed += 1
        for f in got:
            ratio = "n/a" if f.ratio is None else f"{f.ratio:.3g}"
            print(f"{f.name:55s} {ratio:>8s}  (target {f.target or '-'})  {f.detail}", flush=True)
        print(f"  [{name}: {time.perf_counter() - t0:.0f} s]", flush=True)
        figures.extend(got)
    minutes = (time.perf_counter() - t_suite) / 60
    print(f"suite: {minutes:.1f} min")
    if not args.no_record:
        path = args.results or RESULTS
        append_run("quick suite" if args.quick else "full suite", figures, machine_text=machine_text,
                   command=command_line(), started=started, path=path,
                   note=f"{'quick' if args.quick else 'full'} mode, {minutes:.1f} min")
        print(f"appended {len(figures)} rows to {path}")
    return 1 if failed else 0
