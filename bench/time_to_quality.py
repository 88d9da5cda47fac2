"""Time to quality: face-region PSNR against a converged reference vs Cycles render seconds.

One ICT-FaceKit sample (480x640 by default; one key lamp and the studio HDRI), rendered:
- as the reference: --ref-renders renders of --ref-spp spp with different seeds (no adaptive stop,
  no denoiser, Blender's defaults otherwise), averaged in linear light. The spread between them
  is printed: it is the ceiling a single reference of --ref-spp would put on any PSNR;
- with our presets (draft / default / final, exactly as the worker renders them);
- with Blender's default Cycles settings (every `scene.cycles` value at its factory default) at
  doubling sample counts until they pass our best preset's PSNR, twice: as Blender ships them
  (persistent data off: each render syncs the scene afresh) and with persistent data on, which
  leaves the render settings as the only difference (the stricter comparison).
Blender's time for a PSNR is read off that curve, interpolating log-time between the bracketing
points. PSNR is taken on the 16-bit sRGB output over pixels whose centre sees skin (the numpy
rasteriser's region map), eroded by one pixel to skip silhouettes. Times are the
`bpy.ops.render.render` call (sync, path tracing, denoising). Under persistent data every timed
render follows an identical untimed one, so a point is what a worker pays for its second and later
samples, whatever the session rendered before; without persistent data each render starts afresh.

    .venv/bin/python bench/time_to_quality.py                 # 480x640: about 45 min on 2 cores
    .venv/bin/python bench/time_to_quality.py --scale 0.5     # 240x320: about 10 min
    ... --ref-cache .cache/ttq_ref.npy   # keep the reference (20 of the 45 min at 480x640) for re-runs
Target (issue 4): the default preset reaches >= 35 dB in at most half the time Blender's
defaults need for the same PSNR. Writes docs/images/render_time_to_quality.png (or --plot PATH).
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("FACESYNTH_HOME", os.path.join(os.path.dirname(__file__), "..", ".cache", "facesynth-test"))

from facesynth.assets import load_pack
from facesynth.assets.regions import EYE_OCCLUSION, SKIN
from facesynth.atomic import atomic_path
from facesynth.color import srgb_to_linear
from facesynth.geometry.pose import pose_sample
from facesynth.geometry.raster import rasterize
from facesynth.recipe.schema import RENDER_PRESETS
from facesynth.render.background import encode
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.render.session import RenderSession
from facesynth.render.sync import assign

TARGET_DB = 35.0
TARGET_TIME_RATIO = 0.5


def factory_cycles_values(cycles: Any) -> dict[str, Any]:
    """Every writable plain `scene.cycles` setting -> its RNA (factory) default."""
    values = {}
    for prop in cycles.bl_rna.properties:
        if prop.is_readonly or prop.type in {"POINTER", "COLLECTION"} or getattr(prop, "is_array", False):
            continue
        if prop.type == "ENUM" and (prop.is_enum_flag or not prop.default):
            continue  # enums whose items Blender computes at run time (device lists) have no default
        values[prop.identifier] = prop.default
    return values


class BenchSession(RenderSession):
    """The worker's session; with `factory` set, renders with Blender's factory Cycles settings
    (samples and seed from the spec, then the `factory` overrides) and `persistent_data`."""

    factory: dict[str, Any] | None = None
    persistent_data = True

    def _apply_render_settings(self, spec: Any) -> Any:
        choice = super()._apply_render_settings(spec)
        if self.factory is not None:
            cy = self.scene.cycles
            wanted = {**factory_cycles_values(cy), "samples": spec.render.samples, "seed": spec.render.seed,
                      **self.factory}
            for key, value in wanted.items():
                if assign(cy, key, value):
                    self._scene_changed = True
        if assign(self.scene.render, "use_persistent_data", self.persistent_data or self.factory is None):
            self._scene_changed = True
        return choice


def face_mask(pack: Any, spec: Any) -> np.ndarray:
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


def mean_in_linear_light(images: list[np.ndarray]) -> np.ndarray:
    return encode(np.mean([srgb_to_linear(im[..., :3] / 65535.0) for im in images], axis=0), 16)


def seconds_for_psnr(curve: list[tuple[float, float]], target_db: float) -> tuple[float, str]:
    """(seconds, qualifier) on a (seconds, dB) curve ordered by samples: log-linear between the
    first point at or above `target_db` and the one before; '<=' / '>' when off the curve's ends."""
    for k, (sec, db) in enumerate(curve):
        if db >= target_db:
            if k == 0:
                return sec, "<="
            s0, d0 = curve[k - 1]
            f = (target_db - d0) / (db - d0)
            return math.exp(math.log(s0) + f * (math.log(sec) - math.log(s0))), ""
    return curve[-1][0], ">"


