"""Decoders for the common loaders, so exported shards give float arrays without glue.

- webdataset: `wds.WebDataset(urls).decode(exr_handler, "rgb8")`: `depth.exr` becomes an HxW float32
  array (mm), `normals.exr` HxWx3, `posmap.exr` a dict of channel name -> float32 array.
  `exr_planes_handler` keeps every plane instead: `depth.exr` becomes {"Z": ..., "face.Z": ...} when
  the sample has a groom or clothing (face.Z: the head alone).
- Hugging Face datasets: `load_dataset("webdataset", data_files=...)` gives `.exr` columns as bytes;
  `ds.map(hf_decode_exr).with_format("numpy")` adds `depth`, `depth_face` (the head alone, equal to
  `depth` without a groom: `Sample.depth_face`), `normals` (arrays) and `posmap` (HxWx7, channels in
  `POSMAP_CHANNELS` order).

Only numpy and OpenEXR: no torch, no Blender.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.io import codecs
from facesynth.io.layout import EXR_CHANNELS, kind_of_file

POSMAP_CHANNELS = ("prn.x", "prn.y", "prn.z", "cam.x", "cam.y", "cam.z", "coverage")


def exr_arrays(kind: str, data: bytes) -> np.ndarray | dict[str, np.ndarray]:
    """One EXR output as arrays: depth HxW, normals HxWx3 (X, Y, Z), other kinds channel -> HxW."""
    channels = codecs.decode_exr(data)
    names = EXR_CHANNELS.get(kind)
    if names is None:
        return channels
    planes = [channels[n] for n in names]
    return planes[0] if len(planes) == 1 else np.stack(planes, axis=-1)


def exr_handler(key: str, data: bytes) -> Any:
    """A webdataset decoder handler for facesynth's EXR members; None (pass) for anything else."""
    key = key.lower().lstrip(".")  # webdataset passes ".depth.exr"
    if not key.endswith(".exr"):
        return None
    return exr_arrays(kind_of_file(f"x.{key}") or key[: -len(".exr")], data)


def exr_planes_handler(key: str, data: bytes) -> Any:
    """A webdataset decoder handler that keeps every plane of an EXR member: channel -> HxW float32."""
    key = key.lower().lstrip(".")
    return codecs.decode_exr(data) if key.endswith(".exr") else None


def hf_decode_exr(example: dict[str, Any]) -> dict[str, Any]:
    """For `datasets.Dataset.map`: decoded arrays for every `<kind>.exr` column of an example."""
    out: dict[str, Any] = {}
    for key, data in example.items():
        if not (isinstance(key, str) and key.endswith(".exr") and isinstance(data, bytes | bytearray)):
            continue
        kind = kind_of_file(f"x.{key}") or key[: -len(".exr")]
        if kind == "depth":  # one column per plane: Arrow wants the same columns in every row
            planes = codecs.decode_exr(bytes(data))
            out["depth"], out["depth_face"] = planes["Z"], planes.get("face.Z", planes["Z"])
            continue
        arrays = exr_arrays(kind, bytes(data))
        if isinstance(arrays, dict):  # a fixed channel order: Arrow wants one array per column
            arrays = np.stack([arrays[c] for c in POSMAP_CHANNELS if c in arrays], axis=-1)
        out[kind] = arrays
    return out
