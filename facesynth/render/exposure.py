"""Face-priority auto exposure: what a phone or camera does before it takes a portrait.

The scene's light sets how bright a face comes out of Cycles; with a strong lamp or a bright
HDRI a light-skinned face is clipped white, in a dark one it sinks into the noise. A camera meters
and sets its exposure so the face lands at a mid tone. This does the same to the linear render,
before it is clipped and encoded, from the face's pixels in the sample's own parsing labels (the
render and the labels share their pixel grid).
"""

from __future__ import annotations

import numpy as np

from facesynth.assets.parsing import LOWER_LIP, NOSE, SKIN, UPPER_LIP
from facesynth.color import REC709_LUMA

FACE_CLASSES = (SKIN, NOSE, LOWER_LIP, UPPER_LIP)
"""What the meter reads: the face's own skin, not hair, eyes, glasses, neck or clothing."""
MAX_EV = 4.0
"""The most the meter changes the exposure, either way (a face barely lit stays dark)."""
MIN_FACE_PIXELS = 64
"""Fewer face pixels than this (a face out of frame or hidden) leave the exposure as rendered."""
MID_SKIN_ALBEDO = 0.2
"""Albedo luminance of a mid skin (tone ~0.4): with any `tone`, such a face lands at the target."""


def face_target(target: float, tone: float, skin_albedo: tuple[float, float, float]) -> float:
    """The median face luminance the meter aims at. A phone's face meter (`tone` 0) puts every
    face at `target`, so light skin reads darker and dark skin lighter than they are; an incident
    light meter (`tone` 1) exposes for the light, so each skin lands in proportion to its albedo."""
    albedo = float(np.dot(skin_albedo, REC709_LUMA))
    return float(target * (max(albedo, 1e-4) / MID_SKIN_ALBEDO) ** tone)


def metered_ev(linear_rgb: np.ndarray, parsing: np.ndarray, target: float) -> float:
    """The exposure change, in stops, that brings the median linear luminance of the face's pixels
    to `target`. The median, not the mean: a specular highlight or the shadowed half of a side-lit
    face should not swing the exposure."""
    face = np.isin(parsing, FACE_CLASSES)
    if int(face.sum()) < MIN_FACE_PIXELS:
        return 0.0
    luminance = float(np.median(linear_rgb[..., :3][face] @ REC709_LUMA))
    if luminance <= 0.0:
        return MAX_EV
    return float(np.clip(np.log2(target / luminance), -MAX_EV, MAX_EV))


def expose(linear: np.ndarray, ev: float) -> np.ndarray:
    """Linear RGB(A) scaled by 2^ev; an alpha channel is left as it is."""
    out = np.array(linear, dtype=np.float32, copy=True)
    out[..., :3] *= np.float32(2.0 ** ev)
    return out
