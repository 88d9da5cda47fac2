"""Recipe section `look`: skin, clothing, sky lighting and image formation.

Everything here is off by default, so recipes written before it render exactly as before;
`recipes/realism.yaml` turns it on. Per-subject draws (skin, clothing) come from the subject's own
random stream, per-sample draws (sky, image formation) from the sample's; see facesynth.sampling.look.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from facesynth.recipe.ranges import AzimuthDeg, Intensity, Strength, TiltDeg, Unit, bounded

RGB = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)],
            Annotated[float, Field(ge=0, le=1)]]
Pixels = bounded("Pixels", 0.0, 64.0)
ExposureEV = bounded("ExposureEV", -4.0, 4.0)
JpegQuality = bounded("JpegQuality", 5, 100, integer=True)
MoleCount = bounded("MoleCount", 0, 40, integer=True)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SkinLook(_Section):
    """A two-pigment (melanin, haemoglobin) skin with regional colour, freckles, moles and pores.
    `subjects.skin_tone` still picks the tone: it is mapped to melanin so that tones are evenly
    spaced in lightness (CIE L*)."""

    enabled: bool = False
    haemoglobin: Unit = Field(default_factory=lambda: Unit(min=0.2, max=0.8),
                              description="Dermal blood, 0 = pale, 1 = ruddy.")
    flush: Unit = Field(default_factory=lambda: Unit(min=0.2, max=1.0),
                        description="Extra blood in cheeks, nose and lips.")
    freckles_probability: float = Field(0.25, ge=0, le=1, description="Share of subjects with freckles.")
    freckles: Unit = Field(default_factory=lambda: Unit(min=0.2, max=1.0), description="Freckle density when present.")
    moles: MoleCount = Field(default_factory=lambda: MoleCount(min=0, max=6),
                             description="Moles on the face and neck.")
    pores: Unit = Field(default_factory=lambda: Unit(min=0.3, max=1.0), description="Pore bump strength.")
    wrinkles: Unit = Field(default_factory=lambda: Unit(min=0.0, max=1.0),
                           description="Fine wrinkles (forehead, crow's feet, under-eye), like age.")
    oiliness: Unit = Field(default_factory=lambda: Unit(min=0.0, max=1.0),
                           description="Lower roughness of the T-zone (forehead, nose).")


class ClothingLook(_Section):
    """A shirt on neck and shoulders, built in numpy from the posed neck (labels stay exact)."""

    enabled: bool = False
    styles: list[Literal["crew", "collar", "turtleneck"]] = Field(
        default_factory=lambda: ["crew", "collar", "turtleneck"], min_length=1)
    colors: list[RGB] = Field(
        default_factory=lambda: [(0.02, 0.02, 0.025), (0.6, 0.6, 0.6), (0.05, 0.08, 0.2), (0.35, 0.05, 0.05),
                                 (0.15, 0.2, 0.1), (0.5, 0.4, 0.25), (0.8, 0.8, 0.78), (0.1, 0.25, 0.4)],
        min_length=1, description="Linear RGB fabric colours, one drawn per subject.")


class SkyLook(_Section):
    """Blender's physical sky texture instead of the HDRI for a share of samples."""

    probability: float = Field(0.0, ge=0, le=1, description="Share of samples lit by the sky texture.")
    sun_elevation_deg: TiltDeg = Field(default_factory=lambda: TiltDeg(min=5, max=70))
    sun_rotation_deg: AzimuthDeg = Field(default_factory=lambda: AzimuthDeg(min=0, max=360))
    strength: Strength = Field(default_factory=lambda: Strength(min=0.015, max=0.05),
                               description="Sky strength (the physical sky and sun are bright: ~0.03 matches an HDRI).")
    air: Intensity = Field(default_factory=lambda: Intensity(min=0.5, max=2.0), description="Air density.")
    aerosols: Intensity = Field(default_factory=lambda: Intensity(min=0.5, max=2.0), description="Aerosol density.")


class ImageFormation(_Section):
    """Camera effects on the RGB only (labels never change). Each effect is applied to a sample
    with its probability, with strength drawn from its range; the metadata records what was done."""

    enabled: bool = False
    keep_clean: bool = Field(True, description="Also write the untouched render as 'rgb_clean'.")
    exposure_ev: ExposureEV = Field(default_factory=lambda: ExposureEV(min=-0.7, max=0.7))
    white_balance: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.15),
                                description="Largest relative gain error of red and blue.")
    defocus_probability: float = Field(0.3, ge=0, le=1)
    defocus_px: Pixels = Field(default_factory=lambda: Pixels(min=0.5, max=2.5),
                               description="Disc blur radius.")
    motion_probability: float = Field(0.2, ge=0, le=1)
    motion_px: Pixels = Field(default_factory=lambda: Pixels(min=1.0, max=6.0),
                              description="Motion streak length.")
    chromatic_aberration_px: Pixels = Field(default_factory=lambda: Pixels(min=0.0, max=1.0),
                                            description="Red/blue shift at the image corner.")
    vignette: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.4), description="Corner darkening.")
    noise: Unit = Field(default_factory=lambda: Unit(min=0.0, max=0.008),
                        description="Read-noise standard deviation (shot noise scales with it).")
    jpeg_probability: float = Field(0.5, ge=0, le=1)
    jpeg_quality: JpegQuality = Field(default_factory=lambda: JpegQuality(min=40, max=95))


class Look(_Section):
    skin: SkinLook = Field(default_factory=SkinLook)
    clothing: ClothingLook = Field(default_factory=ClothingLook)
    sky: SkyLook = Field(default_factory=SkyLook)
    image: ImageFormation = Field(default_factory=ImageFormation)

    @property
    def enabled(self) -> bool:
        return self.skin.enabled or self.clothing.enabled or self.sky.probability > 0 or self.image.enabled
