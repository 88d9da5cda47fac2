"""The CLI's own commands: --version, schema, plan with its selection options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facesynth import __version__
from facesynth.cli import main

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = str(REPO / "recipes" / "quickstart.yaml")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys) -> None:
    code, out, _ = _run(["--version"], capsys)
    assert code == 0 and out.strip() == f"facesynth {__version__}"


def test_schema_command_matches_docs_copy(capsys, tmp_path: Path) -> None:
    code, out, _ = _run(["schema"], capsys)
    assert code == 0
    schema = json.loads(out)
    assert "camera" in schema["properties"]
    code, _, _ = _run(["schema", "--out", str(tmp_path / "s.json")], capsys)
    assert (tmp_path / "s.json").read_text() == (REPO / "docs" / "recipe.schema.json").read_text()


def test_plan_prints_one_json_object_per_sample(capsys) -> None:
    code, out, _ = _run(["plan", QUICKSTART], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["index"] for r in rows] == list(range(8))
    assert all(r["subject"]["face_model"] == "builtin" for r in rows)


def test_plan_selection_options(capsys) -> None:
    _, out, _ = _run(["plan", QUICKSTART, "--shard-index", "1", "--shard-count", "3"], capsys)
    assert [json.loads(x)["index"] for x in out.splitlines()] == [1, 4, 7]
    _, out, _ = _run(["plan", QUICKSTART, "--indices", "2-3,6", "--limit", "2"], capsys)
    assert [json.loads(x)["index"] for x in out.splitlines()] == [2, 3]


def test_bad_option_is_a_usage_error(capsys) -> None:
    code, _, err = _run(["plan", QUICKSTART, "--shard-index", "5", "--shard-count", "2"], capsys)
    assert code == 2 and err.strip() == "error: --shard-index must be in 0..1, got 5"


def test_validate_many(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsamples: -1\n")
    code, out, err = _run(["validate", QUICKSTART, str(bad)], capsys)
    assert code == 2
    assert "ok: " in out and "samples:" in err


def test_import_facesynth_is_light() -> None:
    import subprocess
    import sys

    code = ("import sys, facesynth, facesynth.recipe, facesynth.sampling; "
            "print(int('bpy' in sys.modules), int('torch' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0"]


def test_set_overrides_and_their_errors(capsys) -> None:
    code, out, _ = _run(["plan", QUICKSTART, "--limit", "1", "--set", "camera.resolution=64x80",
                         "--set", "render.samples=2"], capsys)
    row = json.loads(out)
    assert code == 0 and (row["camera"]["width"], row["camera"]["height"], row["render"]["samples"]) == (64, 80, 2)
    code, _, err = _run(["plan", QUICKSTART, "--set", "camera.distance_mm=[5,1]"], capsys)
    assert code == 2
    assert err.strip() == ("error: camera.distance_mm: minimum 5 is greater than maximum 1 "
                           "(from --set camera.distance_mm=[5,1])")
