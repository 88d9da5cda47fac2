"""Recipe schema v1 and its loader."""

from facesynth.recipe.loader import LoadedRecipe, RecipeError, load_recipe, parse_recipe
from facesynth.recipe.schema import OUTPUT_KINDS, SCHEMA_VERSION, Recipe

__all__ = ["OUTPUT_KINDS", "SCHEMA_VERSION", "LoadedRecipe", "Recipe", "RecipeError", "load_recipe",
           "parse_recipe"]
