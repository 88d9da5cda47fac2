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


# Hair, brows, lashes, beards, glasses (both lens materials), a hat, the look's skin and shirt: each
# is created on its first use and then reused, hidden or swapped.
GROOM_LOOK = (*OVERRIDES, "subjects.groom.enabled=true", "subjects.groom.beard.probability=0.5",
              "subjects.groom.glasses.probability=0.6", "subjects.groom.glasses.sunglasses=0.5",
              "subjects.groom.headwear.probability=0.4", "look.skin.enabled=true",
              "look.clothing.enabled=true", "look.image.enabled=true")
GROOM_SAMPLES = 8


def test_groom_and_look_need_no_new_datablocks_when_the_same_samples_come_again(repo_root, tmp_path) -> None:
    from facesynth.farm.soak import soak

    recipe = repo_root / "bench" / "soak.yaml"
    loaded = load_recipe(recipe, [*GROOM_LOOK, f"samples={GROOM_SAMPLES}"])
    grooms = [sample_spec(loaded, i).subject.groom for i in range(GROOM_SAMPLES)]
    assert any(g.beard_style for g in grooms) and any(g.headwear for g in grooms), "the samples must vary the groom"
    assert {g.glasses_sun for g in grooms if g.glasses_shape} == {True, False}, "both lens materials must be used"

    points = soak(recipe, tmp_path / "out", GROOM_SAMPLES, every=GROOM_SAMPLES, overrides=GROOM_LOOK, passes=2)
    first_pass, second_pass = points[-2].datablocks, points[-1].datablocks
    assert [p.samples for p in points[-2:]] == [GROOM_SAMPLES, 2 * GROOM_SAMPLES]
    assert first_pass["hair_curves"] >= 4 and first_pass["materials"] >= 6  # the groom and look really ran
    grown = {k: (first_pass.get(k), v) for k, v in second_pass.items() if v != first_pass.get(k)}
    assert not grown, f"the second pass over the same samples changed data-block counts {grown}"
    assert all(p.datablocks["orphans"] == 0 for p in points), [p.datablocks["orphans"] for p in points]
    for p in ("pass-0", "pass-1"):
        assert len(list((tmp_path / "out" / p / "samples").rglob("*.json"))) >= GROOM_SAMPLES
