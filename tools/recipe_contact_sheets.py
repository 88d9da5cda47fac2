"""Render small contact sheets of the shipped recipes for the docs (docs/images/recipe_<name>.png).

Each cell shows a sample's RGB beside its key label: depth (colour-mapped) or the 256x256 crop and
its PRN position map. Run from the checkout: `.venv/bin/python tools/recipe_contact_sheets.py`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw

from facesynth.farm.local import render_dataset
from facesynth.io import open_dataset

REPO = Path(__file__).resolve().parents[1]
SHEETS = {"quickstart": 8, "depth_portrait": 8, "posmap_front_side": 6, "multiview_pairs": 10}
CELL_H = 200


def _depth_rgb(depth: np.ndarray) -> np.ndarray:
    face = depth > 0
    out = np.zeros((*depth.shape, 3), np.uint8)
    if face.any():
        lo, hi = np.percentile(depth[face], [1, 99])
        t = np.clip((depth - lo) / max(hi - lo, 1e-6), 0, 1)
        out[face] = (colormaps["viridis"](t[face])[:, :3] * 255).astype(np.uint8)
    return out


def _posmap_rgb(prn: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    out = np.zeros(prn.shape, np.uint8)
    covered = coverage > 0
    if covered.any():
        v = prn[covered]
        lo, hi = v.min(axis=0), v.max(axis=0)
        out[covered] = ((v - lo) / np.maximum(hi - lo, 1e-6) * 255).astype(np.uint8)
    return out


def _fit(img: np.ndarray) -> Image.Image:
    im = Image.fromarray(img)
    return im.resize((max(1, round(im.width * CELL_H / im.height)), CELL_H), Image.LANCZOS)


def _cell(sample) -> Image.Image:
    meta = sample.meta
    parts = [_fit(sample.rgb)]
    if "posmap" in meta["outputs"]:
        ch = sample.posmap
        prn = np.stack([ch["prn.x"], ch["prn.y"], ch["prn.z"]], axis=-1)
        if "crop" in meta["outputs"]:
            parts.append(_fit(sample.crop[..., :3]))
        parts.append(_fit(_posmap_rgb(prn, ch["coverage"])))
    elif "depth" in meta["outputs"]:
        parts.append(_fit(_depth_rgb(sample.depth)))
    width = sum(p.width for p in parts) + 4 * (len(parts) - 1)
    cell = Image.new("RGB", (width, CELL_H + 18), "white")
    x = 0
    for p in parts:
        cell.paste(p, (x, 18))
        x += p.width + 4
    hp = meta["head_pose"]
    text = f"{meta['id']} {meta['face_model']['expression_name']} yaw {hp['yaw_deg']:.0f}"
    ImageDraw.Draw(cell).text((2, 3), text, fill="black")
    return cell


def sheet(name: str, count: int, work: Path, columns: int) -> Path:
    out = work / name
    overrides = ("camera.resolution=240x320", "render.samples=24", "render.preset=null")
    render_dataset(REPO / "recipes" / f"{name}.yaml", out, limit=count, progress=True, overrides=overrides)
    cells = [_cell(s) for s in open_dataset(out)]
    w = max(c.width for c in cells)
    rows = (len(cells) + columns - 1) // columns
    img = Image.new("RGB", (columns * (w + 6), rows * (cells[0].height + 6)), "white")
    for k, c in enumerate(cells):
        img.paste(c, ((k % columns) * (w + 6), (k // columns) * (c.height + 6)))
    target = REPO / "docs" / "images" / f"recipe_{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Full colour: a 256-colour palette turned the position maps' smooth gradients into patches.
    img.save(target, optimize=True)
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", default=list(SHEETS))
    ap.add_argument("--work", type=Path, default=REPO / ".cache" / "sheets")
    args = ap.parse_args()
    for name in args.names:
        columns = 2 if name == "posmap_front_side" else 4 if name != "multiview_pairs" else 5
        print(sheet(name, SHEETS[name], args.work, columns))


if __name__ == "__main__":
    main()
