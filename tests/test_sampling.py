"""The sampler: deterministic, shardable, uniform where it says so, identity fixed per subject."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from facesynth.errors import UserError
from facesynth.recipe import parse_recipe
from facesynth.sampling import plan, sample_spec, select_indices

REPO = Path(__file__).resolve().parents[1]

WIDE = parse_recipe("""
name: wide
seed: 11
samples: 2000
subjects: {count: 50}
camera: {distance_mm: [700, 1000]}
head_pose: {yaw_deg: [-60, 60], pitch_deg: [-25, 25], roll_deg: [-15, 15]}
lights: {count: [1, 4], azimuth_deg: [-90, 90], elevation_deg: [-20, 60]}
expressions: {presets: [neutral, angry, happy, sad, scared, surprise, disgust, contempt]}
""")


@pytest.fixture(scope="module")
def wide_specs():
    return list(plan(WIDE))


def _ks_uniform(values: list[float], lo: float, hi: float) -> float:
    return stats.kstest(values, stats.uniform(loc=lo, scale=hi - lo).cdf).pvalue


def test_values_stay_inside_their_ranges(wide_specs) -> None:
    for s in wide_specs:
        assert 700 <= s.camera.distance_mm <= 1000
        assert -60 <= s.head_pose.yaw_deg <= 60
        assert -25 <= s.head_pose.pitch_deg <= 25
        assert -15 <= s.head_pose.roll_deg <= 15
        assert 1 <= len(s.lights) <= 4
        for light in s.lights:
            assert -90 <= light.azimuth_deg <= 90 and -20 <= light.elevation_deg <= 60


@pytest.mark.parametrize(("getter", "lo", "hi"), [
    (lambda s: s.camera.distance_mm, 700, 1000),
    (lambda s: s.head_pose.yaw_deg, -60, 60),
    (lambda s: s.head_pose.pitch_deg, -25, 25),
    (lambda s: s.head_pose.roll_deg, -15, 15),
], ids=["distance", "yaw", "pitch", "roll"])
def test_ks_does_not_reject_uniformity(wide_specs, getter, lo, hi) -> None:
    assert _ks_uniform([getter(s) for s in wide_specs], lo, hi) > 0.01


def test_ks_detects_a_skewed_sample() -> None:
    """The KS check above has teeth: a squared (non-uniform) variable is rejected."""
    rng = np.random.default_rng(0)
    assert _ks_uniform(list(rng.uniform(0, 1, 2000) ** 2), 0, 1) < 1e-6


def test_every_preset_appears(wide_specs) -> None:
    counts = Counter(s.expression.name for s in wide_specs)
    assert set(counts) == set(WIDE.expressions.presets)


def test_subject_identity_is_the_same_in_every_sample(wide_specs) -> None:
    by_subject: dict[int, set] = {}
    for s in wide_specs:
        by_subject.setdefault(s.subject.subject_id, set()).add((s.subject.identity, s.subject.skin_tone))
    assert len(by_subject) == 50
    assert all(len(v) == 1 for v in by_subject.values())
    identities = {next(iter(v))[0] for v in by_subject.values()}
    assert len(identities) == 50


def test_identity_depends_only_on_seed_and_subject() -> None:
    other = parse_recipe("name: other\nseed: 11\nsamples: 7\nsubjects: {count: 50}\n")
    a = sample_spec(WIDE, 3).subject
    b = sample_spec(other, 3).subject
    assert a == b


def test_splits_are_by_subject_with_exact_fractions(wide_specs) -> None:
    split_of: dict[int, set[str]] = {}
    for s in wide_specs:
        split_of.setdefault(s.subject.subject_id, set()).add(s.split)
    assert all(len(v) == 1 for v in split_of.values()), "an identity appears in two splits"
    sizes = Counter(next(iter(v)) for v in split_of.values())
    assert sizes == {"train": 40, "val": 5, "test": 5}


def test_same_seed_same_specs_different_seed_different_specs() -> None:
    again = parse_recipe(WIDE.model_dump_json())
    assert sample_spec(again, 123) == sample_spec(WIDE, 123)
    reseeded = WIDE.model_copy(update={"seed": 12})
    assert sample_spec(reseeded, 123) != sample_spec(WIDE, 123)


@settings(max_examples=25, deadline=None)
@given(samples=st.integers(1, 60), shard_count=st.sampled_from([1, 3, 7]))
def test_union_of_shards_equals_the_unsharded_plan(samples: int, shard_count: int) -> None:
    recipe = WIDE.model_copy(update={"samples": samples})
    whole = [s.model_dump_json() for s in plan(recipe)]
    pieces: list[tuple[int, str]] = []
    for k in range(shard_count):
        chosen = select_indices(samples, shard_index=k, shard_count=shard_count)
        pieces += [(s.index, s.model_dump_json()) for s in plan(recipe, chosen)]
    assert sorted(i for i, _ in pieces) == list(range(samples))
    assert [j for _, j in sorted(pieces)] == whole


def test_plan_is_byte_identical_across_processes(tmp_path: Path) -> None:
    recipe = REPO / "recipes" / "quickstart.yaml"
    cmd = [sys.executable, "-m", "facesynth.cli", "plan", str(recipe)]
    first = subprocess.run(cmd, capture_output=True, check=True).stdout
    second = subprocess.run(cmd, capture_output=True, check=True, env={"PYTHONHASHSEED": "123",
                                                                       "PATH": "/usr/bin:/bin"}).stdout
    assert first == second
    assert first.count(b"\n") == 8


def test_views_share_subject_and_expression_but_not_pose() -> None:
    r = parse_recipe("""
