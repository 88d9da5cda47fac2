"""The default realism preset's lighting (recipes/realism.yaml): lamps at or above eye level.

A key light from below the chin is a stage effect, not a photograph: the preset draws lamp
elevations in [0, 60] deg (the library default stays [-20, 60]). The change moves nothing else of
a sample, so the 200-render dlib runs before and after it (docs/realism.md) differ only there."""

from __future__ import annotations

from pathlib import Path

import pytest

from facesynth.recipe import load_recipe
from facesynth.sampling import plan

REALISM = Path(__file__).resolve().parents[1] / "recipes" / "realism.yaml"
RUN = ["samples=200", "subjects.count=50"]  # the judged run's sample/subject layout


def test_realism_lamps_sit_at_or_above_eye_level():
    elevations = [lt.elevation_deg for spec in plan(load_recipe(REALISM, RUN)) for lt in spec.lights]
    assert len(elevations) > 200
    assert min(elevations) >= 0.0 and max(elevations) <= 60.0
    assert min(elevations) < 5.0 and max(elevations) > 55.0  # the whole range is drawn


def test_lamp_elevation_is_the_only_change_from_the_old_range():
    new = list(plan(load_recipe(REALISM, RUN)))
    old = list(plan(load_recipe(REALISM, [*RUN, "lights.elevation_deg=[-20, 60]"])))
    assert any(lt.elevation_deg < 0 for spec in old for lt in spec.lights)
    for a, b in zip(new, old, strict=True):
        # the same uniform draw, mapped onto the new range
        for la, lb in zip(a.lights, b.lights, strict=True):
            assert la.elevation_deg / 60.0 == pytest.approx((lb.elevation_deg + 20.0) / 80.0, abs=1e-12), a.id
        da, db = a.model_dump(), b.model_dump()
        for d in (da, db):
            for lt in d["lights"]:
                lt.pop("elevation_deg")
        assert da == db, a.id
