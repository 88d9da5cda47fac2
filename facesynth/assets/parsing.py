"""The one face-parsing table (ids, names, colours) and the parsing class of every pack polygon.

Ids and order follow Face Synthetics' 19 classes (Wood et al., ICCV 2021), plus 255 = ignore.
Left/right are the subject's own (the subject's left eye appears on the image's right in a frontal
view). Classes of the face pack's own polygons come from its regions (eyes, mouth interior) and,
inside the skin, from the 68 landmark vertices on the neutral mesh (nose, lips, brows, ears, neck):
they are fixed per polygon, so they follow every identity and expression exactly. Clothing comes
from facesynth.appearance.clothing; hair, beard, glasses, headwear and facewear from their parts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.path import Path

from facesynth.assets import regions as R


@dataclass(frozen=True)
class ParsingClass:
    id: int
    name: str
    color: tuple[int, int, int]
    """sRGB 8-bit colour in parsing PNG palettes and previews."""


BACKGROUND, SKIN, NOSE, RIGHT_EYE, LEFT_EYE, RIGHT_BROW, LEFT_BROW, RIGHT_EAR, LEFT_EAR = range(9)
MOUTH_INTERIOR, UPPER_LIP, LOWER_LIP, NECK, HAIR, BEARD, CLOTHING, GLASSES, HEADWEAR, FACEWEAR = range(9, 19)
IGNORE = 255

CLASSES: tuple[ParsingClass, ...] = (
    ParsingClass(BACKGROUND, "background", (0, 0, 0)),
    ParsingClass(SKIN, "skin", (230, 180, 150)),
    ParsingClass(NOSE, "nose", (255, 120, 60)),
    ParsingClass(RIGHT_EYE, "right_eye", (40, 120, 220)),
    ParsingClass(LEFT_EYE, "left_eye", (80, 200, 255)),
    ParsingClass(RIGHT_BROW, "right_brow", (120, 60, 20)),
    ParsingClass(LEFT_BROW, "left_brow", (190, 110, 40)),
    ParsingClass(RIGHT_EAR, "right_ear", (200, 60, 200)),
    ParsingClass(LEFT_EAR, "left_ear", (255, 140, 255)),
    ParsingClass(MOUTH_INTERIOR, "mouth_interior", (110, 20, 30)),
    ParsingClass(UPPER_LIP, "upper_lip", (230, 40, 80)),
    ParsingClass(LOWER_LIP, "lower_lip", (255, 110, 140)),
    ParsingClass(NECK, "neck", (150, 110, 200)),
    ParsingClass(HAIR, "hair", (90, 50, 10)),
    ParsingClass(BEARD, "beard", (60, 60, 20)),
    ParsingClass(CLOTHING, "clothing", (30, 160, 90)),
    ParsingClass(GLASSES, "glasses", (250, 250, 60)),
    ParsingClass(HEADWEAR, "headwear", (0, 200, 200)),
    ParsingClass(FACEWEAR, "facewear", (180, 180, 180)),
    ParsingClass(IGNORE, "ignore", (255, 255, 255)),
)
CLASS_BY_ID: dict[int, ParsingClass] = {c.id: c for c in CLASSES}
CLASS_BY_NAME: dict[str, ParsingClass] = {c.name: c for c in CLASSES}

# pack regions that are one class outright (eyes split by side below)
_REGION_CLASS = {R.TEETH: MOUTH_INTERIOR, R.GUMS_TONGUE: MOUTH_INTERIOR, R.MOUTH_SOCKET: MOUTH_INTERIOR,
                 R.EYELASHES: IGNORE, R.EYE_OCCLUSION: IGNORE, R.BACKGROUND: IGNORE}
_EYE_REGIONS = (R.SCLERA, R.IRIS, R.EYE_SOCKET)
# regions of the parts drawn over the head (groom strands and accessories, clothing): one class each
PART_REGION_CLASS = {R.HAIR: HAIR, R.BROW_LEFT: LEFT_BROW, R.BROW_RIGHT: RIGHT_BROW, R.BEARD: BEARD,
                     R.GLASSES: GLASSES, R.HEADWEAR: HEADWEAR, R.CLOTHING: CLOTHING}
BROW_HALF_WIDTH_MM = 6.0
"""Skin within this distance (frontal projection) of the brow landmark line is 'brow'."""
NOSE_WING_MARGIN_MM = 4.0
EAR_MARGIN_MM = -2.0


def palette() -> np.ndarray:
    """(256, 3) uint8 colour per class id (unused ids black)."""
    table = np.zeros((256, 3), dtype=np.uint8)
    for c in CLASSES:
        table[c.id] = c.color
    return table


def pil_palette() -> list[int]:
    return [int(c) for c in palette().reshape(-1)]


def _dist_to_polyline(p: np.ndarray, line: np.ndarray) -> np.ndarray:
    """(N,) distance of 2D points to a polyline (K,2)."""
    best = np.full(len(p), np.inf)
    for a, b in itertools.pairwise(line):
        ab = b - a
        t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(p - (a + t[:, None] * ab), axis=1))
    return best


def polygon_centroids(pack: Any) -> np.ndarray:
    """(P, 3) mean of each polygon's corners on the neutral head, model frame (mm)."""
    v = np.asarray(pack.neutral_mm, dtype=np.float64)
    offsets = np.asarray(pack.poly_offsets)
    verts = np.asarray(pack.poly_vertices)
    counts = np.diff(offsets)
    sums = np.add.reduceat(v[verts], offsets[:-1], axis=0)
    return sums / counts[:, None]


