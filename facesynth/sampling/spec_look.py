"""The `look` part of a SampleSpec: skin, clothing, sky and image formation, all numbers drawn.

`None` means the recipe leaves that part off (the sample renders as without a `look` section).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

RGB = tuple[float, float, float]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SkinSpec(_Frozen):
    """One subject's skin; pigment amounts are volume fractions (facesynth.appearance.skin)."""

    melanin: float
    """Epidermal melanin volume fraction (from subjects.skin_tone, evenly spaced in L*)."""
    haemoglobin: float
    """Dermal blood volume fraction."""
    flush: float
    """Extra blood in cheeks, nose and lips, 0..1."""
    freckles: float
    """Freckle density 0..1 (0 = none)."""
    moles: int
    pores: float
    wrinkles: float
    oiliness: float
    pattern_seed: float
    """Offset of the procedural patterns (freckles, moles, pores), so each subject has its own."""


class ClothingSpec(_Frozen):
    style: Literal["crew", "collar", "turtleneck"]
    color: RGB


class SkySpec(_Frozen):
    sun_elevation_deg: float
    sun_rotation_deg: float
    strength: float
    air: float
    aerosols: float


class ImageFormationSpec(_Frozen):
    """Applied in this order to the linear render: exposure and white balance, defocus, motion
    blur, chromatic aberration, vignette, sensor noise; then sRGB encoding and JPEG."""

    exposure_ev: float
    white_balance: RGB
    """Gains on linear R, G, B (G = 1)."""
    defocus_px: float
    """Disc blur radius; 0 = sharp."""
    motion_px: float
    """Streak length; 0 = none."""
    motion_angle_deg: float
    chromatic_aberration_px: float
    """Radial red/blue shift at the image corner (red out, blue in)."""
    vignette: float
    """Fraction of light lost in the image corners (cos^4-like falloff)."""
    noise: float
    """Read-noise sigma in linear units; with shot noise sigma = noise * sqrt(1 + 4 value)."""
    jpeg_quality: int
    """0 = no JPEG round trip."""
    noise_seed: int
    keep_clean: bool


class LookSpec(_Frozen):
    skin: SkinSpec | None = None
    clothing: ClothingSpec | None = None
    sky: SkySpec | None = None
    image: ImageFormationSpec | None = None
