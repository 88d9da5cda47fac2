"""What differs between the set-ups: the network, the loss of a batch, and predictions in dataset units.

Prediction kinds (one file per sample id, see docs/models.md): `depth` (H,W) mm, `posmap` (S,S,3)
PRN px, `vertices` (N,3) mm camera frame.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from facesynth_models import losses
from facesynth_models import meta as M
from facesynth_models.config import LossConfig, ModelConfig, UsageError
from facesynth_models.data import DEPTH_NORM, PRN_SCALE, SHAPE_UNIT_MM, FaceDataset
from facesynth_models.nets import PRN, DepthNet, ShapeRegressor, SmallPosmapNet, TwoImagePRN, norm_kind

PREDICTION_KIND = {"depth": "depth", "multiview": "depth", "sequence": "depth",
                   "posmap": "posmap", "posmap_pair": "posmap", "shape": "vertices"}


@dataclass
class TaskContext:
    """Per-run constants a loss needs (the PRN weight mask; the loss settings)."""

    loss: LossConfig
    prn_weights: torch.Tensor | None = None


def posmap_size(ds: FaceDataset) -> int:
    for pos in ds.positions:
        size = M.posmap_size(ds.metas[pos])
        if size:
            return size
    raise UsageError("the dataset has no position maps (recipe outputs need 'posmap' for this task)")


def norm_for(task: str, cfg: ModelConfig) -> str:
    """The normalisation layers of `task`'s network. `auto`: BatchNorm for the position-map networks,
    GroupNorm for the others. GroupNorm normalises each sample's features on its own, which erases
    the per-sample offset and scale that a head pose adds to every texel of a position map: PRN
    with GroupNorm could not fit even four images' constant offsets (tests/test_nets.py)."""
    if cfg.norm != "auto":
        return cfg.norm
    if task == "posmap" and cfg.posmap_net == "small":  # measured with GroupNorm (docs/models.md)
        return "group"
    return "batch" if task in ("posmap", "posmap_pair") else "group"


def build_model(task: str, cfg: ModelConfig, train: FaceDataset) -> nn.Module:
    with norm_kind(norm_for(task, cfg)):
        return _build(task, cfg, train)


def _build(task: str, cfg: ModelConfig, train: FaceDataset) -> nn.Module:
    if task in ("depth", "multiview", "sequence"):
        from facesynth_models.baseline import mean_normalised_depth

        model = DepthNet(width=cfg.width, levels=cfg.levels)
        # Start exactly at the mean-depth baseline (zero head weights, bias = mean D'): training
        # learns the face's relief on top of it instead of first finding its offset.
        nn.init.zeros_(model.head.weight)
        nn.init.constant_(model.head.bias, mean_normalised_depth(train))
        return model
    if task in ("posmap", "posmap_pair"):
        size = posmap_size(train)
        if task == "posmap" and cfg.posmap_net == "small":
            maps = np.stack([train.cache.get(p, ("crop", "posmap"))["posmap"][0] for p in train.positions])
            return SmallPosmapNet(maps / (PRN_SCALE * size), width=cfg.width)
        model = PRN(size=size) if task == "posmap" else TwoImagePRN(size=size)
        # Start at the mean of the training targets' position maps (the front views for the
        # two-image network), as DepthNet starts at the mean depth.
        mean = np.mean([train.cache.get(p, ("crop", "posmap"))["posmap"][0] for p in train.target_positions], axis=0)
        model.start_at(torch.as_tensor(mean / (PRN_SCALE * size), dtype=torch.float32).permute(2, 0, 1))
        return model
    shapes = np.stack([train.shape_item(p, np.random.default_rng(0))["vertices"].numpy() for p in train.positions])
    model = ShapeRegressor(n_vertices=shapes.shape[1], width=cfg.width)
    model.init_from_pca(shapes)
    return model


def make_context(task: str, loss: LossConfig, train: FaceDataset) -> TaskContext:
    ctx = TaskContext(loss=loss)
    if task in ("posmap", "posmap_pair"):
        import facesynth
        from facesynth_models.prn_mask import prn_weight_mask

        pos = train.positions[0]
        pack = facesynth.load_pack(M.face_model_name(train.metas[pos]))
        _, coverage = train.cache.get(pos, ("crop", "posmap"))["posmap"]
        ctx.prn_weights = torch.from_numpy(prn_weight_mask(pack, coverage.shape[0], coverage))
    return ctx


