"""Plot the skin tones a recipe samples: L* and ITA per subject, and swatches of the albedos.

    .venv/bin/python bench/skin_tones.py [--recipe recipes/realism.yaml] [--subjects 2000] [--out PNG]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="recipes/realism.yaml")
    ap.add_argument("--subjects", type=int, default=2000)
    ap.add_argument("--out", default="docs/images/look_skin_tones.png")
    args = ap.parse_args()

    from facesynth.appearance.skin import ita_deg, lightness, pigment_albedo
    from facesynth.recipe import load_recipe
    from facesynth.sampling.look import look_spec
    from facesynth.sampling.sampler import subject_spec

    r = load_recipe(args.recipe, [f"subjects.count={args.subjects}"]).recipe
    albedo = []
    for sid in range(args.subjects):
        subj = subject_spec(r, sid)
        skin = look_spec(r, sid, subj.skin_tone, 0, 0).skin
        albedo.append(pigment_albedo(skin.melanin, skin.haemoglobin))
    albedo = np.array(albedo)
    lstar = np.array([lightness(a) for a in albedo])
    ita = np.array([ita_deg(a) for a in albedo])
    bands = [(55, 90, "very light"), (41, 55, "light"), (28, 41, "intermediate"), (10, 28, "tan"),
             (-30, 10, "brown"), (-90, -30, "dark")]  # ITA categories (Chardon et al. 1991)
    counts = [int(((ita > lo) & (ita <= hi)).sum()) for lo, hi, _ in bands]
    print("ITA category counts:", dict(zip([b[2] for b in bands], counts, strict=True)))
    print(f"L* range {lstar.min():.1f}..{lstar.max():.1f}; per-decile counts {np.histogram(lstar, 10)[0].tolist()}")

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6), dpi=80)
    ax[0].hist(lstar, bins=20, color="#b07050")
    ax[0].set(xlabel="CIE L* of the base albedo", ylabel="subjects", title=f"{args.subjects} subjects: lightness")
    ax[1].bar([b[2] for b in bands], counts, color="#806040")
    ax[1].set(ylabel="subjects", title="ITA skin-colour categories")
    ax[1].tick_params(axis="x", rotation=30)
    order = np.argsort(-lstar)[:: max(1, args.subjects // 48)][:48]
    sw = (np.clip(albedo[order], 0, 1) ** (1 / 2.2)).reshape(4, -1, 3)
    ax[2].imshow(sw, interpolation="nearest")
    ax[2].set(title="swatches, light to dark (sRGB)", xticks=[], yticks=[])
    fig.tight_layout()
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]  # full-colour RGB PNG, no alpha or palette
    from PIL import Image

    Image.fromarray(rgb).save(args.out, optimize=True)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
