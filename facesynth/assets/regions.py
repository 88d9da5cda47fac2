"""The one region table: ids, names, mask colours and solidity of every face-pack region.

Every region id in a face pack (`FacePack.poly_region`), in a mask PNG and in metadata comes from
here. `solid` says whether the region is opaque geometry that counts for ground truth (depth,
normals, masks, landmark visibility): see-through overlays (eyelashes, and ICT's lacrimal fluid,
eye-blend and eye-occlusion shells) are rendered but never occlude a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.errors import UserError


@dataclass(frozen=True)
class Region:
    id: int
    name: str
    color: tuple[int, int, int]
    """sRGB 8-bit colour of this id in mask PNG palettes and previews."""
    solid: bool
    """True when the region is opaque geometry that counts for depth/normals/masks/visibility."""
    description: str


BACKGROUND = 0
SKIN = 1
HEAD_NECK = 2
SCLERA = 3
IRIS = 4
TEETH = 5
GUMS_TONGUE = 6
MOUTH_SOCKET = 7
EYE_SOCKET = 8
EYELASHES = 9
EYE_OCCLUSION = 10
# Grown on the head by facesynth.geometry.groom (strands and accessories, not face-pack polygons).
HAIR = 11
BROW_LEFT = 12
BROW_RIGHT = 13
BEARD = 14
GLASSES = 15
HEADWEAR = 16

REGIONS: tuple[Region, ...] = (
    Region(BACKGROUND, "background", (0, 0, 0), False, "no surface"),
    Region(SKIN, "skin", (230, 180, 150), True, "the face (position-map face area lies here)"),
    Region(HEAD_NECK, "head_neck", (150, 110, 200), True, "scalp, ears, back of the head and neck"),
    Region(SCLERA, "sclera", (245, 245, 245), True, "white of the eyeballs"),
    Region(IRIS, "iris", (40, 120, 220), True, "iris and pupil"),
    Region(TEETH, "teeth", (255, 240, 110), True, "upper and lower teeth"),
    Region(GUMS_TONGUE, "gums_tongue", (220, 60, 80), True, "gums and tongue"),
    Region(MOUTH_SOCKET, "mouth_socket", (120, 30, 40), True, "inside of the mouth"),
    Region(EYE_SOCKET, "eye_socket", (90, 60, 50), True, "skin pocket around the eyeballs"),
    Region(EYELASHES, "eyelashes", (30, 200, 90), False, "eyelash strips (alpha-mapped)"),
    Region(
        EYE_OCCLUSION,
        "eye_occlusion",
        (0, 210, 210),
        False,
        "transparent eye overlays: lacrimal fluid, eye blend and occlusion shells",
    ),
    Region(HAIR, "hair", (120, 70, 20), True, "scalp hair strands"),
    Region(BROW_LEFT, "brow_left", (250, 130, 0), True, "eyebrow strands, subject's left (+X)"),
    Region(BROW_RIGHT, "brow_right", (200, 200, 0), True, "eyebrow strands, subject's right"),
    Region(BEARD, "beard", (0, 150, 130), True, "beard, moustache and stubble strands"),
    Region(GLASSES, "glasses", (0, 90, 255), True, "eyeglass frames and lenses"),
    Region(HEADWEAR, "headwear", (255, 0, 160), True, "hats"),
)

REGION_BY_ID: dict[int, Region] = {r.id: r for r in REGIONS}
REGION_BY_NAME: dict[str, Region] = {r.name: r for r in REGIONS}
MAX_REGION_ID = max(REGION_BY_ID)


def region(name_or_id: str | int) -> Region:
    """Look a region up by name or id; unknown ones are a UserError."""
    found = REGION_BY_ID.get(name_or_id) if isinstance(name_or_id, int) else REGION_BY_NAME.get(name_or_id)
    if found is None:
        known = ", ".join(r.name for r in REGIONS)
        raise UserError(f"unknown region {name_or_id!r}; known regions: {known}")
    return found


def solid_lookup() -> np.ndarray:
    """(256,) bool: `solid_lookup()[poly_region]` selects the polygons that count for ground truth."""
    table = np.zeros(256, dtype=bool)
    for r in REGIONS:
        table[r.id] = r.solid
    return table


def palette() -> np.ndarray:
    """(256, 3) uint8 colour per id (unused ids black), for colouring masks."""
    table = np.zeros((256, 3), dtype=np.uint8)
    for r in REGIONS:
        table[r.id] = r.color
    return table


def pil_palette() -> list[int]:
    """The flat 768-entry list that `PIL.Image.putpalette` takes for a mode 'P' mask PNG."""
    return [int(c) for c in palette().reshape(-1)]


def names() -> tuple[str, ...]:
    """Region names indexed by id (the table is dense from 0)."""
    return tuple(r.name for r in REGIONS)
