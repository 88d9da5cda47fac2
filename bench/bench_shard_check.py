"""What checking shards against dataset_info.json costs when a reader opens an export.

`open_dataset(EXPORT)` checks each shard's size, sha256 and sample count before listing it (a
damaged shard is named, never read short). This times opening with the check against listing the
shards alone (`scan_shards`, what opening cost before), and a full read of every sample's depth.

    .venv/bin/python bench/bench_shard_check.py [--samples 60] [--width 640 --height 480] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_assets import best_ms
from bench_export import build

from facesynth.io import open_dataset
from facesynth.io.export import export_webdataset
from facesynth.io.sources import scan_shards


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=60)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "ds", Path(tmp) / "shards"
        build(root, args.samples, args.width, args.height)
        export_webdataset(root, out, shard_size=20)
        tars = sorted(out.glob("*.tar"))
        mb = sum(t.stat().st_size for t in tars) / 1e6
        listing = best_ms(lambda: scan_shards(tars), args.repeat) / 1e3
        opening = best_ms(lambda: open_dataset(out), args.repeat) / 1e3
        reading = best_ms(lambda: [s.depth for s in open_dataset(out)], args.repeat) / 1e3
        print(f"{len(tars)} shards, {mb:.1f} MB, {args.samples} samples at {args.width}x{args.height}")
        print(f"list only (scan_shards):         {listing:.3f} s")
        rate = f"{mb / opening:.0f} MB/s; {opening / listing:.1f}x listing"
        print(f"open_dataset with shard checks:  {opening:.3f} s ({rate})")
        print(f"open + decode every depth map:   {reading:.3f} s (check = {opening / reading:.0%} of it)")


if __name__ == "__main__":
    main()
