"""Turn one output value (array, channel dict, bytes) into file bytes plus its description."""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.errors import UserError
from facesynth.io import codecs
from facesynth.io.layout import EXR_CHANNELS, KINDS


def _array(value: Any, kind: str, sample_id: str, dtypes: tuple[type, ...], shapes: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise UserError(f"sample {sample_id}: output {kind!r} must be a numpy array, got {type(value).__name__}")
    if value.dtype.type not in dtypes:
        names = "/".join(np.dtype(d).name for d in dtypes)
        raise UserError(f"sample {sample_id}: output {kind!r} must be {names}, got {value.dtype}")
    ok = {
        "HxW": value.ndim == 2,
        "HxWx3": value.ndim == 3 and value.shape[2] == 3,
        "HxWx3|4": value.ndim == 3 and value.shape[2] in (3, 4),
    }[shapes]
    if not ok:
        raise UserError(f"sample {sample_id}: output {kind!r} must be {shapes}, got shape {value.shape}")
    return value


def encode_output(kind: str, value: Any, sample_id: str) -> tuple[bytes, dict[str, Any]]:
    """Bytes of the file for `kind` and its description (shape, channels, dtype) for metadata."""
    if kind not in KINDS:
        raise UserError(f"sample {sample_id}: unknown output kind {kind!r} (known: {', '.join(KINDS)})")
    if kind in ("rgb", "crop"):
        a = _array(value, kind, sample_id, (np.uint8, np.uint16), "HxWx3|4")
        channels = ["R", "G", "B", "A"][: a.shape[2]]
        return codecs.encode_png(a), {"shape": list(a.shape), "channels": channels, "dtype": a.dtype.name}
    if kind == "masks":
        a = _array(value, kind, sample_id, (np.uint8,), "HxW")
        return codecs.encode_png(a), {"shape": list(a.shape), "channels": ["region"], "dtype": "uint8"}
    if kind == "depth" and isinstance(value, dict):  # Z plus extra planes (face.Z: the head alone)
        if "Z" not in value:
            raise UserError(f"sample {sample_id}: output 'depth' channels need 'Z', got {', '.join(map(str, value))}")
        planes = {str(k): _array(v, f"depth[{k}]", sample_id, (np.float32,), "HxW") for k, v in value.items()}
        if len({p.shape for p in planes.values()}) != 1:
            raise UserError(f"sample {sample_id}: depth channels differ in shape")
        return codecs.encode_exr(planes), {"shape": list(planes["Z"].shape), "channels": sorted(planes),
                                           "dtype": "float32"}
    if kind in EXR_CHANNELS:
        shape = "HxW" if kind == "depth" else "HxWx3"
        a = _array(value, kind, sample_id, (np.float32,), shape)
        planes = [a] if a.ndim == 2 else [a[:, :, i] for i in range(3)]
        channels = dict(zip(EXR_CHANNELS[kind], planes, strict=True))
        return codecs.encode_exr(channels), {
            "shape": list(a.shape),
            "channels": list(channels),
            "dtype": "float32",
        }
    if kind == "posmap":
        if not isinstance(value, dict) or not value:
            raise UserError(f"sample {sample_id}: output 'posmap' must be a dict of channel name -> HxW float32")
        planes = {str(k): _array(v, f"posmap[{k}]", sample_id, (np.float32,), "HxW") for k, v in value.items()}
        shape = next(iter(planes.values())).shape
        if any(p.shape != shape for p in planes.values()):
            raise UserError(f"sample {sample_id}: posmap channels differ in shape")
        return codecs.encode_exr(planes), {
            "shape": list(shape),
            "channels": sorted(planes),
            "dtype": "float32",
        }
    # mesh: PLY bytes made by the geometry package (trimesh export)
    if not isinstance(value, bytes | bytearray):
        raise UserError(f"sample {sample_id}: output 'mesh' must be PLY bytes, got {type(value).__name__}")
    if not bytes(value[:3]) == b"ply":
        raise UserError(f"sample {sample_id}: output 'mesh' is not a PLY file (no 'ply' magic)")
    return bytes(value), {"shape": None, "channels": None, "dtype": None}
