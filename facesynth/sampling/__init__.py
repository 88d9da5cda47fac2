"""Deterministic sampling: a recipe and an index give a frozen SampleSpec (numpy only, no bpy)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from facesynth.recipe import LoadedRecipe, Recipe
from facesynth.sampling.sampler import sample_id, sample_spec, subject_spec
from facesynth.sampling.selection import parse_indices, select_indices
from facesynth.sampling.spec import SampleSpec


def plan(recipe: Recipe | LoadedRecipe, indices: Iterable[int] | None = None) -> Iterator[SampleSpec]:
    """SampleSpecs for `indices` (default: all samples), in the given order."""
    r = recipe.recipe if isinstance(recipe, LoadedRecipe) else recipe
    for i in range(r.samples) if indices is None else indices:
        yield sample_spec(recipe, i)


__all__ = ["SampleSpec", "parse_indices", "plan", "sample_id", "sample_spec", "select_indices", "subject_spec"]
