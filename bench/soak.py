"""Soak: 500 consecutive samples in one worker, recording RSS, data-block counts and time per sample.

    nice .venv/bin/python bench/soak.py                    # 500 samples of bench/soak.yaml, every 50
    .venv/bin/python bench/soak.py --samples 100 --every 10 --no-record

Runs the real per-sample path (`facesynth.farm.soak`: spec, labels, Cycles render, dataset store)
on `bench/soak.yaml`, where subject, expression, pose, lamps, HDRI and background change every
sample. Prints one row per record and the verdicts (targets from issue 22): growth of anonymous
RSS (heap: file-backed pages come and go with the machine's memory pressure) after warm-up (the
record at --every samples) under 5 %, no drift up of time per sample (last window ÷
first window after warm-up), and every Blender data-block count flat after warm-up. Appends the
table to bench/RESULTS.md unless --no-record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))
sys.path.insert(0, str(REPO))

from bench.record import append_table, command_line, machine  # noqa: E402
from facesynth.farm.soak import SoakPoint, soak  # noqa: E402

RSS_GROWTH_MAX = 0.05


def table(points: list[SoakPoint]) -> str:
    kinds = sorted({k for p in points for k in p.datablocks} - {"orphans"})
    head = "| samples | RSS MB | anon. RSS MB | wall s/sample | CPU s/sample | orphans | " + " | ".join(kinds) + " |"
    rows = [head, "|" + "---|" * (6 + len(kinds))]
    for p in points:
        counts = " | ".join(str(p.datablocks.get(k, 0)) for k in kinds)
        rows.append(f"| {p.samples} | {p.rss_mb:.0f} | {p.anon_mb:.0f} | {p.seconds_per_sample:.2f} | "
                    f"{p.cpu_seconds_per_sample:.2f} | {p.datablocks.get('orphans', 0)} | {counts} |")
    return "\n".join(rows)


def verdicts(points: list[SoakPoint], every: int) -> list[str]:
    warm = next((p for p in points if p.samples >= every), None)
    last = points[-1]
    if warm is None or warm is last:
        return ["too few samples for a verdict (need more than one window after warm-up)"]
    windows = [p for p in points if p.samples > warm.samples]
    growth = (last.anon_mb - warm.anon_mb) / warm.anon_mb  # anonymous memory: what a leak grows
    drift = windows[-1].seconds_per_sample / windows[0].seconds_per_sample
    cpu_drift = windows[-1].cpu_seconds_per_sample / windows[0].cpu_seconds_per_sample
    grew = {k: (warm.datablocks.get(k, 0), v) for k, v in last.datablocks.items() if v != warm.datablocks.get(k, 0)}
    return [
        f"anonymous RSS after warm-up ({warm.samples} samples) {warm.anon_mb:.0f} MB -> {last.anon_mb:.0f} MB at "
        f"{last.samples}: "
        f"{growth * 100:+.1f} % (target < {RSS_GROWTH_MAX * 100:.0f} %): "
        f"{'MET' if growth < RSS_GROWTH_MAX else 'NOT MET'}",
        f"time per sample, last window / first window after warm-up: {drift:.2f} "
        f"({windows[-1].seconds_per_sample:.2f} s / {windows[0].seconds_per_sample:.2f} s; "
        f"min..max over windows {min(p.seconds_per_sample for p in windows):.2f}.."
        f"{max(p.seconds_per_sample for p in windows):.2f} s); in CPU time {cpu_drift:.2f} "
        f"({windows[-1].cpu_seconds_per_sample:.2f} s / {windows[0].cpu_seconds_per_sample:.2f} s)",
        "data-blocks after warm-up: " + ("all counts flat, no orphans" if not grew and last.datablocks['orphans'] == 0
                                         else f"changed {grew}"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=REPO / "bench" / "soak.yaml")
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="recipe override, e.g. "
                    "camera.resolution=96x128")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = ap.parse_args()
    started = dt.datetime.now(dt.UTC)
    machine_text = machine()

    def show(p: SoakPoint) -> None:
        print(f"{p.samples:5d} samples  RSS {p.rss_mb:7.0f} MB (anon. {p.anon_mb:.0f})  "
              f"{p.seconds_per_sample:6.2f} s/sample ({p.cpu_seconds_per_sample:.2f} CPU s)  "
              f"orphans {p.datablocks['orphans']}  blocks {sum(v for k, v in p.datablocks.items() if k != 'orphans')}",
              flush=True)

    with tempfile.TemporaryDirectory(prefix="facesynth-soak-") as tmp:
        points = soak(args.recipe, Path(tmp) / "out", args.samples, every=args.every, overrides=args.overrides,
                      on_point=show)
    lines = verdicts(points, args.every)
    print("\n".join(lines))
    if not args.no_record:
        minutes = (dt.datetime.now(dt.UTC) - started).total_seconds() / 60
        append_table(f"soak, {args.samples} samples in one worker", table(points) + "\n\n"
                     + "\n".join(f"- {v}" for v in lines),
                     machine_text=machine_text, command=command_line(),
                     note=f"recipe {args.recipe.name} {' '.join(args.overrides)}; the run took {minutes:.0f} min")


if __name__ == "__main__":
    main()
