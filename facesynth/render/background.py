"""Backgrounds composited in numpy behind a transparent-film render (one small job).

Everything here is linear RGB float; `encode` turns the result into 8/16-bit sRGB at the end.
Images are scaled to COVER the frame and centre-cropped, never stretched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from facesynth.color import linear_to_srgb, srgb_to_linear
from facesynth.errors import UserError
from facesynth.sampling.spec import BackgroundSpec


def cover_crop(img: Image.Image, width: int, height: int) -> Image.Image:
    """Scale uniformly so the image covers width x height, then crop the centre."""
    scale = max(width / img.width, height / img.height)
    w, h = max(width, round(img.width * scale)), max(height, round(img.height * scale))
    img = img.resize((w, h), Image.Resampling.LANCZOS)
    left, top = (w - width) // 2, (h - height) // 2
    return img.crop((left, top, left + width, top + height))


def image_background(path: str, width: int, height: int, sample_id: str) -> np.ndarray:
    p = Path(path).expanduser()
    try:
        with Image.open(p) as im:
            rgb = cover_crop(im.convert("RGB"), width, height)
    except FileNotFoundError:
        raise UserError(f"sample {sample_id}: background.source: file not found: {p}") from None
    except OSError as exc:
        raise UserError(f"sample {sample_id}: background.source: cannot read image {p}: {exc}") from None
    return srgb_to_linear(np.asarray(rgb, dtype=np.float32) / 255.0)


def noise_background(width: int, height: int, scale: float, seed: int) -> np.ndarray:
    """Smooth coloured value noise: `scale` cells across the width, 4 octaves, deterministic."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height, width, 3), dtype=np.float32)
    amp, total = 1.0, 0.0
    for octave in range(4):
        cells = max(1.0, scale * 2**octave)
        gw, gh = int(np.ceil(cells)) + 1, int(np.ceil(cells * height / width)) + 1
        grid = rng.random((gh, gw, 3), dtype=np.float32)
        layer = np.stack(
            [np.asarray(Image.fromarray(grid[..., c], mode="F").resize((width, height),
                                                                          Image.Resampling.BICUBIC))
             for c in range(3)], axis=-1)
        out += amp * layer
        total += amp
        amp *= 0.5
    return srgb_to_linear(np.clip(out / total, 0.0, 1.0))


def background_plate(bg: BackgroundSpec, width: int, height: int, sample_id: str) -> np.ndarray | None:
    """The (H, W, 3) linear plate for kinds composited in numpy; None for 'hdri'/'transparent'."""
    if bg.kind in ("image", "image_dir"):
        if not bg.source:
            raise UserError(f"sample {sample_id}: background.source is required for kind {bg.kind!r}")
        return image_background(bg.source, width, height, sample_id)
    if bg.kind == "solid":
        return np.broadcast_to(np.asarray(bg.color, dtype=np.float32), (height, width, 3)).copy()
    if bg.kind == "noise":
        return noise_background(width, height, bg.noise_scale, bg.noise_seed)
    return None


def composite(rgba_premul: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """Premultiplied linear RGBA over an opaque linear plate -> linear RGB ('over' operator)."""
    a = rgba_premul[..., 3:4]
    return rgba_premul[..., :3] + (1.0 - a) * plate


def unpremultiply(rgba_premul: np.ndarray) -> np.ndarray:
    """For PNG (straight alpha): colour / alpha where alpha > 0."""
    a = rgba_premul[..., 3:4]
    rgb = np.where(a > 0, rgba_premul[..., :3] / np.maximum(a, 1e-8), 0.0)
    return np.concatenate([rgb, a], axis=-1)


def encode(linear: np.ndarray, bit_depth: int) -> np.ndarray:
    """Linear RGB(A) float -> sRGB uint8/uint16; alpha stays linear."""
    out = linear_to_srgb(linear[..., :3])
    if linear.shape[-1] == 4:
        out = np.concatenate([out, np.clip(linear[..., 3:4], 0, 1)], axis=-1)
    top = 255 if bit_depth == 8 else 65535
    return np.round(out * top).astype(np.uint8 if bit_depth == 8 else np.uint16)
