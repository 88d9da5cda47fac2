"""Compare two datasets by content: decoded pixels and labels, and metadata.

facesynth's determinism promise is about content: the same recipe and seed give the same decoded
arrays and the same metadata on any machine and any sharding. The compressed bytes of PNG and EXR
files are not part of it, because they depend on the zlib build that Pillow, Python and OpenEXR
were linked with (Pillow's wheels moved to zlib-ng, for instance). So the metadata fields that
hash or measure compressed files are left out of the comparison, and every file is compared
decoded.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from facesynth.io.dataset import Sample, open_dataset

BYTE_FIELDS = ("outputs.*.sha256", "outputs.*.bytes", "face_model.pack_sha256")
"""Metadata that depends on compressed bytes (the pack file is a deflated zip): not compared."""


def content_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The metadata without the fields of `BYTE_FIELDS`."""
    out = dict(meta)
    out["outputs"] = {
        kind: {k: v for k, v in desc.items() if k not in ("sha256", "bytes")}
        for kind, desc in (meta.get("outputs") or {}).items()
    }
    if isinstance(meta.get("face_model"), dict):
        out["face_model"] = {k: v for k, v in meta["face_model"].items() if k != "pack_sha256"}
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    return type(a) is type(b) and a == b


def compare_samples(a: Sample, b: Sample) -> list[str]:
    """Differences between two samples' content ([] when they are the same)."""
    diffs = []
    if content_meta(a.meta) != content_meta(b.meta):
        diffs.append(f"sample {a.id}: metadata differs")
    for kind in sorted(set(a.kinds) | set(b.kinds)):
        if kind not in a.kinds or kind not in b.kinds:
            diffs.append(f"sample {a.id}: output {kind!r} is in only one dataset")
        elif not _same(a.decoded(kind), b.decoded(kind)):
            diffs.append(f"sample {a.id}: output {kind!r} differs when decoded")
    return diffs


def compare_datasets(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> list[str]:
    """Differences in content between two datasets (directories or shards); [] means identical."""
    left, right = open_dataset(a), open_dataset(b)
    diffs = []
    if left.recipe_text != right.recipe_text:
        diffs.append("the recipes differ")
    right_ids = set(right.ids)
    for sid in sorted(set(left.ids) ^ right_ids):
        diffs.append(f"sample {sid}: in only one dataset")
    for sample in left:
        if sample.id in right_ids:
            diffs.extend(compare_samples(sample, right.by_id(sample.id)))
    return diffs
