"""Time to first sample: process start to the first finished sample, and where that time goes.

    .venv/bin/python bench/first_sample.py [--recipe recipes/quickstart.yaml]

1. `facesynth render RECIPE --limit 1` in a fresh process, timed from spawn to exit (the user's
   view; target from issue 22: at most 5 s for the built-in head at quickstart size);
2. the same steps in a fresh process that times each phase: interpreter start, imports, recipe,
   bpy import, face pack, dataset store, scene build, the first sample (labels, Cycles, writing).
Each run uses a fresh output directory; the face-pack cache stays warm (as after `make demo`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 5.0


def phases(recipe: Path, out: Path, t_spawn: float) -> dict[str, tuple[float, float]]:
    """Run in the child: (wall, CPU) seconds of each phase of `facesynth render --limit 1`, in order.
    CPU time (all threads of this process) is what a busy machine does not inflate."""
    t: dict[str, tuple[float, float]] = {"interpreter start": (time.time() - t_spawn, time.process_time())}
    last = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter(), time.process_time()
        t[name] = (now[0] - last[0], now[1] - last[1])
        last = now

    import facesynth.cli  # noqa: F401  (what the console script imports)
    from facesynth.farm.producer import SampleProducer, prepare, resolve_spec_paths
    from facesynth.io.store import DatasetWriter
    from facesynth.recipe import load_recipe
    lap("import facesynth")
    loaded = load_recipe(recipe, ["samples=1"])
    lap("load recipe")
    from facesynth.render._bpy import import_bpy
    bpy = import_bpy()
    lap("import bpy")
    from facesynth.render.face_model import load_face_model
    pack = load_face_model(loaded)
    lap("load face pack")
    writer = DatasetWriter(out, loaded.text, blender_version=bpy.app.version_string)
    lap("open dataset store")
    from facesynth.render import RenderSession
    session = RenderSession(pack, threads=loaded.recipe.render.threads)
    lap("build scene")
    producer = SampleProducer(loaded, pack, session, writer, bpy.app.version_string)
    timings: dict[str, float] = {}
    render = session.render

    def timed_render(*a: Any, **k: Any) -> Any:
        result = render(*a, **k)
        timings.update(result.timings)
        return result

    session.render = timed_render  # type: ignore[method-assign]
    producer.produce(0)
    lap("first sample")
    t["  of which the Cycles call (wall only)"] = (timings.get("render", 0.0), float("nan"))
    # The same sample again in the warm session: what the first one paid beyond it is one-time set-up.
    spec, vertices, posed = prepare(loaded, pack, 0)
    session.render(resolve_spec_paths(loaded, spec), vertices, posed)
    lap("the same sample rendered again (warm)")
    t["  of which the Cycles call (wall only) "] = (timings.get("render", 0.0), float("nan"))
    session.close()
    return t


def measure(recipe: Path = REPO / "recipes" / "quickstart.yaml") -> dict[str, Any]:
    """Wall seconds of `facesynth render --limit 1` from spawn to exit, and the child's phase table."""
    exe = Path(sys.executable).with_name("facesynth")
    with tempfile.TemporaryDirectory(prefix="facesynth-first-") as tmp:
        cmd = [str(exe), "render", str(recipe), "--out", f"{tmp}/cli", "--limit", "1", "--quiet"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        total = time.perf_counter() - t0
        if proc.returncode != 0 or not list(Path(tmp, "cli").rglob("*.json")):
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        t_spawn = time.time()
        child = subprocess.run([sys.executable, __file__, "--child", str(recipe), f"{tmp}/phases", str(t_spawn)],
                               capture_output=True, text=True)
        t_child = time.time() - t_spawn
        if child.returncode != 0:
            raise RuntimeError(f"phase run failed: {child.stderr.strip()[-500:]}")
        table = json.loads(child.stdout.strip().splitlines()[-1])
    return {"total_s": total, "phases": table, "phases_total_s": t_child, "recipe": recipe.name}


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))
        out = phases(Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
        print(json.dumps(out))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=REPO / "recipes" / "quickstart.yaml")
    args = ap.parse_args()
    r = measure(args.recipe)
    print(f"facesynth render {r['recipe']} --limit 1, spawn to exit: {r['total_s']:.2f} s "
          f"(target {TARGET_S:.0f} s: {r['total_s'] / TARGET_S:.2f}x)")
    print(f"phases (a second fresh process, {r['phases_total_s']:.2f} s spawn to exit):  wall s   CPU s")
    for name, (wall, cpu) in r["phases"].items():
        print(f"  {name:52s} {wall:6.2f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
