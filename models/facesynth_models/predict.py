"""Prediction files in and out: a trained run writes them, `evaluate` scores anyone's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from facesynth_models import tasks
from facesynth_models.config import TrainConfig, UsageError
from facesynth_models.data import FaceDataset
from facesynth_models.evaluate import KINDS, Scorer, read_predictions, write_predictions, write_report
from facesynth_models.train import BEST, open_data


def predict_run(run_dir: Path, dataset: Path, out: Path, split: str | None) -> tuple[int, str]:
    best = run_dir / BEST
    if not best.is_file():
        raise UsageError(f"{run_dir}: no {BEST} (not a finished training run directory)")
    saved = torch.load(best, map_location="cpu", weights_only=False)
    cfg = TrainConfig.model_validate_json(saved["config"])
    ds = open_data(dataset)
    train = FaceDataset(ds, cfg.task, "train", None, cfg.seed, cfg.model.vertex_stride)
    target = FaceDataset(ds, cfg.task, split, None, cfg.seed, cfg.model.vertex_stride, cache=train.cache)
    if len(target) == 0:
        raise UsageError(f"dataset {dataset}: no {split or 'any'} items for task {cfg.task!r}")
    model = tasks.build_model(cfg.task, cfg.model, train if len(train) else target)
    model.load_state_dict(saved["model"])
    preds = tasks.predict(cfg.task, model, target, torch.device("cpu"), cfg.batch_size)
    kind = tasks.PREDICTION_KIND[cfg.task]
    write_predictions(out, kind, preds)
    return len(preds), kind


def evaluate_dir(dataset: Path, pred_dir: Path, kind: str, out: Path, baseline: bool = False,
                 vertex_stride: int = 1) -> dict[str, Any]:
    from facesynth_models.baseline import BASELINES

    if kind not in KINDS:
        raise UsageError(f"--kind: unknown prediction kind {kind!r}; known: {', '.join(KINDS)}")
    if not pred_dir.is_dir():
        raise UsageError(f"--pred {pred_dir}: no such directory")
    ds = open_data(dataset)
    preds = read_predictions(pred_dir, kind)
    if not preds:
        raise UsageError(f"--pred {pred_dir}: no <id>.{kind}.npy files")
    known = set(ds.ids)
    for sid, arr in preds.items():
        if sid not in known:
            raise UsageError(f"{pred_dir / f'{sid}.{kind}.npy'}: dataset {dataset} has no sample {sid!r}")
        if not np.isfinite(arr).all():
            raise UsageError(f"{pred_dir / f'{sid}.{kind}.npy'}: holds NaN or infinite values")
    scorer = Scorer(ds, kind, vertex_stride)
    try:
        results = {"predictions": scorer.score_all(preds)}
    except ValueError as exc:
        raise UsageError(f"--pred {pred_dir}: {exc}") from None
    if baseline:
        task = {"depth": "depth", "posmap": "posmap", "vertices": "shape"}[kind]
        train = FaceDataset(ds, task, "train", None, 0, vertex_stride)
        target = FaceDataset(ds, task, None, None, 0, vertex_stride, cache=train.cache)
        base = {k: v for k, v in BASELINES[kind](train, target).items() if k in preds}
        results["mean baseline"] = scorer.score_all(base)
    return write_report(out, kind, results, f"{kind} predictions in {pred_dir.name}")
