"""16-bit PNG decoding: the vectorised `facesynth.io.png16.decode` vs the per-byte loop it replaced.

Files written by other tools (libpng, Pillow) choose Average and Paeth filters per row; the old
decoder unfiltered those rows one byte at a time in Python. This bench writes a 640x480 RGB16
image three ways (our own Up-filtered encoder, every row Paeth, every row Average) plus a 16-bit
grayscale file from Pillow (its adaptive filters), decodes each with both decoders, checks that
they agree and prints seconds and the ratio.

    .venv/bin/python bench/png16_decode.py [--width 640 --height 480] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import struct
import time
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

from facesynth.io import png16


def _old_decode(data: bytes) -> np.ndarray:
    """The decoder before the vectorised one: same parsing, rows unfiltered byte by byte."""
    width, height, _, colour = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 6: 4}[colour]
    stride, bpp = width * channels * 2, channels * 2
    raw = np.frombuffer(zlib.decompress(_idat(data)), np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = int(raw[y, 0]), raw[y, 1:]
        if kind in (0, 2):  # the rows the old decoder did vectorise
            out[y] = prev = line + prev if kind == 2 else line
            continue
        if kind == 1:
            out[y] = prev = (line.reshape(-1, bpp).astype(np.uint32).cumsum(axis=0) % 256).astype(np.uint8).reshape(-1)
            continue
        cur = np.zeros_like(line)
        for i in range(line.size):
            left = int(cur[i - bpp]) if i >= bpp else 0
            up = int(prev[i])
            upleft = int(prev[i - bpp]) if i >= bpp else 0
            if kind == 3:
                pred = (left + up) // 2
            else:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
            cur[i] = (int(line[i]) + pred) & 0xFF
        out[y], prev = cur, cur
    pixels = out.view(">u2").astype(np.uint16).reshape(height, width, channels)
    return pixels[:, :, 0] if channels == 1 else pixels


def _idat(data: bytes) -> bytes:
    pos, parts = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            parts.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(parts)


def _refilter(data: bytes, kind: int) -> bytes:
    """Re-encode a PNG with every row filtered by `kind` (3 Average, 4 Paeth), as another writer may."""
    image = png16.decode(data)
    a = image if image.ndim == 3 else image[:, :, None]
    height, _, channels = a.shape
    bpp = channels * 2
    rows = np.ascontiguousarray(a, dtype=">u2").view(np.uint8).reshape(height, -1).astype(np.int16)
    left = np.zeros_like(rows)
    left[:, bpp:] = rows[:, :-bpp]
    up = np.zeros_like(rows)
    up[1:] = rows[:-1]
    upleft = np.zeros_like(rows)
    upleft[1:, bpp:] = rows[:-1, :-bpp]
    if kind == 3:
        pred = (left + up) >> 1
    else:
        pa, pb, pc = np.abs(up - upleft), np.abs(left - upleft), np.abs(left + up - 2 * upleft)
        pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    body = np.column_stack([np.full(height, kind, np.uint8), ((rows - pred) & 0xFF).astype(np.uint8)])
    idat = zlib.compress(body.tobytes(), 6)
    head = data[: data.index(b"IDAT") - 4]
    chunk = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    return head + chunk + data[-12:]


def _time(fn: Callable[[bytes], np.ndarray], data: bytes, repeat: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(data)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0 : args.height, 0 : args.width]
    smooth = np.stack([np.sin(x / 40 + c) * np.cos(y / 55 - c) for c in range(3)], axis=-1)
    rgb = np.clip((smooth * 0.4 + 0.5) * 65535 + rng.normal(0, 300, smooth.shape), 0, 65535).astype(np.uint16)
    ours = png16.encode(rgb)
    gray = io.BytesIO()
    Image.fromarray(rgb[:, :, 1]).save(gray, format="PNG")
    files = {"facesynth (Up)": ours, "Paeth rows": _refilter(ours, 4), "Average rows": _refilter(ours, 3),
             "Pillow gray16 (adaptive)": gray.getvalue()}
    print(f"{args.width}x{args.height}, best of {args.repeat}; old = the per-byte loop")
    for name, data in files.items():
        new_s, new = _time(png16.decode, data, args.repeat)
        old_s, old = _time(_old_decode, data, 1)
        assert np.array_equal(new, old), name
        print(f"{name:26s} new {new_s * 1e3:8.1f} ms   old {old_s * 1e3:8.1f} ms   old/new {old_s / new_s:7.1f}x")


if __name__ == "__main__":
    main()
