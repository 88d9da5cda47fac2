"""A short soak: 60 consecutive samples of bench/soak.yaml in one worker, tiny, through the real
per-sample path (labels, Cycles render, dataset store). No Blender data-block count may grow per
sample once the scene is warm (counts, not timings; bench/soak.py runs the 500-sample version).
"""

from __future__ import annotations

import pytest

from facesynth.recipe import load_recipe
from facesynth.sampling import sample_spec

pytest.importorskip("bpy")
pytestmark = pytest.mark.render

SAMPLES = 60
OVERRIDES = ("camera.resolution=32x40", "render.samples=1")


def test_no_datablock_grows_per_sample_over_a_short_soak(repo_root, tmp_path) -> None:
    from facesynth.farm.soak import soak

    recipe = repo_root / "bench" / "soak.yaml"
    loaded = load_recipe(recipe, [*OVERRIDES, f"samples={SAMPLES}"])
    lamps = [len(sample_spec(loaded, i).lights) for i in range(SAMPLES)]
    # The light pool grows until the largest lamp count has been seen; after that nothing may.
    warm = lamps.index(max(lamps)) + 1
    assert warm < SAMPLES // 2, "the recipe must reach its largest lamp count early"
    envs = {sample_spec(loaded, i).environment.source for i in range(warm, SAMPLES)}
    textured = {sample_spec(loaded, i).subject.subject_id for i in range(warm, SAMPLES)} & {0, 1}
    assert len(envs) == 2 and textured, "the soak must switch HDRIs and texture maps after warm-up"

    points = soak(recipe, tmp_path / "out", SAMPLES, every=1, overrides=OVERRIDES)
    assert [p.samples for p in points] == list(range(1, SAMPLES + 1))
    reference = points[warm - 1].datablocks
    assert reference["lights"] == max(lamps) and reference["meshes"] == 1 and reference["worlds"] == 1
    for p in points[warm:]:
        grown = {k: (reference.get(k), v) for k, v in p.datablocks.items() if v != reference.get(k)}
        assert not grown, f"after sample {p.samples}: data-block counts changed {grown}"
    assert all(p.datablocks["orphans"] == 0 for p in points)
    assert len(list((tmp_path / "out").rglob("*.json"))) >= SAMPLES  # every sample really written
