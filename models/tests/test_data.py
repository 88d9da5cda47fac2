"""Augmentations move image and targets together; pairing and grouping follow the metadata."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from facesynth_models.augment import Augment, color_and_dropout, rotate, rotate_points
from facesynth_models.data import frame_pairs, pair_front_side, view_pairs


def test_rotation_moves_image_content_and_posmap_points_alike() -> None:
    size = 64
    img = torch.zeros(1, size, size)
    x, y = 44.0, 20.0  # a bright dot and the position-map point that names it
    img[0, int(y), int(x)] = 1.0
    for angle in (-45.0, -20.0, 30.0, 45.0):
        rot = rotate(img, angle, "bilinear")[0]
        peak = np.unravel_index(int(rot.argmax()), rot.shape)
        moved = rotate_points(torch.tensor([[x, y]], dtype=torch.float64), angle, size, size)[0]
        assert abs(peak[1] - float(moved[0])) <= 1.0 and abs(peak[0] - float(moved[1])) <= 1.0, angle


def test_nearest_rotation_keeps_depth_values() -> None:
    depth = torch.arange(16.0 * 16).reshape(1, 16, 16) + 700.0
    out = rotate(depth, 30.0, "nearest")
    vals = set(out[out > 0].tolist())
    assert vals <= set(depth.flatten().tolist())  # never blended


def test_colour_scaling_and_dropout_ranges() -> None:
    img = torch.full((3, 32, 32), 0.5)
    aug = Augment(dropout_p=0.0)
    for seed in range(20):
        out = color_and_dropout(img, aug, np.random.default_rng(seed))
        scale = out[:, 0, 0] / 0.5
        assert torch.all(scale >= 0.6 - 1e-6) and torch.all(scale <= 1.4 + 1e-6)
        assert torch.all(out == out[:, :1, :1])  # one factor per channel
    out = color_and_dropout(img, Augment(color_scale=(1.0, 1.0), dropout_p=1.0), np.random.default_rng(0))
    changed = (out != 0.5).any(dim=0)
    rows, cols = np.nonzero(changed.numpy())
    assert changed.sum() > 0 and changed.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # one box


def _meta(i: int, subject: int, group: int, view: str, frame: int = 0) -> tuple[int, dict]:
    return i, {"id": f"{i:06d}", "index": i, "subject_id": subject, "group": group, "view": view, "frame": frame}


def test_front_side_pairing_by_subject_and_view() -> None:
    metas = [_meta(0, 0, 0, "front"), _meta(1, 0, 0, "left"), _meta(2, 0, 0, "right"),
             _meta(3, 1, 1, "left"), _meta(4, 1, 1, "right"),  # no front: no pair
             _meta(5, 2, 2, "front"), _meta(6, 2, 2, "right")]
    assert pair_front_side(metas) == [(0, 1), (0, 2), (5, 6)]


def test_multiview_and_sequence_grouping() -> None:
    views = [_meta(i, 0, i // 3, f"v{i % 3}") for i in range(6)]
    assert view_pairs(views) == [(0, 1), (1, 2), (3, 4), (4, 5)]
    eleven = [_meta(i, 0, 0, f"v{i}") for i in range(11)]  # recipe order, not name order (v10 < v2)
    assert view_pairs(eleven) == [(i, i + 1) for i in range(10)]
    frames = [_meta(i, 0, i // 4, "default", frame=i % 4) for i in (3, 1, 0, 2, 4, 5, 7)]
    assert frame_pairs(frames) == [(0, 1), (1, 2), (2, 3), (4, 5)]  # 5 -> 7 skips a frame


@pytest.mark.parametrize("task", ["bogus"])
def test_unknown_task_is_refused(task: str) -> None:
    from facesynth_models.data import FaceDataset

    with pytest.raises(ValueError, match="unknown task"):
        FaceDataset([], task)
