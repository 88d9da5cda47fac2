"""The position-map papers' augmentations, applied to an image and its targets together.

In-plane rotation (±45° about the image centre) moves image, depth, masks and position-map x/y
alike; colour-channel scaling (0.6-1.4) and random box dropout touch the input image only.
Planar depth and position-map z are unchanged by a rotation about the optical axis through the
principal point, which is the image centre here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F


@dataclass(frozen=True)
class Augment:
    rotation_deg: float = 45.0
    color_scale: tuple[float, float] = (0.6, 1.4)
    dropout_p: float = 0.5
    dropout_max_frac: float = 0.4


def rotation_theta(angle_deg: float, height: int, width: int) -> torch.Tensor:
    """affine_grid's (1,2,3) matrix that rotates image content by `angle_deg` about the centre
    (pixel frame, y down: positive turns +x toward +y). Output pixel q samples input R^-1 q."""
    a = math.radians(angle_deg)
    inv = torch.tensor([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]], dtype=torch.float64)
    to_px = torch.diag(torch.tensor([width / 2.0, height / 2.0], dtype=torch.float64))
    to_n = torch.diag(torch.tensor([2.0 / width, 2.0 / height], dtype=torch.float64))
    theta = torch.zeros(1, 2, 3, dtype=torch.float64)
    theta[0, :, :2] = to_n @ inv @ to_px
    return theta.float()


def rotate(t: torch.Tensor, angle_deg: float, mode: str) -> torch.Tensor:
    """Rotate a (C,H,W) tensor about its centre; outside the image becomes 0."""
    c, h, w = t.shape
    grid = F.affine_grid(rotation_theta(angle_deg, h, w), [1, c, h, w], align_corners=False)
    return F.grid_sample(t[None], grid, mode=mode, padding_mode="zeros", align_corners=False)[0]


def rotate_points(xy: torch.Tensor, angle_deg: float, height: int, width: int) -> torch.Tensor:
    """Pixel coordinates (...,2) (centre of the top-left pixel = 0) under the same rotation."""
    a = math.radians(angle_deg)
    c = torch.tensor([(width - 1) / 2.0, (height - 1) / 2.0], dtype=xy.dtype)
    R = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=xy.dtype)
    return (xy - c) @ R.T + c


def color_and_dropout(image: torch.Tensor, aug: Augment, rng: np.random.Generator) -> torch.Tensor:
    """Scale each channel by U(color_scale), then with probability dropout_p fill one random box
    (up to dropout_max_frac of each side) with uniform noise."""
    scale = torch.as_tensor(rng.uniform(*aug.color_scale, size=image.shape[0]), dtype=image.dtype)
    out = (image * scale[:, None, None]).clamp(0.0, 1.0)
    if rng.random() < aug.dropout_p:
        _, h, w = out.shape
        bh = max(1, int(rng.uniform(0.1, aug.dropout_max_frac) * h))
        bw = max(1, int(rng.uniform(0.1, aug.dropout_max_frac) * w))
        y, x = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
        noise = rng.random((out.shape[0], bh, bw))
        out[:, y:y + bh, x:x + bw] = torch.as_tensor(noise, dtype=out.dtype)
    return out
