"""Draw the `look` of a sample: skin and clothing per subject, sky and image formation per sample.

Own random streams, so turning `look` on changes no other number of a sample:
- skin, clothing: SeedSequence([seed, LOOK_TAG, SUBJECT_MARK, subject_id])
- sky (per group, like the HDRI it replaces): SeedSequence([seed, group, LOOK_TAG])
- image formation (per sample): SeedSequence([seed, index, LOOK_TAG])
"""

from __future__ import annotations

import numpy as np

from facesynth.appearance.skin import melanin_for_tone
from facesynth.recipe.ranges import Range
from facesynth.recipe.schema import Recipe
from facesynth.recipe.schema_look import ImageFormation, SkinLook
from facesynth.sampling.spec_look import ClothingSpec, ImageFormationSpec, LookSpec, SkinSpec, SkySpec

LOOK_TAG = 0x100C
SUBJECT_MARK = 0x5B
NOISE_SEED_MAX = 2**31 - 1


def _rng(*entropy: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(entropy))))


def _u(rng: np.random.Generator, r: Range) -> float:
    return float(r.min) if r.is_fixed else float(rng.uniform(r.min, r.max))


def _i(rng: np.random.Generator, r: Range) -> int:
    return int(rng.integers(int(r.min), int(r.max) + 1))


def skin_spec(sk: SkinLook, skin_tone: float, rng: np.random.Generator) -> SkinSpec:
    from facesynth.appearance.skin import blood_fraction

    has_freckles = rng.uniform() < sk.freckles_probability
    freckles = _u(rng, sk.freckles)
    return SkinSpec(
        melanin=melanin_for_tone(skin_tone),
        haemoglobin=blood_fraction(_u(rng, sk.haemoglobin)),
        flush=_u(rng, sk.flush),
        freckles=freckles if has_freckles else 0.0,
        moles=_i(rng, sk.moles),
        pores=_u(rng, sk.pores),
        wrinkles=_u(rng, sk.wrinkles),
        oiliness=_u(rng, sk.oiliness),
        pattern_seed=float(rng.uniform(0.0, 1000.0)),
    )


def image_spec(im: ImageFormation, rng: np.random.Generator) -> ImageFormationSpec:
    wb = im.white_balance.max if im.white_balance.is_fixed else float(rng.uniform(0, im.white_balance.max))
    gains = 1.0 + rng.uniform(-wb, wb, 2) if wb > 0 else np.ones(2)
    defocus = _u(rng, im.defocus_px) if rng.uniform() < im.defocus_probability else 0.0
    motion = _u(rng, im.motion_px) if rng.uniform() < im.motion_probability else 0.0
    jpeg = _i(rng, im.jpeg_quality) if rng.uniform() < im.jpeg_probability else 0
    return ImageFormationSpec(
        exposure_ev=_u(rng, im.exposure_ev),
        white_balance=(float(gains[0]), 1.0, float(gains[1])),
        defocus_px=defocus,
        motion_px=motion,
        motion_angle_deg=float(rng.uniform(0.0, 180.0)),
        chromatic_aberration_px=_u(rng, im.chromatic_aberration_px),
        vignette=_u(rng, im.vignette),
        noise=_u(rng, im.noise),
        jpeg_quality=jpeg,
        noise_seed=int(rng.integers(NOISE_SEED_MAX)),
        keep_clean=im.keep_clean,
    )


def look_spec(r: Recipe, subject_id: int, skin_tone: float, group: int, index: int) -> LookSpec | None:
    look = r.look
    if not look.enabled:
        return None
    subject_rng = _rng(r.seed, LOOK_TAG, SUBJECT_MARK, subject_id)
    skin = skin_spec(look.skin, skin_tone, subject_rng) if look.skin.enabled else None
    clothing = None
    if look.clothing.enabled:
        cl = look.clothing
        clothing = ClothingSpec(style=cl.styles[int(subject_rng.integers(len(cl.styles)))],
                                color=cl.colors[int(subject_rng.integers(len(cl.colors)))])
    sky = None
    group_rng = _rng(r.seed, group, LOOK_TAG)
    if group_rng.uniform() < look.sky.probability:
        s = look.sky
        sky = SkySpec(sun_elevation_deg=_u(group_rng, s.sun_elevation_deg),
                      sun_rotation_deg=_u(group_rng, s.sun_rotation_deg), strength=_u(group_rng, s.strength),
                      air=_u(group_rng, s.air), aerosols=_u(group_rng, s.aerosols))
    image = image_spec(look.image, _rng(r.seed, index, LOOK_TAG)) if look.image.enabled else None
    return LookSpec(skin=skin, clothing=clothing, sky=sky, image=image)
