"""Losses of the set-ups (torch): depth L1 + normal, PRN weighted MSE, weighted vertex L1,
cross-view and temporal consistency."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from facesynth_models.data import DEPTH_NORM


def _masked_mean(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    m = m.to(x.dtype).expand_as(x)
    return (x * m).sum() / m.sum().clamp_min(1.0)


def _fd_normals(d: torch.Tensor) -> torch.Tensor:
    """Unnormalised-to-unit normals (-dz/dx, -dz/dy, 1) of a (B,1,H,W) map by forward differences."""
    dx = d[..., :, 1:] - d[..., :, :-1]
    dy = d[..., 1:, :] - d[..., :-1, :]
    dx, dy = dx[..., :-1, :], dy[..., :, :-1]
    n = torch.cat([-dx, -dy, torch.ones_like(dx)], dim=1)
    return n / n.norm(dim=1, keepdim=True)


def depth_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
               normal_weight: float = 1.0) -> torch.Tensor:
    """L1 on the face mask plus `normal_weight` x mean (1 - cos) between finite-difference normals
    (on pixels whose right and lower neighbours are in the mask too). Depths in D' units; the
    normal term scales D' back to pixels-equivalent by x100 so slopes are not all ~0."""
    l1 = _masked_mean((pred - target).abs(), mask)
    if normal_weight == 0:
        return l1
    m = mask[..., :-1, :-1] & mask[..., 1:, :-1] & mask[..., :-1, 1:]
    cos = (_fd_normals(pred * 100.0) * _fd_normals(target * 100.0)).sum(dim=1, keepdim=True)
    return l1 + normal_weight * _masked_mean(1.0 - cos, m)


def posmap_loss(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """PRN's loss: squared error per texel (summed over x, y, z) weighted by the (S,S) weight mask,
    averaged over texels."""
    return ((pred - target) ** 2).sum(dim=1).mul(weights).mean()


def vertex_loss(pred: torch.Tensor, target: torch.Tensor, nose: torch.Tensor, radius: float,
                near_weight: float = 5.0) -> torch.Tensor:
    """Per-vertex L1 (summed over x, y, z), weight `near_weight` within `radius` of the nose tip,
    1 elsewhere; weighted mean over vertices. All in the regression frame's units."""
    w = torch.where((target - nose[:, None, :]).norm(dim=-1) <= radius, near_weight, 1.0)
    return ((pred - target).abs().sum(dim=-1) * w).sum() / w.sum()


def backproject(depth_mm: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(B,1,H,W) planar depth -> (B,H,W,3) camera-frame points (mm), pixel centres at integers."""
    _b, _, h, w = depth_mm.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=depth_mm.dtype), torch.arange(w, dtype=depth_mm.dtype),
                            indexing="ij")
    z = depth_mm[:, 0]
    x = (xs[None] - K[:, 0, 2, None, None]) / K[:, 0, 0, None, None] * z
    y = (ys[None] - K[:, 1, 2, None, None]) / K[:, 1, 1, None, None] * z
    return torch.stack([x, y, z], dim=-1)


def cross_view_error(d_a: torch.Tensor, mask_a: torch.Tensor, d_b: torch.Tensor, mask_b: torch.Tensor,
                     K_a: torch.Tensor, K_b: torch.Tensor, a_to_b: torch.Tensor,
                     gt_a: torch.Tensor | None = None, gt_b: torch.Tensor | None = None,
                     occlusion_mm: float = 5.0) -> torch.Tensor:
    """Mean |z of view A's points moved into camera B - B's depth sampled where they project| (mm).

    Depths in mm (B,1,H,W). Pixels count when in A's mask, projecting into B's mask; with ground
    truth given, only where the ground truth itself agrees within `occlusion_mm` (not occluded in B).
    """
    pts = backproject(d_a, K_a)  # (B,H,W,3)
    R, t = a_to_b[:, :3, :3], a_to_b[:, :3, 3]
    q = torch.einsum("bij,bhwj->bhwi", R, pts) + t[:, None, None, :]
    z = q[..., 2].clamp_min(1e-3)
    u = K_b[:, 0, 0, None, None] * q[..., 0] / z + K_b[:, 0, 2, None, None]
    v = K_b[:, 1, 1, None, None] * q[..., 1] / z + K_b[:, 1, 2, None, None]
    h, w = d_b.shape[-2:]
    grid = torch.stack([(2 * u + 1) / w - 1, (2 * v + 1) / h - 1], dim=-1)
    sampled = F.grid_sample(d_b, grid, mode="bilinear", align_corners=False)[:, 0]
    # Only where all four bilinear neighbours are in B's mask: no blend with background or border.
    inside = F.grid_sample(mask_b.float(), grid, mode="bilinear", align_corners=False)[:, 0] > 0.999
    valid = mask_a[:, 0] & inside
    if gt_a is not None and gt_b is not None:
        gq = torch.einsum("bij,bhwj->bhwi", R, backproject(gt_a, K_a)) + t[:, None, None, :]
        g_sampled = F.grid_sample(gt_b, grid, mode="bilinear", align_corners=False)[:, 0]
        valid = valid & ((gq[..., 2] - g_sampled).abs() < occlusion_mm)
    return _masked_mean((z - sampled).abs(), valid)


def to_mm(d_norm: torch.Tensor, distance_mm: torch.Tensor) -> torch.Tensor:
    return DEPTH_NORM.denormalise(d_norm, distance_mm[:, None, None, None])


def temporal_error(pred_a: torch.Tensor, pred_b: torch.Tensor, gt_a: torch.Tensor, gt_b: torch.Tensor,
                   mask: torch.Tensor) -> torch.Tensor:
    """Mean |(pred_b - pred_a) - (gt_b - gt_a)| over pixels in both frames' masks: the part of the
    frame-to-frame depth change that the ground truth does not have (flicker), in the inputs' unit."""
    return _masked_mean(((pred_b - pred_a) - (gt_b - gt_a)).abs(), mask)
