"""Encode and decode the file formats of a dataset: PNG, EXR, JSON, PLY.

Everything works on bytes so the same decoders read files on disk and members of a tar shard,
and so the store can hash exactly what it writes. Writing to disk goes through
`facesynth.atomic` (see `write_file`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR
from PIL import Image

from facesynth.atomic import write_bytes
from facesynth.errors import UserError
from facesynth.io import png16

_PNG_MODES = {(np.dtype(np.uint8), 1): "L", (np.dtype(np.uint8), 3): "RGB", (np.dtype(np.uint8), 4): "RGBA"}


def encode_png(array: np.ndarray) -> bytes:
    """uint8 HxW / HxWx3 / HxWx4, or uint16 HxW / HxWx3 / HxWx4, to PNG bytes."""
    a = np.ascontiguousarray(array)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise UserError(f"PNG needs an HxW, HxWx3 or HxWx4 array, got shape {a.shape}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    channels = 1 if a.ndim == 2 else a.shape[2]
    if a.dtype == np.uint8:
        image = Image.fromarray(a, mode=_PNG_MODES[(a.dtype, channels)])
        buf = io.BytesIO()
        # compress_level 6, stated: PIL's default could change. The bytes still depend on the zlib build
        # Pillow links (zlib-ng in its wheels), so determinism is promised for decoded pixels (io/compare.py).
        image.save(buf, format="PNG", compress_level=6)
        return buf.getvalue()
    if a.dtype == np.uint16:
        return png16.encode(a)
    raise UserError(f"PNG needs uint8 or uint16 pixels, got {a.dtype}")


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes to a numpy array (uint8 or uint16, HxW or HxWxC)."""
    if png16.is_16bit(data):  # PIL would read 16-bit colour as 8-bit
        return png16.decode(data)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


def encode_exr(channels: Mapping[str, np.ndarray]) -> bytes:
    """Named HxW float32 channels to a ZIP-compressed scanline EXR."""
    if not channels:
        raise UserError("an EXR needs at least one channel")
    shapes = {np.shape(v) for v in channels.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise UserError(f"EXR channels must be HxW arrays of one shape, got {sorted(shapes)}")
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    # OpenEXR.File replaces the dict's values with Channel objects: hand it a fresh dict.
    fresh = {name: np.ascontiguousarray(v, dtype=np.float32) for name, v in sorted(channels.items())}
    buf = io.BytesIO()
    OpenEXR.File(header, fresh).write(buf)
    return buf.getvalue()


def decode_exr(data: bytes) -> dict[str, np.ndarray]:
    """EXR bytes to {channel name: HxW float32}. Raises ValueError/RuntimeError when corrupt."""
    with OpenEXR.File(io.BytesIO(data), separate_channels=True) as exr:
        return {name: np.array(ch.pixels, dtype=np.float32) for name, ch in exr.channels().items()}


def encode_json(obj: Any) -> bytes:
    """Deterministic compact JSON: sorted keys, UTF-8, trailing newline; numpy values allowed."""
    text = json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )
    return (text + "\n").encode("utf-8")


def decode_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def decode_ply(data: bytes) -> Any:
    """PLY bytes to a trimesh.Trimesh (vertices and faces as written, no processing)."""
    import trimesh  # slow to import: only when a mesh is read

    if not data.startswith(b"ply"):
        raise ValueError("not a PLY file")
    mesh = trimesh.load(io.BytesIO(data), file_type="ply", process=False)
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.vertices) == 0:
        raise ValueError("PLY holds no mesh")
    return mesh


def decode_by_ext(name: str, data: bytes) -> Any:
    """Decode a dataset file by its extension: .png -> array, .exr -> channels, .ply -> mesh,
    .json -> obj."""
    if name.endswith(".png"):
        return decode_png(data)
    if name.endswith(".exr"):
        return decode_exr(data)
    if name.endswith(".ply"):
        return decode_ply(data)
    if name.endswith(".json"):
        return decode_json(data)
    return data


def write_file(path: str | Path, data: bytes) -> Path:
    """Atomically write encoded bytes (the only way this package writes a file)."""
    return write_bytes(path, data)
