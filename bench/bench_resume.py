"""What checking sha256s on resume costs, next to rendering a sample.

A resumed `facesynth render` re-reads every finished sample of its selection and hashes each of
its files (and the JSON against index/), so a byte flipped in place is found. This renders a few
samples with every output kind (the most bytes to hash) through the real `render_dataset`, then
times `DatasetWriter.pending` over them with sha256 checks and with sizes only (what resume did
before), each the median of several passes over warm files. Printed: per-sample seconds of the
render, of the sha256 check, of the size check, and the ratios check/render.

    .venv/bin/python bench/bench_resume.py                          # 480x640, default preset
    .venv/bin/python bench/bench_resume.py --scale 0.5 --preset draft --samples 2   # quick look
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from facesynth.farm.local import render_dataset
from facesynth.io.store import DatasetWriter

RECIPE = """name: bench_resume
seed: 11
samples: {samples}
camera: {{resolution: {width}x{height}}}
render: {{preset: {preset}}}
outputs: [rgb, depth, normals, masks, landmarks, posmap, mesh]
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="of 480x640")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    width, height = round(480 * args.scale), round(640 * args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        recipe = Path(tmp) / "r.yaml"
        text = RECIPE.format(samples=args.samples, width=width, height=height, preset=args.preset)
        recipe.write_text(text)
        out = Path(tmp) / "ds"
        report = render_dataset(recipe, out, progress=False)
        assert len(report.rendered) == args.samples, report.summary()
        render_s = report.seconds / args.samples  # includes Blender start-up, shared by the samples
        files = [p for p in out.glob("samples/*/*") if p.is_file()]
        mb = sum(p.stat().st_size for p in files) / 1e6 / args.samples
        with DatasetWriter(out, recipe.read_text()) as writer:
            timings: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(args.repeat):
                for sha in (True, False):
                    t0 = time.perf_counter()
                    todo = writer.pending(range(args.samples), check_sha256=sha)
                    timings[sha].append((time.perf_counter() - t0) / args.samples)
                    assert todo == []
    sha_s, size_s = statistics.median(timings[True]), statistics.median(timings[False])
    print(f"{width}x{height}, preset {args.preset}, {args.samples} samples, {mb:.2f} MB of files per sample")
    print(f"render per sample        {render_s:9.4f} s")
    print(f"resume check, sha256     {sha_s:9.4f} s per sample  ({sha_s / render_s:.4%} of a render)")
    print(f"resume check, sizes only {size_s:9.4f} s per sample  ({size_s / render_s:.4%} of a render)")


if __name__ == "__main__":
    main()
