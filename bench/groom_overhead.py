"""Cost of the default realism preset per sample: render (and label) time with look + groom on
against the bare head, at the reference recipe (`recipes/realism.yaml`, 480x640, the default
render preset: 128 spp, adaptive 0.03, OIDN, ICT head). Issue 20's target: render ratio <= 2.

Each recipe sample is rendered twice in one session: as the recipe draws it, and bare (the same
spec with `subject.groom` and `look` off: same head, expression, pose, camera, lights, HDRI).
The two renders alternate in order from sample to sample so machine load and Cycles' per-change
rebuilds hit both alike. Printed per sample and as median and worst (the long hair + full beard
samples): render seconds (wall and process CPU), ratio look+groom / bare, label seconds.

    .venv/bin/python bench/groom_overhead.py                           # reference (many minutes)
    .venv/bin/python bench/groom_overhead.py --samples 2 --scale 0.5   # quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))

RECIPE = REPO / "recipes" / "realism.yaml"
TARGET = 2.0


@dataclass(frozen=True)
class Pair:
    index: int
    desc: str
    worst: bool
    """Long hair with a full beard: the style with the most hair pixels."""
    wall: tuple[float, float]
    """(bare, look+groom) render seconds (the session's Cycles call and its update)."""
    cpu: tuple[float, float]
    labels: tuple[float, float]


def _timed(fn: Any) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def bare_spec(spec: Any) -> Any:
    """The same sample without groom and look: the bare head the ratio divides by."""
    return spec.model_copy(update={"subject": spec.subject.model_copy(update={"groom": None}), "look": None})


def scaled(spec: Any, scale: float) -> Any:
    if scale == 1.0:
        return spec
    cam = spec.camera.model_copy(update={"width": round(spec.camera.width * scale),
                                         "height": round(spec.camera.height * scale)})
    return spec.model_copy(update={"camera": cam})


def describe(spec: Any) -> tuple[str, bool]:
    g = spec.subject.groom
    if g is None:
        return "no groom", False
    extras = [x for x in (g.beard_style, g.glasses_shape, g.headwear) if x]
    return "/".join([g.hair_style, *extras]), g.hair_style == "long" and g.beard_style == "full"


def measure(recipe: Path, indices: list[int], scale: float, threads: int = 0,
            log: Any = print, png_dir: Path | None = None) -> list[Pair]:
    from facesynth.assets import load_pack
    from facesynth.errors import UserError
    from facesynth.farm.producer import prepare, resolve_spec_paths
    from facesynth.geometry.groom import posed_groom
    from facesynth.geometry.labels import compute_labels
    from facesynth.geometry.look_parts import look_parts
    from facesynth.geometry.pose import pose_sample
    from facesynth.recipe import load_recipe
    from facesynth.render.session import RenderSession

    loaded = load_recipe(recipe)
    if loaded.recipe.subjects.groom is None or not loaded.recipe.subjects.groom.enabled:
        raise UserError(f"{recipe}: subjects.groom is not enabled; the bench compares a groomed preset")
    pack = load_pack(loaded.recipe.subjects.face_model)
    pairs = []
    with RenderSession(pack, threads=threads) as session:
        for k, i in enumerate(indices):
            spec, vertices, _ = prepare(loaded, pack, i)
            full = scaled(resolve_spec_paths(loaded, spec), scale)
            posed = pose_sample(full, pack)  # the camera (and its resolution) comes from the pose
            times: dict[str, tuple[float, float, float]] = {}
            order = (("bare", bare_spec(full)), ("full", full))
            for name, s in order if k % 2 == 0 else order[::-1]:
                groom = posed_groom(s, pack, vertices)
                _, label_s, _ = _timed(lambda s=s, g=groom, v=vertices, p=posed: compute_labels(
                    s, pack, v, p, parts=look_parts(s, pack, v), groom=g))
                res, wall, cpu = _timed(lambda s=s, g=groom, v=vertices, p=posed: session.render(s, v, p, groom=g))
                times[name] = (wall, cpu, label_s)
                if png_dir is not None:
                    from PIL import Image

                    png_dir.mkdir(parents=True, exist_ok=True)
                    rgb = res.rgb[..., :3]
                    Image.fromarray(rgb if rgb.dtype.itemsize == 1 else (rgb >> 8).astype("uint8")).save(
                        png_dir / f"{i}_{name}.png")
            desc, worst = describe(full)
            b, f = times["bare"], times["full"]
            pairs.append(Pair(i, desc, worst, (b[0], f[0]), (b[1], f[1]), (b[2], f[2])))
            log(f"sample {i} ({desc}{', worst style' if worst else ''}): render bare {b[0]:.1f}s "
                f"look+groom {f[0]:.1f}s ratio {f[0] / b[0]:.2f} (cpu {b[1]:.1f}s -> {f[1]:.1f}s, "
                f"{f[1] / b[1]:.2f}); labels {b[2]:.2f}s -> {f[2]:.2f}s")
    return pairs


def summary(pairs: list[Pair]) -> dict[str, float]:
    """median and worst render ratios (wall and CPU); worst = the long + full-beard samples, or
    the largest ratio when none was drawn; mean = mean render time per sample with look + groom
    over the bare head's (a dataset's throughput: total seconds over total seconds)."""
    wall = [p.wall[1] / p.wall[0] for p in pairs]
    cpu = [p.cpu[1] / p.cpu[0] for p in pairs]
    worst = [k for k, p in enumerate(pairs) if p.worst] or [max(range(len(pairs)), key=wall.__getitem__)]
    return {"median_wall": statistics.median(wall), "median_cpu": statistics.median(cpu),
            "worst_wall": max(wall[k] for k in worst), "worst_cpu": max(cpu[k] for k in worst),
            "max_wall": max(wall), "max_cpu": max(cpu),
            "mean_wall": sum(p.wall[1] for p in pairs) / sum(p.wall[0] for p in pairs),
            "mean_cpu": sum(p.cpu[1] for p in pairs) / sum(p.cpu[0] for p in pairs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=RECIPE)
    ap.add_argument("--first", type=int, default=0, help="first sample index of the recipe")
    ap.add_argument("--samples", type=int, default=5, help="samples 0-4 of realism.yaml include the long + full "
                    "beard subject (sample 4)")
    ap.add_argument("--scale", type=float, default=1.0, help="resolution multiplier (1 = the recipe's 480x640)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--png-dir", type=Path, help="write each render's RGB here (<index>_bare|full.png)")
    ap.add_argument("--no-record", action="store_true", help="print only; no row in bench/RESULTS.md")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from bench.record import Figure, append_run, command_line, machine
    from facesynth.errors import UserError
    from facesynth.render.groom import hair_render_settings
    from facesynth.render.skin_look import skin_render_settings

    started_machine = machine()
    print("hair render settings: " + ", ".join(f"{k} {v}" for k, v in hair_render_settings().items()), flush=True)
    print("skin render settings: " + ", ".join(f"{k} {v}" for k, v in skin_render_settings().items()), flush=True)
    try:
        pairs = measure(args.recipe, list(range(args.first, args.first + args.samples)), args.scale, args.threads,
                        log=lambda line: print(line, flush=True), png_dir=args.png_dir)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    s = summary(pairs)
    print(f"render ratio look+groom / bare: mean time per sample {s['mean_wall']:.2f} (cpu {s['mean_cpu']:.2f}), "
          f"median {s['median_wall']:.2f} (cpu {s['median_cpu']:.2f}), "
          f"worst sample {s['max_wall']:.2f} (cpu {s['max_cpu']:.2f}); long hair + full beard "
          f"{s['worst_wall']:.2f} (cpu {s['worst_cpu']:.2f}); target <= {TARGET:g}")
    if not args.no_record:
        res = f"{round(480 * args.scale)}x{round(640 * args.scale)}"
        per = "; ".join(f"{p.index} {p.desc}: {p.wall[0]:.1f}s -> {p.wall[1]:.1f}s" for p in pairs)
        figs = [Figure("groom render ratio, mean time per sample (wall)", s["mean_wall"],
                       f"{len(pairs)} samples at {res}: total look+groom seconds / total bare seconds",
                       f"<= {TARGET:g}"),
                Figure("groom render ratio, mean time per sample (process CPU)", s["mean_cpu"], "same renders",
                       f"<= {TARGET:g}"),
                Figure("groom render ratio, median (wall)", s["median_wall"], f"{len(pairs)} samples at {res}: {per}",
                       f"<= {TARGET:g}"),
                Figure("groom render ratio, median (process CPU)", s["median_cpu"], "same renders", f"<= {TARGET:g}"),
                Figure("groom render ratio, worst sample (wall)", s["max_wall"], "same renders", f"<= {TARGET:g}"),
                Figure("groom render ratio, worst sample (process CPU)", s["max_cpu"], "same renders",
                       f"<= {TARGET:g}"),
                Figure("groom render ratio, worst style long + full beard (wall)", s["worst_wall"], "same renders",
                       f"<= {TARGET:g}"),
                Figure("groom render ratio, worst style long + full beard (CPU)", s["worst_cpu"], "same renders",
                       f"<= {TARGET:g}")]
        append_run("default realism preset vs bare head, render time", figs, machine_text=started_machine,
                   command=command_line(), note="bare = the same sample with subjects.groom and look off; "
                   "the two renders alternate in order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
