"""Names and places of a dataset's files (the kinds, extensions and units come from facesynth.outputs)."""

from __future__ import annotations

from pathlib import Path

from facesynth.outputs import FILE_KINDS

SUBDIR_SIZE = 1000  # samples per sub-directory: keeps directories small on every file system

KINDS = FILE_KINDS
"""kind -> file suffix and unit, for the kinds stored as files (facesynth.outputs is the table)."""

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