def spec_factory(scale: float) -> Any:
    """(seed, samples, adaptive_threshold, denoise, max_bounces) -> the bench's one ICT sample."""
    def spec(seed: int, samples: int, adaptive_threshold: float = 0.0, denoise: bool = False, max_bounces: int = 12):
        return quick_spec(face_model="ict-facekit", width=round(480 * scale), height=round(640 * scale),
                          samples=samples, adaptive_threshold=adaptive_threshold, denoise=denoise,
                          max_bounces=max_bounces, index=0, seed=seed, yaw_deg=20.0, skin_tone=0.4,
                          lights=(KEY_LIGHT,), distance_mm=650.0, rgb_bit_depth=16)
    return spec


def renderer(session: BenchSession, pack: Any) -> Any:
    def render(s: Any, *, warm: bool) -> tuple[np.ndarray, float]:
        if warm:  # under persistent data, time what a worker pays for the 2nd and later samples
            session.render(s, pack.neutral_mm, pose_sample(s, pack))
        res = session.render(s, pack.neutral_mm, pose_sample(s, pack))
        return res.rgb, res.timings["render"]
    return render


def default_vs_blender(scale: float = 1.0, ref_cache: Path | None = None, start_spp: int = 32,
                       ref_spp: int = 1024, ref_renders: int = 4, threads: int = 0) -> dict[str, Any]:
    """The suite's short form: the default preset (warm) against Blender's defaults as shipped, swept
    from `start_spp` up until they pass its PSNR; the reference comes from `ref_cache` when present."""
    pack = load_pack("ict-facekit")
    session = BenchSession(pack, threads=threads)
    spec, render = spec_factory(scale), renderer(session, pack)
    mask = face_mask(pack, spec(0, 1))
    session.factory = {"use_adaptive_sampling": False, "use_denoising": False}
    ref, ref_seconds, _ = reference(ref_cache, ref_renders, mask,
                                    lambda k: render(spec(12345 + k, ref_spp), warm=False))
    session.factory = None
    c = RENDER_PRESETS["default"]
    rgb, sec = render(spec(1, c["samples"], c["adaptive_threshold"], c["denoise"], c["max_bounces"]), warm=True)
    db = psnr(rgb, ref, mask)
    session.factory, session.persistent_data = {}, False
    curve = sweep(lambda n: render(spec(1, n), warm=False), face_psnr=lambda im: psnr(im, ref, mask),
                  stop_db=db, max_spp=4096, start=start_spp)
    bl_sec, qual = seconds_for_psnr([(t, d) for _n, t, d in curve], db)
    session.close()
    return {"setup": f"ICT {round(480 * scale)}x{round(640 * scale)}, reference {ref_renders} x {ref_spp} spp"
                     + (" (built in this run)" if ref_seconds else " (cached)"),
            "default_s": sec, "default_db": db, "blender_s": bl_sec, "qualifier": qual, "curve": curve,
            "ratio": sec / bl_sec, "reference_built_s": sum(ref_seconds)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="resolution factor of 480x640")
    ap.add_argument("--ref-spp", type=int, default=1024)
    ap.add_argument("--ref-renders", type=int, default=4, help="seeds averaged into the reference")
    ap.add_argument("--max-spp", type=int, default=4096, help="largest sample count tried with Blender's defaults")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--ref-cache", type=Path, default=None,
                    help="16-bit .npy of the averaged reference: read if present, else written (saves re-runs "
                         "the reference's 20 min at 480x640; delete it when the scene or the look changes)")
    ap.add_argument("--plot", type=Path, default=Path(__file__).parents[1] / "docs/images/render_time_to_quality.png")
    args = ap.parse_args()

    pack = load_pack("ict-facekit")
    session = BenchSession(pack, threads=args.threads)
    spec, render = spec_factory(args.scale), renderer(session, pack)

    mask = face_mask(pack, spec(0, 1))
    session.factory = {"use_adaptive_sampling": False, "use_denoising": False}
    ref, ref_seconds, pair_db = reference(args.ref_cache, args.ref_renders, mask,
                                          lambda k: render(spec(12345 + k, args.ref_spp), warm=False))

    session.factory = None
    ours = []
    for name, c in RENDER_PRESETS.items():
        s = spec(1, c["samples"], c["adaptive_threshold"], c["denoise"], c["max_bounces"])
        rgb, sec = render(s, warm=True)
        ours.append((name, c, sec, psnr(rgb, ref, mask)))

    best_db = max(db for *_, db in ours)
    curves = {}
    for label, persistent in (("as shipped (persistent data off)", False), ("with persistent data on", True)):
        session.factory, session.persistent_data = {}, persistent
        curves[label] = sweep(lambda n, _p=persistent: render(spec(1, n), warm=_p),
                              face_psnr=lambda rgb: psnr(rgb, ref, mask), stop_db=best_db, max_spp=args.max_spp)

    w, h = round(480 * args.scale), round(640 * args.scale)
    print(f"ICT sample {w}x{h}, {int(mask.sum())} face pixels. Reference: {args.ref_renders} x {args.ref_spp} spp "
          f"averaged" + (f" ({np.mean(ref_seconds):.1f} s each)." if ref_seconds else f", read from {args.ref_cache}."))
    if pair_db:
        print(f"  two {args.ref_spp}-spp renders differ by {np.mean(pair_db):.2f} dB PSNR, so one alone would cap "
              f"any PSNR near {np.mean(pair_db) + 10 * np.log10(2):.1f} dB; the average caps it near "
              f"{np.mean(pair_db) + 10 * np.log10(2 * args.ref_renders):.1f} dB")
    for label, curve in curves.items():
        print(f"\nBlender's default Cycles settings, {label}\n{'spp':>5s} {'seconds':>8s} {'PSNR dB':>8s}")
        for n, sec, db in curve:
            print(f"{n:5d} {sec:8.1f} {db:8.2f}")
    for label, curve in curves.items():
        print(f"\nagainst Blender's defaults {label}:\n{'preset':10s} {'spp':>5s} {'adapt':>6s} {'bounces':>7s} "
              f"{'seconds':>8s} {'PSNR dB':>8s} {'Blender s at same dB':>21s} {'ratio':>6s}")
        verdict = ""
        for name, c, sec, db in ours:
            bl_sec, qual = seconds_for_psnr([(t, d) for _n, t, d in curve], db)
            ratio = sec / bl_sec
            print(f"{name:10s} {c['samples']:5d} {c['adaptive_threshold']:6.3f} {c['max_bounces']:7d} {sec:8.1f} "
                  f"{db:8.2f} {qual:>2s}{bl_sec:19.1f} {ratio:6.3f}")
            if name == "default":
                ok = db >= TARGET_DB and ratio <= TARGET_TIME_RATIO and qual != ">"
                verdict = (f"default preset: {db:.2f} dB (target >= {TARGET_DB}), {ratio:.3f} x the time for the same "
                           f"PSNR (target <= {TARGET_TIME_RATIO}): {'MET' if ok else 'NOT MET'}")
        print(verdict)
    plot(args.plot, curves, ours, f"ICT head {w}x{h}; reference {args.ref_renders} x {args.ref_spp} spp")


