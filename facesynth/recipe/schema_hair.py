"""Recipe section `subjects.groom`: scalp hair, eyebrows, beards, eyelashes, eyeglasses, headwear.

Everything here is drawn once per subject (it depends only on the seed and the subject id) and
turned into strand geometry by `facesynth.geometry.groom`. The section is off unless a recipe
turns it on (`subjects.groom.enabled: true`), so existing recipes render as before; with it on,
every subject has eyebrows and eyelashes, and hair style, beard, glasses and headwear are drawn
from the lists and probabilities below.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from facesynth.recipe.ranges import PositiveMM, Unit, bounded

Factor = bounded("Factor", 0.05, 5.0)

HAIR_STYLES = ("bald", "buzz", "short", "medium", "long", "curly", "bun", "braids")
BEARD_STYLES = ("stubble", "short", "full", "goatee", "moustache")
GLASSES_SHAPES = ("round", "rectangle", "aviator", "cat_eye")
HEADWEAR_KINDS = ("beanie",)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _known(values: list[str], allowed: tuple[str, ...], what: str) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {', '.join(repr(b) for b in bad)}; known: {', '.join(allowed)}")
    return values


def _choices(allowed: tuple[str, ...], what: str) -> type:
    """A list of names from `allowed`, refused with one sentence naming the unknown ones."""
    return Annotated[list[str], AfterValidator(partial(_known, allowed=allowed, what=what))]  # type: ignore[return-value]


HairStyles = _choices(HAIR_STYLES, "hair style")
BeardStyles = _choices(BEARD_STYLES, "beard style")
GlassesShapes = _choices(GLASSES_SHAPES, "glasses shape")


class HairColour(_Section):
    """Principled Hair BSDF melanin model: eumelanin (dark) and pheomelanin (red) and greying."""

    melanin: Unit = Field(default_factory=lambda: Unit(min=0.1, max=1.0),
                          description="Eumelanin concentration, 0 = white/blond .. 1 = black.")
    redness: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.6),
                          description="Share of pheomelanin (red) in the melanin.")
    grey: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.3),
                       description="Fraction of unpigmented (grey/white) strands.")


class ScalpHair(_Section):
    styles: HairStyles = Field(default_factory=lambda: list(HAIR_STYLES), min_length=1,
                              description=f"Styles drawn uniformly per subject: {', '.join(HAIR_STYLES)}.")
    density: Unit = Field(default_factory=lambda: Unit(min=0.6, max=1.0),
                          description="Fraction of the style's full strand count.")
    length: Factor = Field(default_factory=lambda: Factor(min=0.7, max=1.3),
                         description="Multiplier of the style's length.")
    clump: Unit = Field(default_factory=lambda: Unit(min=0.2, max=0.7),
                        description="How far strands pull toward their clump's guide, 0..1.")
    curl: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.3),
                       description="Curl amplitude, 0 = straight .. 1 = tight ringlets ('curly' uses 0.6..1).")
    frizz: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.3),
                        description="Random displacement growing toward the tips, 0..1.")


class Eyebrows(_Section):
    density: Unit = Field(default_factory=lambda: Unit(min=0.5, max=1.0), description="Strand density, 0..1.")
    thickness_mm: PositiveMM = Field(default_factory=lambda: PositiveMM(min=6.0, max=12.0),
                               description="Height of the brow band at its inner end, mm.")


class Beard(_Section):
    probability: float = Field(0.3, ge=0, le=1, description="Share of subjects with facial hair.")
    styles: BeardStyles = Field(default_factory=lambda: list(BEARD_STYLES), min_length=1)


class Glasses(_Section):
    probability: float = Field(0.25, ge=0, le=1, description="Share of subjects wearing eyeglasses.")
    shapes: GlassesShapes = Field(default_factory=lambda: list(GLASSES_SHAPES), min_length=1)
    sunglasses: float = Field(0.2, ge=0, le=1, description="Share of glasses with dark lenses.")


class Headwear(_Section):
    probability: float = Field(0.1, ge=0, le=1, description="Share of subjects wearing headwear.")
    kinds: list[Literal["beanie"]] = Field(default_factory=lambda: ["beanie"], min_length=1)


class Groom(_Section):
    """Hair, brows, beards, lashes, glasses and headwear of every subject (see docs/groom.md)."""

    enabled: bool = Field(False, description="Off: the bare head of earlier versions.")
    hair: ScalpHair = Field(default_factory=ScalpHair)
    colour: HairColour = Field(default_factory=HairColour)
    eyebrows: Eyebrows = Field(default_factory=Eyebrows)
    eyelashes: bool = Field(True, description="Strand eyelashes (replace a pack's lash strips).")
    beard: Beard = Field(default_factory=Beard)
    glasses: Glasses = Field(default_factory=Glasses)
    headwear: Headwear = Field(default_factory=Headwear)
