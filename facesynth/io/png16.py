"""16-bit PNG (gray / RGB / RGBA) encoding and decoding.

Pillow handles 16-bit grayscale only and reads 16-bit colour PNGs as 8-bit, so the 16-bit RGB
option of the store needs its own small codec. The format is the PNG specification's: IHDR with
bit depth 16, one zlib stream of filtered scanlines, big-endian samples. Decoding is vectorised
for every filter type, so files from any writer decode fast (`bench/png16_decode.py`).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type (gray, RGB, RGBA)
_CHANNELS = {v: k for k, v in _COLOUR_TYPE.items()}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode(array: np.ndarray, level: int = 6) -> bytes:
    """uint16 HxW / HxWx3 / HxWx4 to PNG bytes (filter 'Up', which suits smooth images)."""
    a = array if array.ndim == 3 else array[:, :, None]
    height, width, channels = a.shape
    rows = np.ascontiguousarray(a, dtype=">u2").view(np.uint8).reshape(height, width * channels * 2)
    up = rows.copy()
    up[1:] = rows[1:] - rows[:-1]  # uint8 arithmetic wraps mod 256, as the filter wants
    body = np.empty((height, rows.shape[1] + 1), np.uint8)
    body[:, 0] = 2
    body[0, 0] = 0  # first row: no previous row, filter 'None'
    body[:, 1:] = up
    header = struct.pack(">IIBBBBB", width, height, 16, _COLOUR_TYPE[channels], 0, 0, 0)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(body.tobytes(), level))
        + (_chunk(b"IEND", b""))
    )


def is_16bit(data: bytes) -> bool:
    return data[:8] == SIGNATURE and data[12:16] == b"IHDR" and data[24] == 16


def decode(data: bytes) -> np.ndarray:
    """Decode a non-interlaced 16-bit gray/RGB/RGBA PNG to uint16 HxW or HxWxC."""
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated PNG chunk")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 16 or colour not in _CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: bit depth {depth}, colour type {colour}, interlace {interlace}")
    channels = _CHANNELS[colour]
    if channels == 1:  # Pillow decodes 16-bit grayscale (mode I;16) itself, in C
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return np.asarray(image, dtype=np.uint16)
    stride, bpp = width * channels * 2, channels * 2
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    if raw.size != height * (stride + 1):
        raise ValueError("PNG pixel data has the wrong size")
    raw = raw.reshape(height, stride + 1)
    kinds = raw[:, 0]
    if kinds.size and kinds.max() > 4:
        raise ValueError(f"unknown PNG filter type {int(kinds.max())}")
    lines = raw[:, 1:]
    # Files of our own encoder (None/Sub/Up) unfilter row by row; Average and Paeth, which other
    # writers (libpng, Pillow) choose adaptively, go along anti-diagonals (see `_unfilter_wavefront`).
    out = _unfilter_rows(kinds, lines, bpp) if kinds.max(initial=0) <= 2 else _unfilter_wavefront(kinds, lines, bpp)
    pixels = out.view(">u2").astype(np.uint16).reshape(height, width, channels)
    return pixels[:, :, 0] if channels == 1 else pixels


def _unfilter_rows(kinds: np.ndarray, lines: np.ndarray, bpp: int) -> np.ndarray:
    """None (0), Sub (1) and Up (2) rows: each row is one vectorised step."""
    out = np.empty_like(lines)
    prev = np.zeros(lines.shape[1], np.uint8)
    for y, kind in enumerate(kinds.tolist()):
        line = lines[y]
        if kind == 1:  # Sub: a running sum per byte lane, mod 256
            line = (line.reshape(-1, bpp).cumsum(axis=0, dtype=np.uint32) % 256).astype(np.uint8).reshape(-1)
        elif kind == 2:
            line = line + prev  # uint8 arithmetic wraps mod 256, as the filter wants
        out[y] = line
        prev = out[y]
    return out


def _unfilter_wavefront(kinds: np.ndarray, lines: np.ndarray, bpp: int) -> np.ndarray:
    """Any filter mix, vectorised along anti-diagonals of pixels.

    Pixel (y, x) depends on its left (y, x-1), upper (y-1, x) and upper-left (y-1, x-1) pixels only,
    so all pixels with the same y + x are independent: the image is sheared so that each such
    diagonal is one row of `skew` (index y + x, then y), and the H + W - 1 diagonals are decoded in
    turn, each as a few numpy operations over at most H pixels.
    """
    height = lines.shape[0]
    width = lines.shape[1] // bpp
    diagonals = height + width - 1
    yy, xx = np.mgrid[0:height, 0:width]
    skew = np.zeros((diagonals, height, bpp), np.int16)
    skew[yy + xx, yy] = lines.reshape(height, width, bpp)
    # done[d + 2, y + 1] is the decoded pixel of diagonal d, row y; zero rows/diagonals pad the edges.
    done = np.zeros((diagonals + 2, height + 1, bpp), np.int16)
    kind = kinds.astype(np.int8)[:, None]
    zero = np.zeros((height, bpp), np.int16)
    for d in range(diagonals):
        y0, y1 = max(0, d - width + 1), min(height, d + 1)  # the rows this diagonal crosses
        left, up, upleft = done[d + 1, y0 + 1 : y1 + 1], done[d + 1, y0:y1], done[d, y0:y1]
        pa, pb, pc = np.abs(up - upleft), np.abs(left - upleft), np.abs(left + up - 2 * upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
        pred = np.choose(kind[y0:y1], (zero[y0:y1], left, up, (left + up) >> 1, paeth))
        done[d + 2, y0 + 1 : y1 + 1] = (skew[d, y0:y1] + pred) & 0xFF
    return done[yy + xx + 2, yy + 1].astype(np.uint8).reshape(height, width * bpp)
