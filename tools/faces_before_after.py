"""Before/after face close-ups for docs/images: the same samples of two rendered datasets (same
recipe and seed, code changed in between), cropped square around each face's 68 landmarks and
tiled, one column per sample, the first dataset on the top row.

    .venv/bin/python tools/faces_before_after.py .cache/old .cache/new --n 8 \
        --out docs/images/skin_before_after.png
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw

MARGIN = 0.35
"""The crop adds this share of the landmarks' extent on every side (forehead and hair show)."""


def face_box(xy: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """A square around the landmarks, grown by `MARGIN`, kept inside the frame."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    side = float((hi - lo).max()) * (1 + 2 * MARGIN)
    side = min(side, width, height)
    cx, cy = (lo + hi) / 2
    left = int(np.clip(round(cx - side / 2), 0, width - side))
    top = int(np.clip(round(cy - side / 2 - 0.1 * side), 0, height - side))  # a little more forehead
    return left, top, left + round(side), top + round(side)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--n", type=int, default=8, help="the first N samples both datasets hold")
    ap.add_argument("--kind", default="rgb_clean", help="rgb_clean (no camera effects) or rgb")
    ap.add_argument("--tile", type=int, default=160, help="side of one crop in the figure, px")
    ap.add_argument("--labels", default="before,after")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    from facesynth import open_dataset
    from facesynth.io import codecs

    rows = [{s.id: s for s in open_dataset(path)} for path in (args.before, args.after)]
    ids = sorted(set(rows[0]) & set(rows[1]), key=lambda i: rows[0][i].index)[:args.n]
    t, label_w = args.tile, 48
    sheet = Image.new("RGB", (label_w + t * len(ids), t * 2), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (row, label) in enumerate(zip(rows, args.labels.split(","), strict=True)):
        draw.text((4, r * t + t // 2), label, fill="black")
        for c, sample_id in enumerate(ids):
            sample = rows[1][sample_id]  # the after-run's landmarks: both runs pose the head alike
            img = codecs.decode_png(row[sample_id].read(args.kind))[..., :3]
            if img.dtype != np.uint8:
                img = (img // 257).astype(np.uint8)
            h, w = img.shape[:2]
            crop = Image.fromarray(img).crop(face_box(sample.landmarks.xy, w, h))
            sheet.paste(crop.resize((t, t), Image.Resampling.LANCZOS), (label_w + c * t, r * t))
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(ids)} samples)")


if __name__ == "__main__":
    main()
