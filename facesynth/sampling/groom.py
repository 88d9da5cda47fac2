"""`GroomSpec`: a subject's hair, brows, beard, lashes, glasses and headwear, drawn from its own stream.

The stream is SeedSequence([seed, SUBJECT_TAG, subject_id, GROOM_TAG]): turning grooming on or
changing its settings never changes a subject's identity, skin or iris draws.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from facesynth.recipe.ranges import Range
from facesynth.recipe.schema_hair import Groom

GROOM_TAG = 0x6A17
GEOMETRY_SEED_MAX = 2**31 - 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GroomSpec(_Frozen):
    """Everything strand geometry and hair shading need; numbers are plain, units in the names."""

    hair_style: str
    """One of facesynth.recipe.schema_hair.HAIR_STYLES ('bald' grows no scalp strands)."""
    hair_density: float
    hair_length: float
    """Multiplier of the style's length."""
    hair_clump: float
    hair_curl: float
    hair_frizz: float
    melanin: float
    """Eumelanin, 0..1 (Principled Hair BSDF 'Melanin')."""
    redness: float
    """Pheomelanin share, 0..1 (Principled Hair BSDF 'Melanin Redness')."""
    grey: float
    """Fraction of unpigmented strands."""
    part_side: Literal[-1, 1]
    """Which side the parting sweeps the front hair to: +1 = subject's left (+X)."""
    brow_density: float
    brow_thickness_mm: float
    eyelashes: bool
    beard_style: str | None
    glasses_shape: str | None
    glasses_sun: bool
    glasses_color: tuple[float, float, float]
    headwear: str | None
    headwear_color: tuple[float, float, float]
    geometry_seed: int
    """Seeds the strand roots and shapes (numpy PCG64), so geometry follows the subject."""


def _u(rng: np.random.Generator, r: Range) -> float:
    return float(r.min) if r.is_fixed else float(rng.uniform(r.min, r.max))


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


FRAME_COLOURS = ((0.01, 0.01, 0.01), (0.15, 0.07, 0.03), (0.5, 0.45, 0.4), (0.6, 0.5, 0.25),
                 (0.05, 0.08, 0.2), (0.3, 0.02, 0.02))
HAT_COLOURS = ((0.02, 0.02, 0.025), (0.25, 0.02, 0.03), (0.03, 0.06, 0.2), (0.4, 0.38, 0.35),
               (0.05, 0.15, 0.05))


def groom_spec(g: Groom, seed: int, subject_tag: int, subject_id: int) -> GroomSpec | None:
    """The subject's grooming, or None when the recipe leaves it off."""
    if not g.enabled:
        return None
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, subject_tag, subject_id, GROOM_TAG])))
    style = _pick(rng, g.hair.styles)
    curl = _u(rng, g.hair.curl)
    has_beard = rng.uniform() < g.beard.probability
    beard = _pick(rng, g.beard.styles)
    has_glasses = rng.uniform() < g.glasses.probability
    shape = _pick(rng, g.glasses.shapes)
    sun = bool(rng.uniform() < g.glasses.sunglasses)
    frame = FRAME_COLOURS[int(rng.integers(len(FRAME_COLOURS)))]
    has_hat = rng.uniform() < g.headwear.probability
    hat = _pick(rng, list(g.headwear.kinds))
    hat_colour = HAT_COLOURS[int(rng.integers(len(HAT_COLOURS)))]
    return GroomSpec(
        hair_style=style,
        hair_density=_u(rng, g.hair.density),
        hair_length=_u(rng, g.hair.length),
        hair_clump=_u(rng, g.hair.clump),
        hair_curl=0.6 + 0.4 * curl if style == "curly" else curl,
        hair_frizz=_u(rng, g.hair.frizz),
        melanin=_u(rng, g.colour.melanin),
        redness=_u(rng, g.colour.redness),
        grey=_u(rng, g.colour.grey),
        part_side=1 if rng.uniform() < 0.5 else -1,
        brow_density=_u(rng, g.eyebrows.density),
        brow_thickness_mm=_u(rng, g.eyebrows.thickness_mm),
        eyelashes=g.eyelashes,
        beard_style=beard if has_beard else None,
        glasses_shape=shape if has_glasses else None,
        glasses_sun=sun and has_glasses,
        glasses_color=frame,
        headwear=hat if has_hat else None,
        headwear_color=hat_colour,
        geometry_seed=int(rng.integers(GEOMETRY_SEED_MAX)),
    )
