"""Every shipped recipe validates, and the JSON Schema copy in docs/ is in sync."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from facesynth.recipe import Recipe, load_recipe
from facesynth.recipe.jsonschema import recipe_json_schema

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


def test_there_are_recipes() -> None:
    assert any(p.name == "quickstart.yaml" for p in RECIPES)


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_validates(path: Path) -> None:
    loaded = load_recipe(path)
    assert loaded.recipe.samples >= 1
    assert path.read_text().startswith("# "), "each recipe starts with a comment saying what it reproduces"
    # worker processes (`--workers`, Ray) receive the loaded recipe by pickle
    assert pickle.loads(pickle.dumps(loaded)).recipe == loaded.recipe


def test_defaults_reproduce_the_depth_setup() -> None:
    r = Recipe(name="d", samples=1)
    assert (r.camera.distance_mm.min, r.camera.distance_mm.max) == (700, 1000)
    assert r.camera.focal_length_mm == 60 and r.camera.sensor_width_mm == 36
    assert (r.camera.resolution.width, r.camera.resolution.height) == (480, 640)
    assert (r.camera.clip_mm.min, r.camera.clip_mm.max) == (10, 5000)
    assert r.expressions.presets == ["neutral", "angry", "happy", "sad", "scared"]


def test_json_schema_copy_in_docs_is_in_sync() -> None:
    committed = (REPO / "docs" / "recipe.schema.json").read_text()
    assert committed == recipe_json_schema(), "run: facesynth schema --out docs/recipe.schema.json"


def test_recipes_are_frozen() -> None:
    r = Recipe(name="d", samples=1)
    with pytest.raises(Exception, match="frozen"):
        r.samples = 2  # type: ignore[misc]


def test_recipe_reference_page_is_in_sync_and_complete() -> None:
    from facesynth.recipe.reference import recipe_reference_markdown

    page = (REPO / "docs" / "recipe_reference.md").read_text()
    assert page == recipe_reference_markdown(), "run: python -m facesynth.recipe.reference"
    # Every field of every section is listed, with a unit column where the name carries one.
    for section in ("camera", "head_pose", "lights", "environment", "background", "render", "split"):
        model = type(getattr(Recipe(name="x", samples=1), section))
        for name in model.model_fields:
            assert f"| `{section}.{name}` |" in page
    assert "| `camera.distance_mm` | range | mm | [700, 1000] | > 0" in page
