"""16-bit PNGs from other writers (libpng, Pillow) decode exactly, with vectorised unfiltering."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from facesynth.io import codecs, png16

DATA = Path(__file__).parent / "data"


def _pattern(h: int, w: int, c: int) -> np.ndarray:
    """The pixels of the files in tests/data (see tests/data/README.md)."""
    y, x, k = np.mgrid[0:h, 0:w, 0:c]
    return ((x * 4099 + y * 6151 + k * 30011 + x * y * 37) % 65536).astype(np.uint16)


def _filter_types(data: bytes) -> set[int]:
    height = struct.unpack(">I", data[20:24])[0]
    idat, pos = b"", 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        idat += data[pos + 8 : pos + 8 + n] if data[pos + 4 : pos + 8] == b"IDAT" else b""
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, -1)
    return set(raw[:, 0].tolist())


def test_libpng_files_with_paeth_and_average_rows() -> None:
    for name, shape, kind in [("png16_rgb_paeth_libpng.png", (23, 37, 3), 4),
                              ("png16_rgba_average_libpng.png", (11, 19, 4), 3)]:  # fmt: skip
        data = (DATA / name).read_bytes()
        assert _filter_types(data) == {kind}, name
        assert np.array_equal(codecs.decode_png(data), _pattern(*shape)), name


def test_pillow_16bit_gray_with_adaptive_filters() -> None:
    y, x = np.mgrid[0:64, 0:96]
    noise = np.random.default_rng(0).integers(0, 500, x.shape)
    gray = (np.sin(x / 9.0) * 20000 + y * 300 + 30000 + noise).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, format="PNG", optimize=True)
    assert {3, 4} <= _filter_types(buf.getvalue())  # Pillow chose Average and Paeth rows
    assert np.array_equal(codecs.decode_png(buf.getvalue()), gray)


def _refilter(a: np.ndarray, kinds: list[int]) -> bytes:
    """Encode `a` (uint16 HxWxC) with the given filter type per row (the encoder side is vectorised)."""
    h, _, c = a.shape
    bpp = 2 * c
    rows = np.ascontiguousarray(a, dtype=">u2").view(np.uint8).reshape(h, -1).astype(np.int16)
    left, up, upleft = np.zeros_like(rows), np.zeros_like(rows), np.zeros_like(rows)
    left[:, bpp:], up[1:], upleft[1:, bpp:] = rows[:, :-bpp], rows[:-1], rows[:-1, :-bpp]
    pa, pb, pc = np.abs(up - upleft), np.abs(left - upleft), np.abs(left + up - 2 * upleft)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    preds = np.stack([np.zeros_like(rows), left, up, (left + up) >> 1, paeth])
    body = (rows - preds[kinds, np.arange(h)]) & 0xFF
    idat = zlib.compress(np.column_stack([np.array(kinds, np.uint8), body.astype(np.uint8)]).tobytes())
    original = png16.encode(a)
    chunk = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    return original[:33] + chunk + original[-12:]


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    channels=st.sampled_from([3, 4]),
    data=st.data(),
)
def test_any_mix_of_filter_types(h: int, w: int, channels: int, data: st.DataObject) -> None:
    a = np.random.default_rng(h * 100 + w).integers(0, 65536, (h, w, channels), dtype=np.uint16)
    kinds = data.draw(st.lists(st.integers(0, 4), min_size=h, max_size=h))
    assert np.array_equal(png16.decode(_refilter(a, kinds)), a)


def test_decoding_work_grows_with_height_plus_width_not_with_pixels() -> None:
    # The old decoder ran a Python loop over every byte of an Average/Paeth row. Count the Python
    # lines executed inside png16 (deterministic, unlike a timing): the vectorised decoder needs a
    # few per anti-diagonal, i.e. O(H + W), for a 48x64 RGB file of 18,432 bytes.
    h, w = 48, 64
    data = _refilter(_pattern(h, w, 3), [4] * h)
    lines = 0

    def tracer(frame, event, _arg):
        nonlocal lines
        if frame.f_code.co_filename == png16.__file__:
            lines += event == "line"
            return tracer
        return None

    sys.settrace(tracer)
    try:
        out = png16.decode(data)
    finally:
        sys.settrace(None)
    assert np.array_equal(out, _pattern(h, w, 3))
    assert 0 < lines < 20 * (h + w), lines
