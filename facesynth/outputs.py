"""The one table of output kinds (what a recipe may ask for, what files a sample holds) and the
version of the per-sample metadata schema.

Everything else derives from here: the recipe schema's `outputs` choices, the dataset layout's
file names and units, the writer, the reader, verify and export. Pure Python, so the recipe layer
(below every other) can import it.
"""

from __future__ import annotations

from dataclasses import dataclass

META_VERSION = 2
"""Per-sample metadata schema. 2: schema-stable (no dict whose keys vary between samples: the
expression weights are parallel name/weight lists over the pack's names). The reader reads 1 too."""
READABLE_META_VERSIONS = (1, 2)


@dataclass(frozen=True)
class OutputKind:
    suffix: str | None
    """'<id>.<suffix>' is the file name, e.g. 'rgb.png'; None: the output lives in the metadata JSON."""
    unit: str
    in_recipe: bool = True
    """False for kinds that follow from another setting (crop: `posmap.write_crop_rgb`)."""
    needs_landmarks: bool = False
    """A pack (user character) without a 68-landmark mapping cannot produce it."""


OUTPUT_KINDS: dict[str, OutputKind] = {
    "rgb": OutputKind("rgb.png", "sRGB"),
    "depth": OutputKind("depth.exr", "mm, planar depth along the optical axis, 0 = no surface"),
    "normals": OutputKind("normals.exr", "unit vectors, camera frame (OpenCV), 0 = no surface"),
    "posmap": OutputKind("posmap.exr", "prn.*: px of the 256x256 crop (z shifted to min 0); cam.*: mm; coverage 0/1",
                         needs_landmarks=True),
    "landmarks": OutputKind(None, "68 points: px (2d), mm camera frame (3d), visibility", needs_landmarks=True),
    "masks": OutputKind("mask.png", "region id, 0 = background"),
    "mesh": OutputKind("mesh.ply", "mm, camera frame"),
    "dense_landmarks": OutputKind(None, "pack vertex set: px (2d), mm camera frame (3d), visibility"),
    "parsing": OutputKind("parsing.png", "face-parsing class id (facesynth.assets.parsing), 0 = background"),
    "rgb_clean": OutputKind("rgb_clean.png", "sRGB, the render before look.image camera effects"),
    "crop": OutputKind("crop.png", "sRGB", in_recipe=False),
}

RECIPE_OUTPUTS: tuple[str, ...] = tuple(k for k, v in OUTPUT_KINDS.items() if v.in_recipe)
FILE_KINDS: dict[str, OutputKind] = {k: v for k, v in OUTPUT_KINDS.items() if v.suffix is not None}


@dataclass(frozen=True)
class LandmarkConvention:
    meta_key: str
    """The per-sample metadata key holding this convention's 68 points (`2d`, `3d`, `visible`)."""
    description: str


LANDMARK_CONVENTIONS: dict[str, LandmarkConvention] = {
    "3d": LandmarkConvention("landmarks_68", "fixed mesh vertices: each point is the same anatomical vertex at every "
                             "pose (hidden when occluded); the default"),
    "2d-contour": LandmarkConvention("landmarks_68_2d_contour", "jaw points 0-16 on the visible face outline (300W-LP "
                                     "landmark marching); 17-67 as 3d"),
}
"""The 68-landmark conventions every sample with landmarks carries (docs/conventions.md#landmarks)."""
