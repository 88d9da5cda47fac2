"""Every metric against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from facesynth_models import metrics


def test_global_depth_scale_gives_expected_abs_rel_and_deltas() -> None:
    gt = np.array([[800.0, 900.0], [1000.0, 0.0]])
    mask = np.ones_like(gt, bool)  # the 0 (no surface) pixel is ignored even inside the mask
    m = metrics.depth_metrics(gt * 1.1, gt, mask)
    assert m["abs_rel"] == pytest.approx(0.1)
    # SqRel = mean((0.1 g)^2 / g) = 0.01 mean(g) = 9 mm; RMSE = 0.1 sqrt(mean g^2)
    assert m["sq_rel"] == pytest.approx(0.01 * 900.0)
    assert m["rmse"] == pytest.approx(0.1 * np.sqrt((800**2 + 900**2 + 1000**2) / 3))
    assert m["rmse_log"] == pytest.approx(np.log(1.1))
    assert m["delta1"] == 1.0
    m = metrics.depth_metrics(gt * 1.3, gt, mask)
    assert (m["delta1"], m["delta2"]) == (0.0, 1.0)


def test_depth_metrics_use_only_the_mask() -> None:
    gt = np.full((2, 2), 100.0)
    pred = np.array([[110.0, 500.0], [90.0, 100.0]])
    mask = np.array([[True, False], [True, True]])
    assert metrics.depth_metrics(pred, gt, mask)["abs_rel"] == pytest.approx((0.1 + 0.1 + 0) / 3)


def _mesh(n: int = 200, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 3)) * [70.0, 90.0, 40.0]


def test_rigidly_moved_copy_has_zero_nme_after_alignment() -> None:
    gt = _mesh()
    a = np.radians(35.0)
    R = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    moved = gt @ R.T + [12.0, -40.0, 300.0]
    assert metrics.nme(moved, gt, metrics.bbox_size(gt)) == pytest.approx(0.0, abs=1e-9)
    assert metrics.nme(moved, gt, metrics.bbox_size(gt), align=False) > 0.5
    # A reflection is not a rigid motion: it must not be aligned away.
    assert metrics.nme(gt * [-1, 1, 1], gt, metrics.bbox_size(gt)) > 0.05


def test_nme_normalisers() -> None:
    gt = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [4.0, 9.0, 0.0]])
    assert metrics.bbox_size(gt) == pytest.approx(6.0)  # sqrt(4 * 9)
    pred = gt + np.array([3.0, 4.0, 0.0])  # every point 5 off
    assert metrics.nme(pred, gt, 6.0, align=False) == pytest.approx(5.0 / 6.0)
    lm = np.zeros((68, 3))
    lm[45] = [60.0, 0.0, 80.0]
    assert metrics.outer_interocular(lm) == pytest.approx(100.0)


def test_armse_of_a_shifted_copy() -> None:
    gt = np.array([[0.0, 0, 0], [100.0, 0, 0], [0, 100.0, 0]])
    # every nearest neighbour distance is 2 both ways; / (2 * iod) with the two directions summed
    assert metrics.armse(gt + np.array([0.0, 0.0, 2.0]), gt, iod=50.0) == pytest.approx((2.0 + 2.0) / (2 * 50.0))


def test_ced_of_a_known_error_list() -> None:
    c = metrics.ced([0.01, 0.02, 0.02, 0.05], max_error=0.04, steps=5)
    np.testing.assert_allclose(c.thresholds, [0.0, 0.01, 0.02, 0.03, 0.04])
    np.testing.assert_allclose(c.fraction, [0.0, 0.25, 0.75, 0.75, 0.75])
    # trapezoids: (0+.25)/2*.01 + (.25+.75)/2*.01 + .75*.01 + .75*.01 = 0.02125; / 0.04
    assert c.auc() == pytest.approx(0.02125 / 0.04)


def test_yaw_bins() -> None:
    assert [metrics.yaw_bin(y) for y in (0, -30, 30.5, -60, 75, 100)] == \
        ["0-30", "0-30", "30-60", "30-60", "60-90", "60-90"]
