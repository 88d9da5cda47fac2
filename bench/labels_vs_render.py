"""Cost of the ground truth: all labels of a sample ÷ its Cycles render, measured in one run.

Reference recipe (DESIGN.md): 480x640, 64 spp, adaptive sampling, OpenImageDenoise, ICT head.
Target (issue 5): labels (depth, normals, mask, landmarks with visibility, position map, metadata)
cost at most 5 % of the render. Run: `.venv/bin/python bench/labels_vs_render.py [--samples N]`;
`measure()` returns the figures for `python -m bench`.
Needs the ICT pack (`facesynth assets import ict-facekit --from ...`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from facesynth._version import __version__
from facesynth.assets import load_pack
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample
from facesynth.recipe import load_recipe
from facesynth.render import RenderSession
from facesynth.sampling import sample_spec

REFERENCE = """# bench: the reference recipe
name: reference
seed: 0
samples: 100
subjects: {{face_model: ict-facekit, count: 10}}
camera: {{resolution: {resolution}}}
render: {{samples: {spp}, adaptive_threshold: {threshold}, denoise: true}}
outputs: [rgb, depth, normals, masks, landmarks, posmap]
"""


def measure(samples: int = 3, resolution: str = "480x640", spp: int = 64, threshold: float = 0.01,
            verbose: bool = False) -> dict[str, Any]:
    """Seconds of all labels + metadata and of the Cycles call per sample, and the ratio of medians."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.yaml"
        path.write_text(REFERENCE.format(resolution=resolution, spp=spp, threshold=threshold))
        loaded = load_recipe(path)
    pack = load_pack("ict-facekit")
    session = RenderSession(pack)
    render_s, label_s = [], []
    for i in range(samples):
        spec = sample_spec(loaded, i)
        verts = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
        posed = pose_sample(spec, pack)
        t0 = time.perf_counter()
        labels = compute_labels(spec, pack, verts, posed)
        build_metadata(spec, pack, posed, labels, recipe_sha256="0" * 64, facesynth_version=__version__,
                       blender_version="bench")
        t1 = time.perf_counter()
        result = session.render(spec, verts, posed)
        render_s.append(result.timings["render"])
        label_s.append(t1 - t0)
        if verbose:
            print(f"sample {i}: labels {label_s[-1] * 1000:.0f} ms, Cycles render {render_s[-1]:.2f} s")
    session.close()
    return {"setup": f"{resolution}, {spp} spp, adaptive {threshold:g}, OIDN, ICT head, {samples} samples",
            "labels_s": label_s, "render_s": render_s,
            "labels_over_render": statistics.median(label_s) / statistics.median(render_s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--resolution", default="480x640")
    ap.add_argument("--spp", type=int, default=64)
    ap.add_argument("--adaptive-threshold", type=float, default=0.01)
    args = ap.parse_args()
    r = measure(args.samples, args.resolution, args.spp, args.adaptive_threshold, verbose=True)
    print(f"median labels {statistics.median(r['labels_s']) * 1000:.0f} ms / median render "
          f"{statistics.median(r['render_s']):.2f} s = {r['labels_over_render'] * 100:.2f} % (target <= 5 %)")


if __name__ == "__main__":
    main()