def reference(ref_cache: Path | None, ref_renders: int, mask: np.ndarray,
              render_seed: Any) -> tuple[np.ndarray, list[float], list[float]]:
    """(averaged reference, seconds per render, PSNR dB of each render after the first against the first);
    read from --ref-cache when given and present (then no seconds and no spread)."""
    if ref_cache is not None and ref_cache.is_file():
        return np.load(ref_cache), [], []
    refs, seconds = [], []
    for k in range(ref_renders):
        rgb, sec = render_seed(k)
        refs.append(rgb)
        seconds.append(sec)
    ref = mean_in_linear_light(refs)
    if ref_cache is not None:
        ref_cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(ref_cache) as tmp, open(tmp, "wb") as f:
            np.save(f, ref)
    return ref, seconds, [psnr(refs[0], r, mask) for r in refs[1:]]


def sweep(render_spp: Any, face_psnr: Any, stop_db: float, max_spp: int,
          start: int = 8) -> list[tuple[int, float, float]]:
    """(spp, seconds, dB) at start, 2 start, 4 start ... spp until `stop_db` is passed or `max_spp` reached."""
    rows: list[tuple[int, float, float]] = []
    samples = start
    while samples <= max_spp:
        rgb, sec = render_spp(samples)
        rows.append((samples, sec, face_psnr(rgb)))
        if rows[-1][2] >= stop_db:
            break
        samples *= 2
    return rows


def plot(path: Path, curves: dict[str, list[tuple[int, float, float]]], ours: list[tuple[str, dict, float, float]],
         title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for (label, curve), color in zip(curves.items(), ("0.3", "0.6"), strict=False):
        ax.plot([s for _n, s, _d in curve], [d for *_, d in curve], "o-", color=color, ms=4,
                label=f"Blender's default Cycles settings, {label}")
        for n, s, d in curve if color == "0.3" else ():  # spp labels once: both curves share them
            ax.annotate(f"{n}", (s, d), textcoords="offset points", xytext=(4, -11), fontsize=7, color=color)
    ax.plot([s for *_, s, _d in ours], [d for *_, d in ours], "s", color="tab:blue", ms=7,
            label="facesynth presets")
    for name, c, s, d in ours:
        ax.annotate(f"{name} ({c['samples']} spp)", (s, d), textcoords="offset points", xytext=(6, 3), fontsize=8,
                    color="tab:blue")
    ax.axhline(TARGET_DB, color="tab:red", lw=0.8, ls="--", label=f"target {TARGET_DB:g} dB")
    ax.set_xscale("log")
    ax.set_xlabel("Cycles render time per sample (s, 2 CPU cores); grey labels: spp")
    ax.set_ylabel("face-region PSNR vs reference (dB)")
    ax.set_title(f"Time to quality, {title}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
