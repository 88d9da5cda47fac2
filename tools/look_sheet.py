"""Contact sheets of the realism preset: 24 random subjects (RGB as written, camera effects
included) and their face-parsing masks, for docs/images.

    FACESYNTH_HOME=... .venv/bin/python tools/look_sheet.py [--n 24] [--size 160x213] [--set k=v ...]

With --dataset DIR the sheets are built from the first N samples of a dataset already rendered
(rgb and parsing as stored) instead of rendering:

    .venv/bin/python tools/look_sheet.py --dataset .cache/dlib200 --scale 1 \
        --out docs/images/realism_contact_sheet.png --parsing-out docs/images/realism_parsing_sheet.png
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="recipes/realism.yaml")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--cols", type=int, default=8)
    ap.add_argument("--size", default="180x240")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--out", default="docs/images/look_contact_sheet.png")
    ap.add_argument("--parsing-out", default="docs/images/look_parsing_sheet.png")
    ap.add_argument("--scale", type=float, default=0.75, help="Shrink the sheets (keeps the PNGs small).")
    ap.add_argument("--dataset", help="Take the first N samples of this rendered dataset instead of rendering.")
    args = ap.parse_args()

    from facesynth.assets import parsing as P

    if args.dataset:
        from facesynth import open_dataset
        from facesynth.io import codecs

        stored = list(open_dataset(args.dataset))[:args.n]
        rgbs = [s.rgb[..., :3] for s in stored]
        masks = [P.palette()[codecs.decode_png(s.read("parsing"))] for s in stored]
    else:
        rgbs, masks = _render(args, P)

    def sheet(tiles: list[np.ndarray]) -> np.ndarray:
        rows = [np.concatenate(tiles[k:k + args.cols], 1) for k in range(0, len(tiles), args.cols)]
        return np.concatenate(rows, 0)

    def save(tiles: list[np.ndarray], path: str, resample: Image.Resampling) -> None:
        img = Image.fromarray(sheet(tiles))  # RGB mode: full colour, no palette
        img.resize((round(img.width * args.scale), round(img.height * args.scale)), resample).save(path, optimize=True)

    save(rgbs, args.out, Image.Resampling.LANCZOS)
    save(masks, args.parsing_out, Image.Resampling.NEAREST)
    print("wrote", args.out, args.parsing_out)


def _render(args: argparse.Namespace, P) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from facesynth.assets import load_pack
    from facesynth.farm.producer import prepare
    from facesynth.geometry.labels import compute_labels
    from facesynth.geometry.look_parts import look_parts
    from facesynth.io.image_formation import apply_image_formation
    from facesynth.recipe import load_recipe
    from facesynth.render.session import RenderSession

    loaded = load_recipe(args.recipe, [f"camera.resolution={args.size}", f"samples={args.n}",
                                       f"subjects.count={args.n}", *args.set])
    pack = load_pack(loaded.recipe.face_model_name)
    rgbs, masks = [], []
    with RenderSession(pack) as session:
        for i in range(args.n):
            spec, v, posed = prepare(loaded, pack, i)
            labels = compute_labels(spec, pack, v, posed, parts=look_parts(spec, pack, v))
            rgb = session.render(spec, v, posed).rgb[..., :3]
            if spec.look is not None and spec.look.image is not None:
                rgb = apply_image_formation(rgb, spec.look.image)
            rgbs.append(rgb)
            masks.append(P.palette()[labels.parsing])
            print(i, flush=True)
    return rgbs, masks


if __name__ == "__main__":
    main()
