"""Every read of per-sample metadata goes through here, so a metadata version change is one edit.

Version-dependent layouts (expression weights: a dict in `meta_version` 1, parallel name/weight
lists in 2) are read with facesynth's own accessors (`facesynth.io.metafields`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.io import metafields

Meta = dict[str, Any]


def meta_version(meta: Meta) -> int:
    """The sample's metadata version (a UserError for one this facesynth cannot read)."""
    return metafields.meta_version(meta)


def sample_id(meta: Meta) -> str:
    return str(meta["id"])


def index(meta: Meta) -> int:
    return int(meta["index"])


def split(meta: Meta) -> str:
    return str(meta.get("split", "train"))


def subject_id(meta: Meta) -> int:
    return int(meta["subject_id"])


def group(meta: Meta) -> str:
    """Samples that share subject, expression and lighting (multi-view / sequence groups)."""
    g = meta.get("group")
    return str(g) if g is not None else f"s{subject_id(meta)}-i{index(meta)}"


def view(meta: Meta) -> str | None:
    v = meta.get("view")
    return None if v is None else str(v)


def frame(meta: Meta) -> int:
    return int(meta.get("frame") or 0)


def expression_name(meta: Meta) -> str:
    return str((meta.get("face_model") or {}).get("expression_name") or "neutral")


def expression_weights(meta: Meta) -> dict[str, float]:
    """Blendshape name -> weight (non-zero ones), whatever the metadata version."""
    return metafields.expression_weights(meta)


def face_model_name(meta: Meta) -> str:
    return str((meta.get("face_model") or {}).get("name") or "builtin")


def yaw_deg(meta: Meta) -> float:
    return float(meta["head_pose"]["yaw_deg"])


def head_R(meta: Meta) -> np.ndarray:
    return np.asarray(meta["head_pose"]["R"], dtype=np.float64).reshape(3, 3)


def head_t_mm(meta: Meta) -> np.ndarray:
    return np.asarray(meta["head_pose"]["t_mm"], dtype=np.float64).reshape(3)


def K(meta: Meta) -> np.ndarray:
    return np.asarray(meta["camera"]["K"], dtype=np.float64).reshape(3, 3)


def camera_distance_mm(meta: Meta) -> float:
    return float(meta["camera"]["distance_mm"])


def model_to_camera(meta: Meta) -> np.ndarray:
    return np.asarray(meta["mesh"]["model_to_camera"], dtype=np.float64).reshape(4, 4)


def environment(meta: Meta) -> str:
    return str((meta.get("environment") or {}).get("source") or "none")


def light_count(meta: Meta) -> int:
    return len(meta.get("lights") or [])


def posmap_size(meta: Meta) -> int | None:
    pm = meta.get("posmap")
    return int(pm["size"]) if isinstance(pm, dict) and "size" in pm else None


def has_output(meta: Meta, kind: str) -> bool:
    return kind in (meta.get("outputs") or {})