def batch_loss(task: str, model: nn.Module, batch: dict[str, Any], ctx: TaskContext,
               device: torch.device) -> torch.Tensor:
    lc = ctx.loss
    if task == "depth":
        pred = model(batch["image"].to(device))
        return losses.depth_loss(pred, batch["depth"].to(device), batch["mask"].to(device), lc.normal_weight)
    if task in ("posmap", "posmap_pair"):
        pred = model(batch["image"].to(device))
        w = ctx.prn_weights.to(device) * batch["coverage"].to(device)[:, 0]
        return losses.posmap_loss(pred, batch["posmap"].to(device), w)
    if task == "shape":
        pred = model(batch["image"].to(device))
        return losses.vertex_loss(pred, batch["vertices"].to(device), batch["nose"].to(device),
                                  lc.near_nose_mm / SHAPE_UNIT_MM, lc.near_nose_weight)
    a, b = ({k: v.to(device) if torch.is_tensor(v) else v for k, v in batch[x].items()} for x in ("a", "b"))
    pa, pb = model(a["image"]), model(b["image"])
    total = (losses.depth_loss(pa, a["depth"], a["mask"], lc.normal_weight)
             + losses.depth_loss(pb, b["depth"], b["mask"], lc.normal_weight))
    if task == "multiview":
        mm = [losses.to_mm(x, d["distance_mm"]) for x, d in ((pa, a), (pb, b), (a["depth"], a), (b["depth"], b))]
        err = losses.cross_view_error(mm[0], a["mask"], mm[1], b["mask"], a["K"], b["K"], batch["a_to_b"].to(device),
                                      gt_a=mm[2], gt_b=mm[3])
        return total + lc.consistency_weight * err
    return total + lc.temporal_weight * losses.temporal_error(pa, pb, a["depth"], b["depth"], a["mask"] & b["mask"])


@torch.no_grad()
def predict(task: str, model: nn.Module, ds: FaceDataset, device: torch.device,
            batch_size: int = 8) -> dict[str, np.ndarray]:
    """Predictions of `model` for every sample of `ds`'s split, in dataset units, keyed by sample id.

    Depth tasks predict per sample (pairs are split); the two-image network's prediction of a
    front view is the mean over its pairings with side views."""
    model.eval()
    kind = PREDICTION_KIND[task]
    if kind == "depth" and task != "depth":
        ds = FaceDataset(ds.cache.ds, "depth", ds.split, None, ds.seed, cache=ds.cache)
    out: dict[str, list[np.ndarray]] = defaultdict(list)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False)
    seen = 0
    for batch in loader:
        pred = model(batch["image"].to(device)).float().cpu()
        for j in range(pred.shape[0]):
            ids = ds.ids(seen + j)
            out[ids[0]].append(_to_units(kind, pred[j], batch, j, ds, seen + j))
        seen += pred.shape[0]
    return {k: np.mean(v, axis=0).astype(np.float32) for k, v in out.items()}


def _to_units(kind: str, pred: torch.Tensor, batch: dict[str, Any], j: int, ds: FaceDataset, i: int) -> np.ndarray:
    if kind == "depth":
        return DEPTH_NORM.denormalise(pred[0].numpy(), float(batch["distance_mm"][j]))
    if kind == "posmap":
        size = pred.shape[-1]
        return pred.permute(1, 2, 0).numpy() * (PRN_SCALE * size)
    meta = ds.metas[ds.items[i][0]]
    return pred.numpy() * SHAPE_UNIT_MM + M.head_t_mm(meta)


class ConstantDepth(nn.Module):
    """The mean-depth baseline as a network: one D' at every pixel of every image (its consistency
    errors are the reference a depth network's are read against)."""

    def __init__(self, value: float):
        super().__init__()
        self.value = float(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_full((x.shape[0], 1, *x.shape[2:]), self.value)


@torch.no_grad()
def consistency_metrics(task: str, model: nn.Module, ds: FaceDataset, device: torch.device) -> dict[str, Any]:
    """multiview: mean cross-view error (mm) of the predictions and of the ground truth itself;
    sequence: mean temporal error (mm) per expression. Other tasks: {}."""
    if task not in ("multiview", "sequence"):
        return {}
    model.eval()
    pred_err, gt_err = [], []
    by_expr: dict[str, list[float]] = defaultdict(list)
    for i in range(len(ds)):
        item = ds[i]
        a, b = item["a"], item["b"]
        pa, pb = (losses.to_mm(model(x["image"][None].to(device)).cpu(), x["distance_mm"][None]) for x in (a, b))
        ga, gb = (losses.to_mm(x["depth"][None], x["distance_mm"][None]) for x in (a, b))
        ma, mb = a["mask"][None], b["mask"][None]
        if task == "multiview":
            args = (a["K"][None], b["K"][None], item["a_to_b"][None])
            pred_err.append(float(losses.cross_view_error(pa, ma, pb, mb, *args, gt_a=ga, gt_b=gb)))
            gt_err.append(float(losses.cross_view_error(ga, ma, gb, mb, *args, gt_a=ga, gt_b=gb)))
        else:
            expr = M.expression_name(ds.metas[ds.items[i][1]])
            by_expr[expr].append(float(losses.temporal_error(pa, pb, ga, gb, ma & mb)))
    if task == "multiview":
        return {"cross_view_error_mm": float(np.mean(pred_err)), "ground_truth_cross_view_error_mm":
                float(np.mean(gt_err)), "pairs": len(pred_err)}
    return {"temporal_error_mm_by_expression": {k: float(np.mean(v)) for k, v in sorted(by_expr.items())},
            "temporal_error_mm": float(np.mean([x for v in by_expr.values() for x in v])), "pairs": len(ds)}
