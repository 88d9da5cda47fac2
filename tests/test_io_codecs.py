"""Codecs: real PNG (PIL) and EXR (OpenEXR) files round-trip exactly and deterministically."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import OpenEXR
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from facesynth.errors import UserError
from facesynth.io import codecs, png16

RNG = np.random.default_rng(3)


@pytest.mark.parametrize(
    "array",
    [
        RNG.integers(0, 256, (9, 11), dtype=np.uint8),
        RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8),
        RNG.integers(0, 256, (9, 11, 4), dtype=np.uint8),
        RNG.integers(0, 65536, (9, 11), dtype=np.uint16),
        RNG.integers(0, 65536, (9, 11, 3), dtype=np.uint16),
        RNG.integers(0, 65536, (9, 11, 4), dtype=np.uint16),
    ],
    ids=["L8", "RGB8", "RGBA8", "L16", "RGB16", "RGBA16"],
)
def test_png_round_trip_is_exact(array: np.ndarray) -> None:
    data = codecs.encode_png(array)
    back = codecs.decode_png(data)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)
    assert codecs.encode_png(array) == data  # deterministic bytes


def test_16bit_png_is_standard_png() -> None:
    # An independent decoder (PIL reads 16-bit grayscale exactly) must agree with our encoder...
    gray = RNG.integers(0, 65536, (7, 5), dtype=np.uint16)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png16.encode(gray)))), gray)
    # ...and our decoder must read PIL's 16-bit files.
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, format="PNG")
    assert np.array_equal(codecs.decode_png(buf.getvalue()), gray)
    # A 16-bit RGB file is reported as 16-bit RGB by PIL's header parser.
    rgb = RNG.integers(0, 65536, (4, 6, 3), dtype=np.uint16)
    with Image.open(io.BytesIO(codecs.encode_png(rgb))) as im:
        assert im.size == (6, 4) and im.mode == "RGB" and im.tile[0][3] == "RGB;16B"


def test_png16_decoder_handles_every_filter_type() -> None:
    # Re-filter our own scanlines with Sub / Average / Paeth and check the decoder undoes them.
    import struct
    import zlib

    a = RNG.integers(0, 65536, (3, 4, 3), dtype=np.uint16)
    rows = np.ascontiguousarray(a, dtype=">u2").view(np.uint8).reshape(3, -1).astype(int)
    bpp, out, prev = 6, [], np.zeros(rows.shape[1], int)
    for y, (kind, row) in enumerate(zip((1, 3, 4), rows, strict=True)):
        left = np.concatenate([np.zeros(bpp, int), row[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, int), prev[:-bpp]])
        if kind == 1:
            pred = left
        elif kind == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        out.append(bytes([kind]) + bytes(((row - pred) % 256).astype(np.uint8)))
        prev = rows[y]
    original = png16.encode(a)
    ihdr = original[8 : 8 + 25]
    idat = zlib.compress(b"".join(out))
    chunk = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    data = original[:8] + ihdr + chunk + original[-12:]
    assert np.array_equal(png16.decode(data), a)


def test_exr_channels_names_float32_and_zip(tmp_path) -> None:
    depth = RNG.random((6, 8), dtype=np.float32) * 900
    channels = {"prn.x": depth, "prn.y": depth * 2, "coverage": (depth > 400).astype(np.float32)}
    data = codecs.encode_exr(channels)
    path = tmp_path / "p.exr"
    path.write_bytes(data)
    with OpenEXR.File(str(path), separate_channels=True) as exr:  # the real reader, from disk
        assert exr.header()["compression"] == OpenEXR.ZIP_COMPRESSION
        got = {k: v.pixels for k, v in exr.channels().items()}
    assert sorted(got) == ["coverage", "prn.x", "prn.y"]
    for name, plane in channels.items():
        assert got[name].dtype == np.float32 and np.array_equal(got[name], plane)
    assert isinstance(channels["prn.x"], np.ndarray)  # the caller's dict is left alone
    assert codecs.encode_exr(channels) == data


def test_exr_rejects_mismatched_shapes() -> None:
    with pytest.raises(UserError, match="one shape"):
        codecs.encode_exr({"a": np.zeros((2, 2), np.float32), "b": np.zeros((3, 2), np.float32)})


def test_json_is_sorted_compact_and_numpy_aware() -> None:
    obj = {"b": np.float32(1.5), "a": np.arange(3), "c": {"z": 1, "y": np.bool_(True)}}
    data = codecs.encode_json(obj)
    assert data == b'{"a":[0,1,2],"b":1.5,"c":{"y":true,"z":1}}\n'
    assert json.loads(data) == codecs.decode_json(data)
    with pytest.raises(ValueError):
        codecs.encode_json({"x": float("nan")})  # NaN is not JSON


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 17),
    w=st.integers(1, 17),
    channels=st.sampled_from([0, 3, 4]),
    dtype=st.sampled_from([np.uint8, np.uint16]),
    seed=st.integers(0, 2**32 - 1),
)
def test_png_round_trip_any_shape(h: int, w: int, channels: int, dtype: type, seed: int) -> None:
    shape = (h, w) if channels == 0 else (h, w, channels)
    a = np.random.default_rng(seed).integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)
    assert np.array_equal(codecs.decode_png(codecs.encode_png(a)), a)


@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    names=st.lists(st.sampled_from(["Z", "X", "prn.x", "cam.z", "coverage"]), min_size=1, unique=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_exr_round_trip_any_channels(h: int, w: int, names: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    channels = {n: (rng.standard_normal((h, w)) * 1e3).astype(np.float32) for n in names}
    back = codecs.decode_exr(codecs.encode_exr(channels))
    assert sorted(back) == sorted(names)
    assert all(np.array_equal(back[n], channels[n]) for n in names)


def test_import_stays_light() -> None:
    # The store must import without Blender, torch or matplotlib (plots load on demand).
    code = "import sys, facesynth.io; print(sorted({'bpy', 'torch', 'matplotlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
