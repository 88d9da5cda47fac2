"""Values read from a sample's metadata whatever its `meta_version`: consumers never parse raw layouts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from facesynth.errors import UserError
from facesynth.outputs import READABLE_META_VERSIONS


def meta_version(meta: Mapping[str, Any]) -> int:
    version = meta.get("meta_version")
    if version not in READABLE_META_VERSIONS:
        raise UserError(
            f"sample {meta.get('id')!r}: meta_version {version!r} is not one this facesynth reads "
            f"({', '.join(map(str, READABLE_META_VERSIONS))}); upgrade facesynth"
        )
    return int(version)


def expression_weights(meta: Mapping[str, Any]) -> dict[str, float]:
    """Pack shape name -> weight, the non-zero ones, sorted by name (version 1: a dict of exactly
    these; version 2: parallel name/weight lists over every shape of the pack)."""
    fm = meta.get("face_model") or {}
    raw = fm.get("expression") or {}
    if meta_version(meta) == 1:
        pairs = list(raw.items())
    else:
        names, weights = raw.get("names", []), raw.get("weights", [])
        if len(names) != len(weights):
            raise UserError(f"sample {meta.get('id')!r}: face_model.expression has {len(names)} names "
                            f"and {len(weights)} weights")
        pairs = list(zip(names, weights, strict=True))
    return {str(n): float(w) for n, w in sorted(pairs) if float(w) != 0.0}


def points(meta: Mapping[str, Any], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xy (N, 2) px, xyz (N, 3) mm, visible (N,)) of a point set in the metadata (`pupils`,
    `dense_landmarks`, `landmarks_68`)."""
    entry = meta.get(key)
    if not isinstance(entry, Mapping):
        raise UserError(f"sample {meta.get('id')!r} has no {key} in its metadata")
    xy = np.asarray(entry["2d"], dtype=np.float64).reshape(-1, 2)
    return xy, np.asarray(entry["3d"], dtype=np.float64).reshape(-1, 3), np.asarray(entry["visible"], bool).reshape(-1)
