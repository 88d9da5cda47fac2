"""Export throughput: `export_webdataset` MB/s on synthetic 480x640 samples (target >= 150 MB/s).

Also prints a baseline (reading every sample file and writing one concatenated file, no tar, no
hashing) so the ratio shows what the shard format and the sha256 checks cost.

    .venv/bin/python bench/bench_export.py [--samples 60] [--width 640 --height 480] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/ lives in the checkout, not the package

from facesynth.io import DatasetWriter
from facesynth.io.export import export_webdataset
from testkit.synthetic import RECIPE_TEXT, synthetic_sample


def build(root: Path, count: int, width: int, height: int) -> int:
    writer = DatasetWriter(root, RECIPE_TEXT.format(count=count))
    for i in range(count):
        sid, outputs, meta = synthetic_sample(i, width=width, height=height, posmap_size=256)
        writer.write_sample(i, sid, outputs, meta)
    return sum(p.stat().st_size for p in (root / "samples").rglob("*") if p.is_file())


def baseline(root: Path, out: Path) -> float:
    start = time.perf_counter()
    with open(out, "wb") as sink:
        for path in sorted((root / "samples").rglob("*")):
            if path.is_file():
                sink.write(path.read_bytes())
    return time.perf_counter() - start


def measure(samples: int = 60, width: int = 640, height: int = 480, shard_size: int = 16,
            repeat: int = 3) -> dict[str, Any]:
    """Best-of-`repeat` seconds of export_webdataset and of the plain copy baseline, and MB/s."""
    tmp = Path(tempfile.mkdtemp(prefix="facesynth-bench-"))
    try:
        mb = build(tmp / "ds", samples, width, height) / 1e6
        export_s, base_s = [], []
        for r in range(repeat):  # best of N: the machine is shared
            start = time.perf_counter()
            export_webdataset(tmp / "ds", tmp / f"out{r}", shard_size=shard_size)
            export_s.append(time.perf_counter() - start)
            base_s.append(baseline(tmp / "ds", tmp / f"concat{r}.bin"))
            shutil.rmtree(tmp / f"out{r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best, base = min(export_s), min(base_s)
    return {"setup": f"{samples} samples at {width}x{height}, {mb:.1f} MB of sample files", "mb": mb,
            "export_s": best, "baseline_s": base, "export_mb_s": mb / best, "baseline_mb_s": mb / base,
            "export_over_baseline_time": best / base}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=60)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--shard-size", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    r = measure(args.samples, args.width, args.height, args.shard_size, args.repeat)
    print(f"samples: {r['setup']}")
    print(f"export_webdataset: {r['export_s']:.3f} s  -> {r['export_mb_s']:.0f} MB/s (target >= 150 MB/s)")
    print(f"baseline copy:     {r['baseline_s']:.3f} s  -> {r['baseline_mb_s']:.0f} MB/s")
    print(f"export / baseline throughput ratio: {1 / r['export_over_baseline_time']:.2f}")


if __name__ == "__main__":
    main()