def part_classes(regions: np.ndarray) -> np.ndarray:
    """Parsing class of each part region id (PART_REGION_CLASS); any other id is IGNORE."""
    table = np.full(256, IGNORE, dtype=np.uint8)
    for rid, cls in PART_REGION_CLASS.items():
        table[rid] = cls
    return table[np.asarray(regions, dtype=np.uint8)]


def face_frame(pack: Any, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation (rows: right, up, forward of the face) and origin (nose bridge) in the model frame,
    so the rules below hold for any pack orientation."""
    right = lm[45] - lm[36]  # image-left eye corner -> image-right eye corner
    up = lm[27] - lm[8]
    right /= np.linalg.norm(right)
    up -= right * (up @ right)
    up /= np.linalg.norm(up)
    fwd = np.cross(right, up)
    return np.stack([right, up, fwd]), lm[27]


def polygon_classes(pack: Any) -> np.ndarray:
    """(n_polygons,) uint8 parsing class of each polygon of the pack (neutral geometry + landmarks)."""
    region = np.asarray(pack.poly_region)
    out = np.full(len(region), SKIN, dtype=np.uint8)
    for rid, cls in _REGION_CLASS.items():
        out[region == rid] = cls
    lm_idx = np.asarray(pack.landmarks_68).reshape(-1)
    if len(lm_idx) != 68:  # no landmarks: only region-based classes
        out[np.isin(region, _EYE_REGIONS)] = RIGHT_EYE
        return out
    v = np.asarray(pack.neutral_mm, dtype=np.float64)
    rot, origin = face_frame(pack, v[lm_idx])
    lm = (v[lm_idx] - origin) @ rot.T  # x: toward image right (subject's left), y up, z forward
    c = (polygon_centroids(pack) - origin) @ rot.T
    xy = c[:, :2]
    subject_left = c[:, 0] > 0.0

    eye = np.isin(region, _EYE_REGIONS)
    out[eye] = np.where(subject_left[eye], LEFT_EYE, RIGHT_EYE)
    skin = np.isin(region, (R.SKIN, R.HEAD_NECK))
    front = c[:, 2] > lm[[0, 16], 2].max() - 5.0  # in front of the jaw-contour tops (excludes ears, nape)

    # neck: below the jaw contour (frontal projection) or below its lowest side point from behind
    jaw = lm[0:17, :2]
    jaw_y = np.interp(c[:, 0], jaw[::-1, 0] if jaw[0, 0] > jaw[-1, 0] else jaw[:, 0],
                      jaw[::-1, 1] if jaw[0, 0] > jaw[-1, 0] else jaw[:, 1], left=np.nan, right=np.nan)
    behind_ear = c[:, 2] < lm[[0, 16], 2].mean() - 10.0  # nape and the sides of the neck
    under_jaw = np.where(np.isnan(jaw_y) | behind_ear, c[:, 1] < lm[[3, 13], 1].mean() - 10.0, c[:, 1] < jaw_y - 2.0)
    behind_chin = c[:, 2] < lm[8, 2] - 8.0
    out[skin & under_jaw & (behind_chin | (c[:, 1] < lm[8, 1]))] = NECK

    # ears: outside the upper jaw contour, between brow and mouth height, behind the cheek
    half_width = np.abs(lm[[0, 16], 0]).mean()
    ear = (skin & (np.abs(c[:, 0]) > half_width + EAR_MARGIN_MM) & (c[:, 1] < lm[[19, 24], 1].mean())
           & (c[:, 1] > lm[[3, 13], 1].mean() - 8.0) & (c[:, 2] < lm[[0, 16], 2].mean() + 2.0)
           & (c[:, 2] > lm[[0, 16], 2].mean() - 60.0))
    out[ear] = np.where(subject_left[ear], LEFT_EAR, RIGHT_EAR)

    # nose: inside the outline bridge -> wings -> nostrils, on the front of the face
    wing = NOSE_WING_MARGIN_MM
    top = np.abs(lm[39, 0] - lm[42, 0]) * 0.3
    nose_outline = np.array([
        [lm[27, 0] - top, lm[27, 1]], [lm[31, 0] - wing, lm[31, 1] + 2 * wing], [lm[31, 0] - wing, lm[31, 1]],
        *lm[31:36, :2], [lm[35, 0] + wing, lm[35, 1]], [lm[35, 0] + wing, lm[35, 1] + 2 * wing],
        [lm[27, 0] + top, lm[27, 1]]])
    nose = skin & front & Path(nose_outline).contains_points(xy)
    out[nose] = NOSE

    # lips: inside the outer lip contour; upper above the mouth line (inner contour midline)
    lips = skin & front & Path(lm[48:60, :2]).contains_points(xy)
    inner_up, inner_lo = lm[[60, 61, 62, 63, 64], :2], lm[[60, 67, 66, 65, 64], :2]
    mid = (inner_up + inner_lo) / 2.0
    order = np.argsort(mid[:, 0])
    mouth_y = np.interp(c[:, 0], mid[order, 0], mid[order, 1])
    out[lips] = np.where(c[lips, 1] >= mouth_y[lips], UPPER_LIP, LOWER_LIP)

    # brows: a band along each brow's landmark line, above the eyes
    for line, cls in ((lm[17:22, :2], RIGHT_BROW), (lm[22:27, :2], LEFT_BROW)):
        band = skin & front & (_dist_to_polyline(xy, line) < BROW_HALF_WIDTH_MM) & (c[:, 1] > lm[37:39, 1].max())
        out[band & (out == SKIN)] = cls
    return out
