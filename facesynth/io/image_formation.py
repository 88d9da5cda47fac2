"""Camera effects on the RGB only: exposure and white balance, defocus, motion blur, chromatic
aberration, vignette, sensor noise, JPEG re-compression. Labels never pass through here.

Works on the encoded 8/16-bit sRGB render: decode to linear light, apply the optics and sensor in
linear light, re-encode, then (optionally) a JPEG round trip. Pure numpy + Pillow, deterministic
for a given ImageFormationSpec (its noise seed).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from facesynth.color import linear_to_srgb, srgb_to_linear
from facesynth.sampling.spec_look import ImageFormationSpec

SHOT_NOISE_GAIN = 4.0
"""Shot-noise variance per unit of linear signal, relative to the read-noise variance."""


def _convolve(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """2D convolution of each channel via FFT with edge padding (no dark borders)."""
    kh, kw = kernel.shape
    ph, pw = kh // 2 + 1, kw // 2 + 1
    padded = np.pad(img, ((ph, ph), (pw, pw), (0, 0)), mode="edge")
    h, w = padded.shape[:2]
    k = np.zeros((h, w))
    k[:kh, :kw] = kernel
    k = np.roll(k, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    kf = np.fft.rfft2(k)
    out = np.fft.irfft2(np.fft.rfft2(padded, axes=(0, 1)) * kf[..., None], s=(h, w), axes=(0, 1))
    return out[ph:ph + img.shape[0], pw:pw + img.shape[1]]


def disc_kernel(radius_px: float) -> np.ndarray:
    """A defocus disc (anti-aliased edge), normalised to sum 1."""
    r = max(radius_px, 0.5)
    n = int(np.ceil(r)) + 1
    y, x = np.mgrid[-n:n + 1, -n:n + 1]
    k = np.clip(r + 0.5 - np.hypot(x, y), 0.0, 1.0)
    return k / k.sum()


def motion_kernel(length_px: float, angle_deg: float) -> np.ndarray:
    """A straight streak of `length_px`, normalised to sum 1 (sampled densely, bilinear splat)."""
    n = int(np.ceil(length_px / 2)) + 1
    k = np.zeros((2 * n + 1, 2 * n + 1))
    t = np.linspace(-length_px / 2, length_px / 2, max(int(length_px * 4), 2))
    a = np.radians(angle_deg)
    xs, ys = n + t * np.cos(a), n + t * np.sin(a)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, wgt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (np.clip(y0 + dy, 0, 2 * n), np.clip(x0 + dx, 0, 2 * n)), wgt)
    return k / k.sum()


def _radial_shift(channel: np.ndarray, shift_px: float) -> np.ndarray:
    """Scale one channel about the image centre so its corners move by `shift_px` (bilinear)."""
    h, w = channel.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    scale = 1.0 + shift_px / np.hypot(cx, cy)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    sy, sx = cy + (y - cy) / scale, cx + (x - cx) / scale
    y0, x0 = np.clip(np.floor(sy).astype(int), 0, h - 2), np.clip(np.floor(sx).astype(int), 0, w - 2)
    fy, fx = np.clip(sy - y0, 0, 1), np.clip(sx - x0, 0, 1)
    c = channel
    return ((c[y0, x0] * (1 - fx) + c[y0, x0 + 1] * fx) * (1 - fy)
            + (c[y0 + 1, x0] * (1 - fx) + c[y0 + 1, x0 + 1] * fx) * fy)


def apply_image_formation(rgb: np.ndarray, p: ImageFormationSpec) -> np.ndarray:
    """The degraded image, same shape and dtype as `rgb` (uint8/uint16 sRGB, 3 or 4 channels;
    an alpha channel passes through untouched)."""
    dtype = rgb.dtype
    top = float(np.iinfo(dtype).max)
    alpha = rgb[..., 3:] if rgb.shape[-1] == 4 else None
    lin = srgb_to_linear(rgb[..., :3].astype(np.float64) / top)
    lin = lin * (2.0 ** p.exposure_ev) * np.asarray(p.white_balance)[None, None, :]
    if p.defocus_px > 0:
        lin = _convolve(lin, disc_kernel(p.defocus_px))
    if p.motion_px > 0:
        lin = _convolve(lin, motion_kernel(p.motion_px, p.motion_angle_deg))
    if p.chromatic_aberration_px > 0:
        lin[..., 0] = _radial_shift(lin[..., 0], p.chromatic_aberration_px)
        lin[..., 2] = _radial_shift(lin[..., 2], -p.chromatic_aberration_px)
    if p.vignette > 0:
        h, w = lin.shape[:2]
        y, x = np.mgrid[0:h, 0:w]
        r2 = ((x - (w - 1) / 2) ** 2 + (y - (h - 1) / 2) ** 2) / (((w - 1) / 2) ** 2 + ((h - 1) / 2) ** 2)
        lin = lin * (1.0 - p.vignette * r2 ** 2)[..., None]  # cos^4-like: flat centre, dark corners
    if p.noise > 0:
        rng = np.random.Generator(np.random.PCG64(p.noise_seed))
        sigma = p.noise * np.sqrt(1.0 + SHOT_NOISE_GAIN * np.clip(lin, 0, None))  # read + shot noise
        lin = lin + rng.standard_normal(lin.shape) * sigma
    out = np.round(linear_to_srgb(lin) * top).astype(dtype)
    if p.jpeg_quality > 0:
        eight = out if dtype == np.uint8 else np.round(out / 257.0).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(eight).save(buf, format="JPEG", quality=int(p.jpeg_quality))
        back = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        out = back if dtype == np.uint8 else back.astype(np.uint16) * 257
    return np.concatenate([out, alpha], axis=-1) if alpha is not None else out
