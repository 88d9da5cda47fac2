"""The recipe JSON Schema (for editors' autocompletion and the docs' reference page)."""

from __future__ import annotations

import json

from facesynth.recipe.schema import SCHEMA_VERSION, Recipe


def recipe_json_schema() -> str:
    schema = Recipe.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://facesynth.dev/schema/recipe-v{SCHEMA_VERSION}.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
