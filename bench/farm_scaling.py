"""Scale-out on one machine: one process vs `--workers 1|2|...` vs `--backend ray`.

Every configuration renders the same samples of one recipe into a fresh directory, in this
process as the driver. Printed per configuration:
- samples/s over the whole run (start-up of workers / Ray included), and as the efficiency ratio
  against the one-process run (1.00 = as fast as one process, which already runs Cycles on every
  core: on one machine, workers win only what one process leaves idle);
- the time to the first finished sample (start-up: Blender, scene, Ray);
- the driver's own CPU time per sample (this process only: queue, progress, pipe or Ray traffic;
  Ray's raylet and GCS processes are not counted).
The one-process baseline runs first and last; ratios use the mean of the two (a busy machine
drifts). Every farmed dataset is checked byte for byte against the baseline.

    .venv/bin/python bench/farm_scaling.py                       # quickstart, 8 samples at 96x128
    .venv/bin/python bench/farm_scaling.py --workers 1 2 4 8 16  # on a bigger machine
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FACESYNTH_HOME", os.path.join(os.path.dirname(__file__), "..", ".cache", "facesynth-test"))

from facesynth.farm.local import render_dataset

REPO = Path(__file__).resolve().parents[1]


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "samples").rglob("*")) if p.is_file()}


def run(name: str, recipe: Path, out: Path, overrides: list[str], limit: int, **kw) -> dict:
    stamps: list[float] = []
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = render_dataset(recipe, out, limit=limit, progress=False, overrides=overrides,
                            on_sample=lambda _d: stamps.append(time.perf_counter()), **kw)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if report.failed or len(report.rendered) != limit:
        raise SystemExit(f"{name}: {report.summary()}")
    return {"name": name, "rate": limit / wall, "first_s": stamps[0] - t0, "driver_ms": 1000 * cpu / limit,
            "wall": wall, "hashes": _hashes(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=REPO / "recipes" / "quickstart.yaml")
    ap.add_argument("--samples", type=int, default=8, help="samples per run (sets the recipe's samples)")
    ap.add_argument("--set", dest="overrides", action="append",
                    default=["camera.resolution=96x128"], help="recipe override (default: 96x128)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ray-actors", type=int, nargs="*", default=[1, 2],
                    help="Ray actors on a local instance with all CPUs (none: skip Ray)")
    args = ap.parse_args()
    args.overrides.append(f"samples={args.samples}")

    rows = []
    with tempfile.TemporaryDirectory(prefix="facesynth-farm-bench-") as tmp:
        def go(name: str, **kw) -> dict:
            row = run(name, args.recipe, Path(tmp) / name.replace(" ", "_"), args.overrides, args.samples, **kw)
            print(f"  {name}: {row['rate']:.3f} samples/s ({row['wall']:.1f} s)", flush=True)
            return row

        first = go("one process")
        rows += [go(f"--workers {n}", workers=n) for n in args.workers]
        rows += [go(f"ray, {n} actor(s)", backend="ray", workers=n) for n in args.ray_actors]
        last = go("one process (again)")
    base = statistics.mean([first["rate"], last["rate"]])
    cores = len(os.sched_getaffinity(0))
    print(f"\n{args.samples} samples of {args.recipe.name} {' '.join(args.overrides)}, {cores} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| run | samples/s | efficiency | first sample after (s) | driver CPU ms/sample |")
    print("|---|---|---|---|---|")
    for row in [first, *rows, last]:
        same = "" if row["hashes"] == first["hashes"] else " (FILES DIFFER)"
        print(f"| {row['name']}{same} | {row['rate']:.3f} | {row['rate'] / base:.2f} | {row['first_s']:.1f} | "
              f"{row['driver_ms']:.0f} |")


if __name__ == "__main__":
    main()
