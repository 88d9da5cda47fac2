"""Cost of grooming per sample: render, label and growth time with hair/brows/beard/glasses vs the
bare head, at the reference recipe (480x640, the default preset: 128 spp, adaptive 0.03, OIDN, ICT).

Each subject is rendered bare and groomed in turn in one session (interleaved, so machine load
hits both alike); the groom is drawn from the `recipes/realism_groom.yaml` settings per subject.
Printed per subject and as medians: render seconds (wall and process CPU), the ratio
groomed/bare (target <= 2), label seconds, and growth seconds (once per subject).

    .venv/bin/python bench/groom_overhead.py                       # reference (many minutes)
    .venv/bin/python bench/groom_overhead.py --subjects 2 --scale 0.5 --spp 32   # quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("FACESYNTH_HOME", os.path.join(os.path.dirname(__file__), "..", ".cache", "facesynth-test"))

from facesynth.assets import load_pack
from facesynth.geometry.groom import posed_groom
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.pose import pose_sample
from facesynth.recipe import load_recipe
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.render.session import RenderSession
from facesynth.sampling import sample_spec

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "realism_groom.yaml"


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=4)
    ap.add_argument("--first", type=int, default=0, help="first subject id of the realism recipe")
    ap.add_argument("--spp", type=int, default=128)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    from facesynth.geometry.scalp_hair import STYLES
    from facesynth.render.groom import HAIR_MAX_DEPTH

    print(f"hair paths end after {HAIR_MAX_DEPTH} scattering events; strands at full density: "
          + ", ".join(f"{k} {v[1]}" for k, v in STYLES.items()), flush=True)
    pack = load_pack("ict-facekit")
    loaded = load_recipe(RECIPE)
    rows = []
    with RenderSession(pack) as session:
        for k in range(args.subjects):
            groom = sample_spec(loaded, args.first + k).subject.groom
            base = quick_spec(face_model="ict-facekit", width=round(480 * args.scale), height=round(640 * args.scale),
                              samples=args.spp, adaptive_threshold=0.03, denoise=True, max_bounces=8, index=k,
                              yaw_deg=[-25.0, 10.0, 35.0, -40.0][k % 4], lights=(KEY_LIGHT,), distance_mm=850.0,
                              focal_length_mm=60.0)
            times = {}
            for label, g in (("bare", None), ("groomed", groom)):
                spec = base.model_copy(update={"subject": base.subject.model_copy(update={"groom": g})})
                v = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
                posed = pose_sample(spec, pack)
                gr, grow_s, _ = _timed(lambda s=spec, v=v: posed_groom(s, pack, v))
                _, label_s, _ = _timed(lambda s=spec, v=v, gr=gr, p=posed: compute_labels(s, pack, v, p, gr))
                _, wall, cpu = _timed(lambda s=spec, v=v, gr=gr, p=posed: session.render(s, v, p, groom=gr))
                times[label] = (wall, cpu, label_s, grow_s)
            desc = "bald" if groom is None else f"{groom.hair_style}/{groom.beard_style}/{groom.glasses_shape}"
            b, g = times["bare"], times["groomed"]
            rows.append((b, g))
            print(f"subject {args.first + k} ({desc}): render bare {b[0]:.1f}s groomed {g[0]:.1f}s "
                  f"ratio {g[0] / b[0]:.2f} (cpu {g[1] / b[1]:.2f}); labels {b[2]:.2f}s -> {g[2]:.2f}s; "
                  f"growth {g[3]:.2f}s", flush=True)
    med = statistics.median
    print(f"median render ratio groomed/bare: wall {med(g[0] / b[0] for b, g in rows):.2f}, "
          f"cpu {med(g[1] / b[1] for b, g in rows):.2f}; whole sample (render + labels + growth) "
          f"{med((g[0] + g[2] + g[3]) / (b[0] + b[2]) for b, g in rows):.2f}")


if __name__ == "__main__":
    main()
