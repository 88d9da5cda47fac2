"""Hostile recipes must not exhaust the machine (issue 18, classes 7 and 8): alias bombs, deep
nesting, huge files, tiny lattice steps and huge sample counts are refused or handled lazily, in
bounded time and memory, and messages never echo an unbounded input."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from facesynth.recipe import RecipeError, load_recipe, parse_recipe
from facesynth.sampling import plan, select_indices

MB = 1 << 20


def _bomb(levels: int) -> str:
    """The "billion laughs": each level is a list of nine aliases of the level before."""
    text = "name: t\nsamples: 1\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, levels):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    return text


def _peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / MB


def _refusal(text: str) -> str:
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, "r.yaml")
    return str(info.value)


def test_alias_bomb_is_refused_before_expansion() -> None:
    message = ""

    def run() -> None:
        nonlocal message
        message = _refusal(_bomb(9))  # 9**9 = 387 million strings once expanded

    assert _peak_mb(run) < 50
    assert "aliases expand to over 100,000 values" in message and "r.yaml:" in message


def test_alias_bomb_through_the_cli_exits_2_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(9))
    done = subprocess.run([sys.executable, "-m", "facesynth.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "alias" in done.stderr and "Traceback" not in done.stderr


def test_aliases_within_the_budget_still_work() -> None:
    text = "name: t\nsamples: 1\ncamera: &c {distance_mm: [700, 900]}\nlights: {distance_mm: [800, 900]}\n"
    assert parse_recipe(text, "r.yaml").camera.distance_mm.max == 900


@pytest.mark.parametrize("text", [
    "name: t\nsamples: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n",
    "name: t\nsamples: 1\nx: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "name: t\nsamples: 1\n" + "".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v: 1\n",
])
def test_deep_nesting_is_one_line_not_a_recursion_error(text: str) -> None:
    assert "nested too deeply (at most 64 levels)" in _refusal(text)


def test_recursive_alias_is_refused() -> None:
    assert "refers to the collection that contains it" in _refusal("name: t\nsamples: 1\nx: &a [1, *a]\n")


def test_huge_recipe_is_refused_by_size_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.write(b"name: t\nsamples: 1\n")
        fh.truncate(40 * MB)  # sparse: 40 MB of NUL bytes
    def run() -> None:
        with pytest.raises(RecipeError, match=r"41,943,040 bytes is too large for a recipe"):
            load_recipe(path)

    assert _peak_mb(run) < 5


def test_fifo_recipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "r.yaml"
    os.mkfifo(fifo)
    with pytest.raises(RecipeError, match="not a regular file"):
        load_recipe(fifo)


def test_unreadable_values_are_yaml_errors_not_tracebacks() -> None:
    assert "a value cannot be read" in _refusal("name: t\nsamples: " + "9" * 5000 + "\n")
    assert "a value cannot be read" in _refusal("name: t\nsamples: 1\ndescription: 2024-13-45\n")


def test_messages_never_echo_a_huge_value() -> None:
    huge = "x" * 200_000
    message = _refusal(f"name: t\nsamples: 1\nrender: {{device: '{huge}'}}\ncamera: {{resolution: '{huge}'}}\n")
    assert len(message) < 1000, len(message)


def test_tiny_lattice_step_is_refused_by_the_points_it_implies() -> None:
    text = "name: t\nsamples: 4\nhead_pose: {mode: grid, yaw_deg: {min: -90, max: 90, step: 1.0e-9}}\n"
    message = _refusal(text)
    assert "head_pose.yaw_deg: step 1e-09 puts 1.8e+11 values" in message and "at most 1,000,000" in message
    random = "name: t\nsamples: 4\nlights: {distance_mm: {min: 800, max: 1500, step: 0.001}}\n"
    r = parse_recipe(random, "r.yaml")  # 700,001 lattice points: allowed, and drawn without a list per sample
    values = [s.lights[0].distance_mm for s in plan(r) if s.lights]
    assert values and all(abs((v - 800) / 0.001 - round((v - 800) / 0.001)) < 1e-6 for v in values)


def test_huge_sample_count_plans_two_samples_lazily() -> None:
    r = parse_recipe("name: t\nsamples: 100000000\nsubjects: {count: 1000}\n", "r.yaml")
    chosen = select_indices(r.samples, shard_index=5, shard_count=7, limit=2)
    assert list(chosen) == [5, 12]
    assert _peak_mb(lambda: list(plan(r, select_indices(r.samples, indices="3-99999999", limit=2)))) < 20
    wide = select_indices(r.samples, indices="0-99999999,5,7-9")
    assert len(wide) == 100_000_000 and wide[-1] == 99_999_999 and wide[3:5] == [3, 4]


def test_too_many_index_items_are_refused() -> None:
    from facesynth.errors import UserError

    with pytest.raises(UserError, match="at most 10,000"):
        select_indices(10**8, indices=",".join(map(str, range(20_000))))
