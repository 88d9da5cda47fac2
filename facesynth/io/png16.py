"""16-bit PNG (gray / RGB / RGBA) encoding and decoding.

Pillow writes 16-bit grayscale only and reads 16-bit colour PNGs as 8-bit, so the 16-bit RGB
option of the store needs its own small codec. The format is the PNG specification's: IHDR with
bit depth 16, one zlib stream of filtered scanlines, big-endian samples.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

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
    stride, bpp = width * channels * 2, channels * 2
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    if raw.size != height * (stride + 1):
        raise ValueError("PNG pixel data has the wrong size")
    raw = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        out[y] = _unfilter(int(raw[y, 0]), raw[y, 1:], prev, bpp)
        prev = out[y]
    pixels = out.view(">u2").astype(np.uint16).reshape(height, width, channels)
    return pixels[:, :, 0] if channels == 1 else pixels


def _unfilter(kind: int, line: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 2:
        return line + prev
    if kind == 1:  # Sub: running sum per byte lane, mod 256
        lanes = line.reshape(-1, bpp).astype(np.uint32).cumsum(axis=0)
        return (lanes % 256).astype(np.uint8).reshape(-1)
    cur = np.zeros_like(line)
    for i in range(line.size):  # Average / Paeth are sequential by definition
        left = int(cur[i - bpp]) if i >= bpp else 0
        up = int(prev[i])
        if kind == 3:
            pred = (left + up) // 2
        elif kind == 4:
            upleft = int(prev[i - bpp]) if i >= bpp else 0
            p = left + up - upleft
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
            pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
        else:
            raise ValueError(f"unknown PNG filter type {kind}")
        cur[i] = (int(line[i]) + pred) & 0xFF
    return cur
