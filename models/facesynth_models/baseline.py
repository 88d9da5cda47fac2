"""Trivial baselines that a model must beat: the training set's mean, predicted for every sample."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from facesynth_models import meta as M
from facesynth_models.data import DEPTH_NORM, SHAPE_UNIT_MM, FaceDataset


def mean_normalised_depth(train: FaceDataset) -> float:
    """The mean of D' over the face masks of the training samples."""
    total, count = 0.0, 0
    for pos in train.positions:
        d = train.cache.get(pos, ("depth",))["depth"]
        m = d > 0
        total += float(DEPTH_NORM.normalise(d[m].astype(np.float64), M.camera_distance_mm(train.metas[pos])).sum())
        count += int(m.sum())
    return total / max(count, 1)


def mean_depth(train: FaceDataset, target: FaceDataset) -> dict[str, np.ndarray]:
    """One normalised depth D' (the mean over the training masks), denormalised with each target
    sample's camera distance and predicted for every pixel."""
    mean = mean_normalised_depth(train)
    out = {}
    for pos in target.positions:
        meta = target.metas[pos]
        shape = (int(meta["camera"]["height"]), int(meta["camera"]["width"]))
        out[M.sample_id(meta)] = np.full(shape, DEPTH_NORM.denormalise(mean, M.camera_distance_mm(meta)), np.float32)
    return out


def mean_posmap(train: FaceDataset, target: FaceDataset) -> dict[str, np.ndarray]:
    """The texel-wise mean PRN position map of the training targets of the target's view (of all
    of them for a view the training split lacks). A front view's map is compared with the mean
    front map, not with a mean over front and profile views, whose x and z differ wholesale (on
    posmap_front_side that mixed mean scored twice the front mean's error)."""
    by_view: dict[str, list[np.ndarray]] = defaultdict(list)
    for p in train.target_positions:
        by_view[M.view(train.metas[p]) or ""].append(train.cache.get(p, ("posmap",))["posmap"][0])
    overall = np.mean([m for maps in by_view.values() for m in maps], axis=0).astype(np.float32)
    means = {v: np.mean(maps, axis=0).astype(np.float32) for v, maps in by_view.items()}
    return {M.sample_id(target.metas[p]): means.get(M.view(target.metas[p]) or "", overall)
            for p in target.positions}


def mean_shape(train: FaceDataset, target: FaceDataset) -> dict[str, np.ndarray]:
    """The mean training shape (regression frame), placed at each target's head pivot."""
    rng = np.random.default_rng(0)
    mean = np.mean([train.shape_item(p, rng)["vertices"].numpy() for p in train.positions], axis=0)
    return {M.sample_id(target.metas[p]): (mean * SHAPE_UNIT_MM + M.head_t_mm(target.metas[p])).astype(np.float32)
            for p in target.positions}


BASELINES = {"depth": mean_depth, "posmap": mean_posmap, "vertices": mean_shape}
