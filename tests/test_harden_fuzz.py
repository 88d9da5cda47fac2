"""Fuzzing recipes (issue 18 acceptance): mutate valid recipes in types, ranges, structure and YAML
features; every outcome is exit 0 or 2 through the CLI entry point, never a traceback, never more
than a few hundred MB of memory, and never an output directory for a refused recipe.

Bounded: a fixed number of derandomised examples (the same cases on every run), run in this
process through `facesynth.cli.main`; a few refused cases also go through a real `facesynth`
process to check the exit code an operating system sees."""

from __future__ import annotations

import copy
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facesynth.cli import main

REPO = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((REPO / "recipes" / "quickstart.yaml").read_text())
# Also accepted by `render --limit 0` (which checks everything render checks, then renders nothing).
BASE["outputs"] = ["rgb", "depth", "masks", "landmarks"]
RSS_LIMIT_MB = 300  # growth of this process's peak memory over the whole fuzz run

SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "x" * 50_000, "480x640", "builtin:*", "../../etc/passwd", "/dev/zero", "1e-12",
                     "nan", "{", "*a", "!!python/object:os.system", "yes", "0x10", "~"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _set(data: Any, path: tuple, value: Any, *, delete: bool = False) -> None:
    for part in path[:-1]:
        data = data[part]
    if delete:
        del data[path[-1]]
    else:
        data[path[-1]] = value


# Text-level YAML features the data mutations cannot express.
YAML_TRICKS = [
    lambda t: t + "\nbomb: &b0 [x, x, x, x, x, x, x, x]\n" + "".join(
        f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 8)}]\n" for i in range(1, 9)),
    lambda t: t + "\nx: !!python/object/apply:os.system ['true']\n",
    lambda t: t + "\nname: again\n",  # duplicate key
    lambda t: t + "\n---\nname: second\n",  # a second document
    lambda t: t.replace("camera:", "camera: &cam") + "\nview_cam: *cam\n",
    lambda t: t + "\ndeep: " + "[" * 300 + "]" * 300 + "\n",
    lambda t: t + "\nmerged: {<<: {a: 1}, b: 2}\n",
    lambda t: t + "\nwhen: 2024-02-30\n",
    lambda t: t.replace("samples: 8", "samples: " + "9" * 5000),
    lambda t: t + "\nbin: !!binary aGVsbG8=\n",
    lambda t: t[: len(t) // 2],  # cut in the middle
    lambda t: t.replace(":", ": :", 1),
    lambda t: "\ufeff" + t + "\n\t tab: 1\n",
    lambda t: t.replace("head_pose:", "head_pose:\n  mode: grid\n  yaw_deg: {min: -90, max: 90, step: 0.000001}\n"
                        "head_pose_old:"),
]


@st.composite
def mutated_recipes(draw: st.DrawFn) -> str:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap"]))
        try:
            if action == "replace":
                _set(data, path, draw(VALUES))
            elif action == "delete":
                _set(data, path, None, delete=True)
            elif action == "add":
                parent = data
                for part in path[:-1]:
                    parent = parent[part]
                if isinstance(parent, dict):
                    parent[draw(st.text(min_size=1, max_size=12))] = draw(VALUES)
            else:
                parent = data
                for part in path[:-1]:
                    parent = parent[part]
                parent[path[-1]] = [parent[path[-1]]]
        except (KeyError, IndexError, TypeError):
            pass
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True) if isinstance(data, dict) else ""
    if draw(st.booleans()):
        text = draw(st.sampled_from(YAML_TRICKS))(text)
    return text


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, capsys.readouterr().err


REFUSED: list[Path] = []
BASELINE_MB: list[float] = []


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module", autouse=True)
def _baseline() -> None:
    """Peak memory before the fuzz run, with Blender's module already loaded (render imports it)."""
    pytest.importorskip("bpy")
    BASELINE_MB.append(_peak_mb())


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(text=mutated_recipes())
def test_mutated_recipes_exit_0_or_2_and_refused_ones_create_nothing(
        text: str, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    recipe = folder / "recipe.yaml"
    recipe.write_text(text, encoding="utf-8")
    code, err = _run(["validate", str(recipe)], capsys)
    assert code in (0, 2), err
    assert "Traceback" not in err and all(len(line) < 2000 for line in err.splitlines())
    out = folder / "out"
    if code == 2:
        assert err.startswith("error: ")
        for argv in (["plan", str(recipe), "--limit", "2"], ["render", str(recipe), "--out", str(out), "-q"]):
            again, err2 = _run(argv, capsys)
            assert again == 2 and "Traceback" not in err2, (argv, err2)
        assert not out.exists()
        if len(REFUSED) < 3:
            REFUSED.append(recipe)
    else:
        # accepted: render checks the same things and renders nothing with --limit 0
        again, err2 = _run(["render", str(recipe), "--out", str(out), "--limit", "0", "-q"], capsys)
        assert again == 0, err2


def test_peak_memory_and_real_exit_codes_after_fuzzing() -> None:
    """Runs after the fuzz test in this module: its examples stayed within the memory bound, and
    refused recipes exit 2 as a real process too."""
    grown_mb = _peak_mb() - BASELINE_MB[0]
    assert grown_mb < RSS_LIMIT_MB, f"peak memory grew by {grown_mb:.0f} MB"
    assert REFUSED, "the fuzz test refused no recipe: it did not run first or mutates nothing"
    for recipe in REFUSED:
        done = subprocess.run([sys.executable, "-m", "facesynth.cli", "validate", str(recipe)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
