"""Cross-view and temporal consistency: exact on analytic geometry; their networks' losses decrease."""

from __future__ import annotations

import numpy as np
import torch
from facesynth_models import losses
from facesynth_models.nets import DepthNet

SIZE = 32
K = np.array([[60.0, 0, (SIZE - 1) / 2], [0, 60.0, (SIZE - 1) / 2], [0, 0, 1]])
N, D = np.array([0.3, 0.1, -1.0]), -500.0  # plane n . p = d in camera A: z = 500 + 0.3 x + 0.1 y


def _plane_depth(R_ab: np.ndarray, t_ab: np.ndarray) -> np.ndarray:
    """Planar depth seen by a camera whose points map into camera A as p_A = R_ab p + t_ab."""
    v, u = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], axis=-1)
    s = (D - N @ t_ab) / (rays @ (R_ab.T @ N))
    return s.astype(np.float32)


def _views():
    a = np.radians(12.0)
    R_ab = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    t_ab = np.array([-100.0, 5.0, 20.0])
    d_a = _plane_depth(np.eye(3), np.zeros(3))
    d_b = _plane_depth(R_ab, t_ab)
    a_to_b = np.eye(4)
    a_to_b[:3, :3], a_to_b[:3, 3] = R_ab.T, -R_ab.T @ t_ab
    t = lambda x: torch.as_tensor(x, dtype=torch.float32)[None]  # noqa: E731
    return t(d_a)[None], t(d_b)[None], t(K), t(a_to_b)


def test_cross_view_error_is_zero_for_consistent_views_and_sees_a_scale_error() -> None:
    d_a, d_b, k, a_to_b = _views()
    mask = torch.ones_like(d_a, dtype=torch.bool)
    assert float(losses.cross_view_error(d_a, mask, d_b, mask, k, k, a_to_b)) < 0.05
    err = float(losses.cross_view_error(d_a, mask, d_b * 1.02, mask, k, k, a_to_b))
    assert 5.0 < err < 15.0  # 2 % of ~500 mm


def test_temporal_error_counts_only_change_the_ground_truth_lacks() -> None:
    gt_a, gt_b = torch.full((1, 1, 4, 4), 800.0), torch.full((1, 1, 4, 4), 803.0)
    mask = torch.ones(1, 1, 4, 4, dtype=torch.bool)
    assert float(losses.temporal_error(gt_a + 7, gt_b + 7, gt_a, gt_b, mask)) == 0.0  # a steady offset is no flicker
    assert float(losses.temporal_error(gt_a, gt_b + 2, gt_a, gt_b, mask)) == 2.0


def test_multiview_and_sequence_training_losses_decrease() -> None:
    torch.manual_seed(0)
    d_a, d_b, k, a_to_b = _views()
    dist = torch.tensor([500.0])
    norm = lambda d: (d - 500.0) / 200.0 + 0.5  # noqa: E731  (DEPTH_NORM with distance 500)
    mask = torch.ones_like(d_a, dtype=torch.bool)
    g = torch.Generator().manual_seed(0)
    img_a, img_b = torch.rand(1, 3, SIZE, SIZE, generator=g), torch.rand(1, 3, SIZE, SIZE, generator=g)
    for kind in ("multiview", "sequence"):
        m = DepthNet(width=8, levels=2)
        opt = torch.optim.Adam(m.parameters(), lr=3e-3)

        def loss_fn(m=m, kind=kind) -> torch.Tensor:
            pa, pb = m(img_a), m(img_b)
            base = losses.depth_loss(pa, norm(d_a), mask) + losses.depth_loss(pb, norm(d_b), mask)
            if kind == "multiview":
                mm_a, mm_b = losses.to_mm(pa, dist), losses.to_mm(pb, dist)
                return base + 0.1 * losses.cross_view_error(mm_a, mask, mm_b, mask, k, k, a_to_b, gt_a=d_a, gt_b=d_b)
            return base + losses.temporal_error(pa, pb, norm(d_a), norm(d_b), mask)

        with torch.no_grad():
            first = float(loss_fn())
        for _ in range(15):
            loss = loss_fn()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            assert float(loss_fn()) < 0.7 * first, kind