name: views
samples: 30
views:
  - {name: front, yaw_deg: [-14, 14]}
  - {name: left, yaw_deg: [-100, -67.5]}
  - {name: right, yaw_deg: [67.5, 100]}
""")
    specs = list(plan(r))
    for group in range(10):
        trio = specs[3 * group: 3 * group + 3]
        assert [s.view for s in trio] == ["front", "left", "right"]
        assert len({(s.subject, s.expression, s.lights) for s in trio}) == 1
        assert -14 <= trio[0].head_pose.yaw_deg <= 14
        assert -100 <= trio[1].head_pose.yaw_deg <= -67.5
        assert 67.5 <= trio[2].head_pose.yaw_deg <= 100


def test_sequence_runs_from_neutral_to_full_expression() -> None:
    r = parse_recipe("""
name: seq
samples: 10
expressions: {presets: [happy], intensity: 1.0, sequence: {enabled: true, frames: 5}}
""")
    specs = list(plan(r))[:5]
    scales = [dict(s.expression.weights)["mouthSmile_L"] for s in specs]
    assert scales[0] == 0 and scales[-1] == pytest.approx(0.9)
    assert scales == sorted(scales)
    assert len({s.head_pose for s in specs}) == 1, "a sequence keeps its head pose"


def test_grid_mode_enumerates_the_lattice() -> None:
    r = parse_recipe("""
name: grid
samples: 9
head_pose:
  mode: grid
  yaw_deg: {min: -10, max: 10, step: 10}
  pitch_deg: {min: -5, max: 5, step: 10}
  roll_deg: 0
""")
    poses = [(s.head_pose.yaw_deg, s.head_pose.pitch_deg) for s in plan(r)]
    assert poses[:6] == [(-10, -5), (0, -5), (10, -5), (-10, 5), (0, 5), (10, 5)]
    assert poses[6] == (-10, -5)


def test_step_lattice_in_random_mode() -> None:
    r = parse_recipe("name: s\nsamples: 200\nhead_pose: {yaw_deg: {min: -45, max: 45, step: 5}}\n")
    yaws = {s.head_pose.yaw_deg for s in plan(r)}
    assert yaws <= {float(v) for v in range(-45, 50, 5)} and len(yaws) > 10


def test_random_mix_draws_k_shapes() -> None:
    r = parse_recipe("name: m\nsamples: 50\nexpressions: {random_mix: {enabled: true, active: [2, 4]}}\n")
    for s in plan(r):
        assert s.expression.name == "random"
        assert 2 <= len(s.expression.weights) <= 4


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"indices": "5-2"}, "runs backwards"),
    ({"indices": "0-99"}, "outside"),
    ({"indices": "a"}, "cannot read"),
    ({"shard_index": 3, "shard_count": 3}, "--shard-index must be in 0..2"),
    ({"shard_index": 0}, "go together"),
    ({"shard_index": 0, "shard_count": 0}, "at least 1"),
])
def test_bad_selection_options(kwargs, message) -> None:
    with pytest.raises(UserError, match=message):
        select_indices(10, **kwargs)


def test_indices_and_limit() -> None:
    assert select_indices(50, indices="0-2,20,30-31") == [0, 1, 2, 20, 30, 31]
    assert select_indices(50, indices="0-9", shard_index=1, shard_count=3) == [1, 4, 7]
    assert select_indices(50, limit=3) == [0, 1, 2]


def test_area_lights_get_a_quarter_of_the_drawn_watts() -> None:
    r = parse_recipe("name: l\nsamples: 200\nlights: {count: 1, kinds: [area, point], energy_w: [40, 80]}\n")
    by_kind: dict[str, list[float]] = {"area": [], "point": []}
    for s in plan(r):
        by_kind[s.lights[0].kind].append(s.lights[0].energy)
    assert by_kind["area"] and by_kind["point"]
    assert all(10 <= e <= 20 for e in by_kind["area"]) and all(40 <= e <= 80 for e in by_kind["point"])


def test_emotion_presets_follow_the_facs_prototypes():
    """Surprise is AU 1+2+5B+26 (the upper lid raised only slightly: no stare); fear is
    AU 1+2+4+5+20+26 (its raised brows drawn together by the brow lowerer, AU 4)."""
    from facesynth.recipe.presets import preset_weights

    surprise, fear = preset_weights("surprise"), preset_weights("scared")
    for side in ("_L", "_R"):
        assert surprise["browInnerUp" + side] > 0 and surprise["browOuterUp" + side] > 0  # AU 1+2
        assert 0 < surprise["eyeWide" + side] <= 0.5 < fear["eyeWide" + side]  # 5B, a slight raise
        assert fear["browDown" + side] > 0 and fear["browInnerUp" + side] > 0  # AU 4 with AU 1
        assert fear["mouthStretch" + side] > 0  # AU 20
    assert surprise["jawOpen"] > 0 and fear["jawOpen"] > 0  # AU 26
