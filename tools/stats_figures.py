"""Render the docs' stats and inspect figures from real renders (docs/images/stats_*.png, inspect_posmap.png).

The stats figures come from 48 samples of `recipes/quickstart.yaml` (built-in head, small and
fast: only the metadata matters to them); the inspect figure from one sample of
`recipes/posmap_front_side.yaml` (ICT-FaceKit, needs `facesynth assets import ict-facekit`).
Run from the checkout: `.venv/bin/python tools/stats_figures.py [--work .cache/figures]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from facesynth.farm.local import render_dataset
from facesynth.io.inspect import inspect_sample
from facesynth.io.stats import write_report

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "images"


def _publish(source: Path, name: str) -> Path:
    target = IMAGES / name
    Image.open(source).convert("RGB").save(target, optimize=True)  # full colour, no alpha
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=REPO / ".cache" / "figures")
    ap.add_argument("--samples", type=int, default=48)
    args = ap.parse_args()
    stats_ds = args.work / "quickstart"
    render_dataset(REPO / "recipes" / "quickstart.yaml", stats_ds, progress=True, overrides=(
        f"samples={args.samples}", "camera.resolution=96x128", "render.preset=draft"))
    write_report(stats_ds, args.work / "report")
    for name in ("stats_pose.png", "stats_expressions_lights.png"):
        print(_publish(args.work / "report" / name, name))
    posmap_ds = args.work / "posmap"
    render_dataset(REPO / "recipes" / "posmap_front_side.yaml", posmap_ds, limit=1, progress=True,
                   overrides=("camera.resolution=240x320", "render.samples=24", "render.preset=null"))
    figure = inspect_sample(posmap_ds, "000000", args.work / "inspect.png")
    print(_publish(figure, "inspect_posmap.png"))


if __name__ == "__main__":
    main()
