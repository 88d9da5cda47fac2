"""Soak: many consecutive samples of a recipe in one worker, watching memory, data-blocks and time.

Farms keep one Blender per process for hours; memory or time per sample that creeps up over a
long loop is the field's most common complaint. `soak` runs the real per-sample path (spec,
labels, render, dataset store) and records, every `every` samples, the process RSS, the count of
every kind of Blender data-block (and how many of them have no users: orphans) and the seconds per
sample since the previous record. `bench/soak.py` runs 500 samples; a test runs a short one.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from facesynth.recipe import load_recipe


@dataclass(frozen=True)
class SoakPoint:
    samples: int
    """Samples finished when this was recorded."""
    rss_mb: float
    """Resident set size of this process (MB, 1e6 bytes)."""
    anon_mb: float
    """Its anonymous part (heap and other private memory, MB; NaN where not known): what a leak grows.
    The rest of RSS is file-backed pages (libraries, mapped files) that the kernel drops and reads
    again under memory pressure, which makes total RSS move on a busy machine without any leak."""
    datablocks: dict[str, int]
    """len(bpy.data.<kind>) for every kind that has at least one block, plus 'orphans'."""
    seconds_per_sample: float
    """Mean wall seconds per sample since the previous point."""
    cpu_seconds_per_sample: float
    """Mean CPU seconds (all threads of this process) per sample since the previous point: on a
    machine shared with other jobs this, not wall time, shows whether the work per sample drifts."""


def rss_mb() -> float:
    """Current resident set size (Linux /proc); elsewhere the peak from getrusage (an upper bound)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 1e6
    except OSError:  # not Linux: ru_maxrss is KiB on Linux/BSD, bytes on macOS; peak, not current
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def anon_rss_mb() -> float:
    """RssAnon of this process from /proc/self/status (Linux), else NaN."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


def soak(recipe_path: str | Path, out: str | Path, samples: int, *, every: int = 50,
         overrides: Sequence[str] = (), on_point: Callable[[SoakPoint], None] | None = None,
         passes: int = 1) -> list[SoakPoint]:
    """Render samples 0..samples-1 of the recipe into `out` in this process; a point after the first
    sample (the scene is warm) and then after every `every` samples. With `passes` > 1 the same
    samples are rendered again in the same scene, each pass into its own store (`out`/pass-N): the
    scene has then seen every object and material the samples need, so any later growth is a leak."""
    from facesynth.farm.producer import SampleProducer
    from facesynth.io.store import DatasetWriter
    from facesynth.render import RenderSession
    from facesynth.render._bpy import import_bpy
    from facesynth.render.datablocks import datablock_census
    from facesynth.render.face_model import load_face_model

    loaded = load_recipe(recipe_path, [*overrides, f"samples={samples}"])
    bpy = import_bpy()
    pack = load_face_model(loaded)
    points: list[SoakPoint] = []
    last = [time.perf_counter(), time.process_time(), 0]  # wall, CPU, samples at the previous point

    def record(done: int) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        point = SoakPoint(samples=done, rss_mb=rss_mb(), anon_mb=anon_rss_mb(), datablocks=datablock_census(bpy),
                          seconds_per_sample=(now - last[0]) / (done - last[2]),
                          cpu_seconds_per_sample=(cpu - last[1]) / (done - last[2]))
        last[:] = [now, cpu, done]
        points.append(point)
        if on_point is not None:
            on_point(point)

    with RenderSession(pack, threads=loaded.recipe.render.threads) as session:
        for p in range(passes):
            store = Path(out) if passes == 1 else Path(out) / f"pass-{p}"
            with DatasetWriter(store, loaded.text, force_new=True, blender_version=bpy.app.version_string) as writer:
                producer = SampleProducer(loaded, pack, session, writer, bpy.app.version_string)
                for index in range(samples):
                    producer.produce(index)
                    done = p * samples + index + 1
                    if done == 1 or done % every == 0 or done == samples * passes:
                        record(done)
    return points
