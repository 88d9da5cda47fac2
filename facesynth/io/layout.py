"""Names and places of a dataset's files: the one table of kinds, extensions and units."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

META_VERSION = 1
SUBDIR_SIZE = 1000  # samples per sub-directory: keeps directories small on every file system


@dataclass(frozen=True)
class KindInfo:
    suffix: str
    """'<id>.<suffix>' is the file name, e.g. 'rgb.png'."""
    unit: str


KINDS: dict[str, KindInfo] = {
    "rgb": KindInfo("rgb.png", "sRGB"),
    "depth": KindInfo("depth.exr", "mm, planar depth along the optical axis, 0 = no surface"),
    "normals": KindInfo("normals.exr", "unit vectors, camera frame (OpenCV), 0 = no surface"),
    "masks": KindInfo("mask.png", "region id, 0 = background"),
    "posmap": KindInfo("posmap.exr", "prn.*: px of the 256x256 crop (z shifted to min 0); cam.*: mm; coverage 0/1"),
    "crop": KindInfo("crop.png", "sRGB"),
    "mesh": KindInfo("mesh.ply", "mm, camera frame"),
    "parsing": KindInfo("parsing.png", "face-parsing class id (facesynth.assets.parsing), 0 = background"),
    "rgb_clean": KindInfo("rgb_clean.png", "sRGB, the render before look.image camera effects"),
}

EXR_CHANNELS = {"depth": ("Z",), "normals": ("X", "Y", "Z")}

REQUIRED_META_KEYS = (
    "id",
    "index",
    "subject_id",
    "split",
    "seed",
    "recipe_sha256",
    "facesynth_version",
    "blender_version",
    "face_model",
    "camera",
    "head_pose",
    "outputs",
    "meta_version",
)


def subdir_name(index: int) -> str:
    return f"{index // SUBDIR_SIZE:03d}"


def sample_dir(root: Path, index: int) -> Path:
    return root / "samples" / subdir_name(index)


def file_name(sample_id: str, kind: str) -> str:
    return f"{sample_id}.{KINDS[kind].suffix}"


def kind_of_file(name: str) -> str | None:
    """'000042.depth.exr' -> 'depth' (None for the metadata JSON or an unknown file)."""
    _, _, suffix = name.partition(".")
    for kind, info in KINDS.items():
        if info.suffix == suffix:
            return kind
    return None
