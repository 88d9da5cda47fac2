"""Contact sheets of groomed subjects for the docs: docs/images/groom_contact_sheet.png (RGB of 24
subjects of recipes/realism_groom.yaml) and docs/images/groom_parsing_sheet.png (their masks in
the region colours). Renders the recipe through `facesynth render` at a reduced size.

    .venv/bin/python tools/groom_sheets.py [--out out/groom_sheets] [--size 180x240] [--spp 48]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from facesynth.assets.regions import REGIONS, palette
from facesynth.farm.local import render_dataset
from facesynth.io import open_dataset

REPO = Path(__file__).resolve().parents[1]
COLUMNS = 8


def _grid(cells: list[np.ndarray], columns: int) -> np.ndarray:
    h, w = cells[0].shape[:2]
    rows = -(-len(cells) // columns)
    out = np.zeros((rows * h, columns * w, 3), np.uint8)
    for i, c in enumerate(cells):
        r, k = divmod(i, columns)
        out[r * h:(r + 1) * h, k * w:(k + 1) * w] = c[..., :3]
    return out


def _caption(img: np.ndarray, texts: list[str], cell_w: int, cell_h: int) -> Image.Image:
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    for i, t in enumerate(texts):
        r, k = divmod(i, COLUMNS)
        x, y = k * cell_w + 3, r * cell_h + 2
        draw.rectangle(draw.textbbox((x, y), t), fill=(0, 0, 0))  # legible on bright backgrounds
        draw.text((x, y), t, fill=(255, 255, 255))
    return pil


def _legend(width: int) -> np.ndarray:
    used = [r for r in REGIONS if r.solid or r.id == 0]
    pil = Image.new("RGB", (width, 18 * (-(-len(used) // 6))), (0, 0, 0))
    draw = ImageDraw.Draw(pil)
    for i, r in enumerate(used):
        x, y = (i % 6) * (width // 6), (i // 6) * 18
        draw.rectangle((x + 2, y + 3, x + 14, y + 15), fill=r.color, outline=(255, 255, 255))
        draw.text((x + 18, y + 3), r.name, fill=(255, 255, 255))
    return np.asarray(pil)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "out" / "groom_sheets"))
    ap.add_argument("--size", default="180x240")
    ap.add_argument("--spp", type=int, default=48)
    args = ap.parse_args()
    out = Path(args.out)
    render_dataset(REPO / "recipes" / "realism_groom.yaml", out, progress=True,
                   overrides=(f"camera.resolution={args.size}", f"render.samples={args.spp}"))
    samples = list(open_dataset(out))
    texts = []
    for s in samples:
        g = s.meta.get("groom", {})
        extras = [x for x in (g.get("beard_style"), g.get("glasses_shape"), g.get("headwear")) if x]
        texts.append(" ".join([g.get("hair_style", "?"), *extras]))
    h, w = samples[0].rgb.shape[:2]
    images = REPO / "docs" / "images"
    rgb = _grid([s.rgb for s in samples], COLUMNS)
    _caption(rgb, texts, w, h).save(images / "groom_contact_sheet.png", optimize=True)
    masks = _grid([palette()[s.masks] for s in samples], COLUMNS)
    sheet = np.concatenate([masks, _legend(masks.shape[1])], axis=0)
    _caption(sheet, texts, w, h).save(images / "groom_parsing_sheet.png", optimize=True)
    print(f"wrote {images / 'groom_contact_sheet.png'} and groom_parsing_sheet.png from {len(samples)} samples")


if __name__ == "__main__":
    main()
