"""Time to quality: face-region PSNR against a high-spp reference vs render seconds.

One ICT-FaceKit sample (480x640 by default) is rendered once as a reference (1024 spp, no
adaptive stop, no denoiser) and then with each of our presets (draft / default / final, from the
recipe schema: one source) and with Blender's default Cycles settings (4096 spp, adaptive 0.01,
OpenImageDenoise, 12 bounces). PSNR is taken on the 16-bit sRGB output over the pixels whose
centre sees skin (the numpy rasteriser's region map), eroded by one pixel to skip silhouettes.

    .venv/bin/python bench/time_to_quality.py                        # full: many minutes
    .venv/bin/python bench/time_to_quality.py --scale 0.5 --ref-spp 512   # quicker, says so
Writes docs/images/render_time_to_quality.png (or --plot PATH).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("FACESYNTH_HOME", os.path.join(os.path.dirname(__file__), "..", ".cache", "facesynth-test"))

from facesynth.assets import load_pack
from facesynth.assets.regions import EYE_OCCLUSION, SKIN
from facesynth.atomic import atomic_path
from facesynth.geometry.pose import pose_sample
from facesynth.geometry.raster import rasterize
from facesynth.recipe.schema import RENDER_PRESETS
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.render.session import RenderSession

BLENDER_DEFAULT = {"samples": 4096, "adaptive_threshold": 0.01, "denoise": True, "max_bounces": 12}


def face_mask(pack, spec) -> np.ndarray:
    posed = pose_sample(spec, pack)
    shown = pack.poly_region[pack.tri_polygon] != EYE_OCCLUSION
    ras = rasterize(posed.to_camera(pack.neutral_mm), pack.triangles[shown], posed.camera)
    skin = np.zeros(ras.covered.shape, bool)
    skin[ras.covered] = pack.poly_region[pack.tri_polygon[shown]][ras.tri_id[ras.covered]] == SKIN
    return skin & np.roll(skin, 1, 0) & np.roll(skin, -1, 0) & np.roll(skin, 1, 1) & np.roll(skin, -1, 1)


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    d = (a[..., :3].astype(np.float64) - b[..., :3].astype(np.float64)) / 65535.0
    mse = float(np.mean(d[mask] ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="resolution factor of 480x640")
    ap.add_argument("--ref-spp", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--plot", type=Path, default=Path(__file__).parents[1] / "docs/images/render_time_to_quality.png")
    args = ap.parse_args()

    pack = load_pack("ict-facekit")

    def spec(samples: int, adaptive_threshold: float, denoise: bool, max_bounces: int, seed: int):
        return quick_spec(face_model="ict-facekit", width=round(480 * args.scale), height=round(640 * args.scale),
                          samples=samples, adaptive_threshold=adaptive_threshold, denoise=denoise,
                          max_bounces=max_bounces, index=0, seed=seed, yaw_deg=20.0, skin_tone=0.4,
                          lights=(KEY_LIGHT,), distance_mm=650.0, rgb_bit_depth=16)

    session = RenderSession(pack, threads=args.threads)

    def render(s):
        session.render(s, pack.neutral_mm, pose_sample(s, pack))  # warm: BVH, shaders, HDRI map
        res = session.render(s, pack.neutral_mm, pose_sample(s, pack))
        return res.rgb, res.timings["render"]

    ref_spec = spec(args.ref_spp, 0.0, False, 12, seed=12345)
    ref, ref_s = render(ref_spec)
    mask = face_mask(pack, ref_spec)
    configs = {**{f"preset {k}": v for k, v in RENDER_PRESETS.items()}, "Blender default": BLENDER_DEFAULT}
    rows = []
    for name, c in configs.items():
        rgb, sec = render(spec(c["samples"], c["adaptive_threshold"], c["denoise"], c["max_bounces"], seed=1))
        rows.append((name, c, sec, psnr(rgb, ref, mask)))

    w, h = ref_spec.camera.width, ref_spec.camera.height
    print(f"ICT sample {w}x{h}; reference {args.ref_spp} spp (no adaptive, no denoiser, 12 bounces) "
          f"took {ref_s:.1f} s; face pixels: {int(mask.sum())}")
    print(f"{'config':18s} {'spp':>5s} {'adapt':>6s} {'OIDN':>5s} {'bounces':>7s} {'seconds':>8s} {'PSNR dB':>8s}")
    for name, c, sec, p in rows:
        print(f"{name:18s} {c['samples']:5d} {c['adaptive_threshold']:6.3f} {c['denoise']!s:>5s} "
              f"{c['max_bounces']:7d} {sec:8.1f} {p:8.2f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for name, _c, sec, p in rows:
        ax.scatter(sec, p, s=40)
        ax.annotate(name, (sec, p), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("Cycles render time per sample (s, 2 shared CPU cores)")
    ax.set_ylabel("face-region PSNR vs reference (dB)")
    ax.set_title(f"Time to quality, ICT head {w}x{h}, reference {args.ref_spp} spp", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    with atomic_path(args.plot) as tmp:
        fig.savefig(tmp, format="png")
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
