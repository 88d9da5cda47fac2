"""Before/after close-ups of the eyes for docs/images: the same samples of the realism preset
rendered by `bench/realism_cost.py --png-dir DIR` as two variants (e.g. `full` and
`eyes_before`), cropped around both eyes (landmarks 36-47) and tiled, one row per sample.

    .venv/bin/python bench/realism_cost.py --index 3 --no-bare --variants full,eyes_before \
        --set render.preset=draft --set samples=200 --set subjects.count=50 --png-dir /tmp/eyes
    .venv/bin/python tools/eyes_figure.py --png-dir /tmp/eyes --indices 3,6,9 \
        --set samples=200 --set subjects.count=50 --out docs/images/realism_eyes_before_after.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

EYE_LANDMARKS = slice(36, 48)
CROP_W, CROP_H = 3.0, 1.0  # the crop in outer inter-ocular distances (points 36 and 45)


def eye_box(lm_px: np.ndarray) -> tuple[int, int, int, int]:
    """A 3:1 box centred on the eyes, `CROP_W` outer inter-ocular distances wide."""
    eyes = lm_px[EYE_LANDMARKS]
    iod = float(np.linalg.norm(lm_px[45] - lm_px[36]))
    cx, cy = eyes.mean(axis=0)
    half_w, half_h = CROP_W * iod / 2, CROP_H * iod / 2
    return round(cx - half_w), round(cy - half_h), round(cx + half_w), round(cy + half_h)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="recipes/realism.yaml")
    ap.add_argument("--png-dir", type=Path, required=True)
    ap.add_argument("--indices", required=True, help="comma list of sample indices")
    ap.add_argument("--variants", default="eyes_before,full", help="left to right")
    ap.add_argument("--labels", default="before,after")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--tile", default="300x100", help="width x height of one crop in the figure")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    from facesynth.assets import load_pack
    from facesynth.farm.producer import prepare
    from facesynth.recipe import load_recipe

    loaded = load_recipe(args.recipe, overrides=args.set)
    pack = load_pack(loaded.recipe.subjects.face_model)
    variants, labels = args.variants.split(","), args.labels.split(",")
    tw, th = (int(x) for x in args.tile.split("x"))
    indices = [int(i) for i in args.indices.split(",")]
    sheet = Image.new("RGB", (tw * len(variants), th * len(indices) + 16), "white")
    draw = ImageDraw.Draw(sheet)
    for col, label in enumerate(labels):
        draw.text((col * tw + 4, 2), label, fill="black")
    for row, index in enumerate(indices):
        _, vertices, posed = prepare(loaded, pack, index)
        lm = posed.camera.project(posed.to_camera(vertices[np.asarray(pack.landmarks_68)]))
        box = eye_box(lm)
        for col, variant in enumerate(variants):
            img = Image.open(args.png_dir / f"{index}_{variant}.png").convert("RGB")
            sheet.paste(img.crop(box).resize((tw, th), Image.LANCZOS), (col * tw, 16 + row * th))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(indices)} samples x {len(variants)} variants)")


if __name__ == "__main__":
    main()
