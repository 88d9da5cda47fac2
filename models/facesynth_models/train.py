"""The training loop: Adam, learning rate halved every N epochs, early stopping on validation loss,
atomic checkpoints every epoch (a SIGKILLed run resumes where its last checkpoint left it and
ends exactly as an uninterrupted run would), a JSON-lines log, a loss-curve PNG and a final
evaluation of the best weights on the held-out split against the mean baseline.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from facesynth_models import tasks
from facesynth_models.augment import Augment
from facesynth_models.baseline import BASELINES
from facesynth_models.config import TrainConfig, UsageError, load_config
from facesynth_models.data import FaceDataset, SampleCache
from facesynth_models.evaluate import Scorer, write_consistency, write_report
from facesynth_models.nets import count_parameters

CHECKPOINT, BEST, LOG = "checkpoint.pt", "best.pt", "log.jsonl"


def open_data(path: Path) -> Any:
    import facesynth
    from facesynth.errors import FacesynthError

    if not path.exists():
        raise UsageError(f"dataset {path}: no such file or directory")
    try:
        return facesynth.open_dataset(path)
    except FacesynthError as exc:
        raise UsageError(f"dataset {path}: {exc}") from None


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("device: cuda was asked for, but torch sees no CUDA device (use cpu or auto)")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _save_atomic(obj: Any, path: Path) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Splits:
    """train / val / test FaceDatasets of one task, sharing one decoded-sample cache."""

    def __init__(self, cfg: TrainConfig, ds: Any):
        cache = SampleCache(ds)
        aug = Augment() if cfg.augment else None
        kw = {"seed": cfg.seed, "vertex_stride": cfg.model.vertex_stride, "cache": cache}
        self.train = FaceDataset(ds, cfg.task, "train", aug, **kw)
        if cfg.max_train_samples:
            self.train.items = self.train.items[: cfg.max_train_samples]
            self.train.positions = sorted({p for item in self.train.items for p in item})
        self.val = FaceDataset(ds, cfg.task, "val", None, **kw)
        self.test = FaceDataset(ds, cfg.task, "test", None, **kw)
        for name in ("train", "val"):
            if len(getattr(self, name)) == 0:
                raise UsageError(f"dataset {ds.path}: no {name} items for task {cfg.task!r} "
                                 "(check the recipe's split and outputs)")


def _epoch_loss(cfg: TrainConfig, model, ds: FaceDataset, ctx, device, opt=None, epoch: int = 0) -> float:
    training = opt is not None
    model.train(training)
    gen = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
    loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=training, generator=gen, drop_last=False)
    total, n = 0.0, 0
    desc = f"epoch {epoch} {'train' if training else 'val'}"
    with torch.set_grad_enabled(training):
        for batch in tqdm(loader, desc=desc, leave=False, disable=None):
            loss = tasks.batch_loss(cfg.task, model, batch, ctx, device)
            if training:
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            k = len(batch["image"]) if "image" in batch else len(batch["a_to_b"])
            total += float(loss.detach()) * k
            n += k
    return total / max(n, 1)


def train(config_path: str | Path) -> dict[str, Any]:
    """Train from a YAML config file (relative paths resolve against its directory)."""
    cfg, base = load_config(config_path)
    return run(cfg, base)


def run(cfg: TrainConfig, base: Path) -> dict[str, Any]:
    """Train (or resume) and evaluate; returns the evaluation summary (out/eval/metrics.json)."""
    out = (base / cfg.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed % 2**32)
    splits = Splits(cfg, open_data(base / cfg.dataset))
    model = tasks.build_model(cfg.task, cfg.model, splits.train).to(device)
    ctx = tasks.make_context(cfg.task, cfg.loss, splits.train)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_halve_every, gamma=0.5)
    state = {"epoch": 0, "best_val": float("inf"), "bad_epochs": 0, "history": []}
    ckpt = out / CHECKPOINT
    config_json = cfg.model_dump_json()
    if ckpt.exists():
        saved = torch.load(ckpt, map_location=device, weights_only=False)
        if saved["config"] != config_json:
            raise UsageError(f"{out}: holds a run of another config; choose another 'out' or delete it")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["scheduler"])
        state = saved["state"]
        tqdm.write(f"resuming {out} after epoch {state['epoch']}")
    # The log is rewritten from the checkpoint's history: lines of an epoch that a kill cut short go.
    (out / LOG).write_text("".join(json.dumps(h) + "\n" for h in state["history"]))
    tqdm.write(f"{cfg.task}: {type(model).__name__}, {count_parameters(model):,} parameters, "
               f"{len(splits.train)} train / {len(splits.val)} val / {len(splits.test)} test items, {device}")
    while state["epoch"] < cfg.epochs and state["bad_epochs"] < cfg.early_stop_patience:
        epoch = state["epoch"] + 1
        t0 = time.perf_counter()
        splits.train.set_epoch(epoch)
        lr = opt.param_groups[0]["lr"]
        train_loss = _epoch_loss(cfg, model, splits.train, ctx, device, opt, epoch)
        val_loss = _epoch_loss(cfg, model, splits.val, ctx, device, None, epoch)
        sched.step()
        improved = val_loss < state["best_val"]
        state["best_val"] = min(val_loss, state["best_val"])
        state["bad_epochs"] = 0 if improved else state["bad_epochs"] + 1
        state["epoch"] = epoch
        entry = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "lr": lr,
                 "best_val": state["best_val"], "time_s": round(time.perf_counter() - t0, 3)}
        state["history"].append(entry)
        if improved:
            _save_atomic({"model": model.state_dict(), "epoch": epoch, "config": config_json}, out / BEST)
        _save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                      "state": state, "config": config_json}, ckpt)
        with open(out / LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")
        tqdm.write(f"epoch {epoch}: train {train_loss:.5f} val {val_loss:.5f} lr {lr:.2e}"
                   + (" (best)" if improved else ""))
    from facesynth_models.plots import plot_losses

    plot_losses(state["history"], out / "loss.png", f"{cfg.task}: {type(model).__name__}")
    if (out / "eval" / "summary.json").exists():
        return json.loads((out / "eval" / "summary.json").read_text())
    return final_evaluation(cfg, model, splits, out, device)


def final_evaluation(cfg: TrainConfig, model, splits: Splits, out: Path, device: torch.device) -> dict[str, Any]:
    """Best weights on the test split (val if no test) against the mean baseline: out/eval/."""
    best = torch.load(out / BEST, map_location=device, weights_only=False)
    model.load_state_dict(best["model"])
    held = splits.test if len(splits.test) else splits.val
    kind = tasks.PREDICTION_KIND[cfg.task]
    preds = tasks.predict(cfg.task, model, held, device, cfg.batch_size)
    base = {k: v for k, v in BASELINES[kind](splits.train, held).items() if k in preds}
    scorer = Scorer(held.cache.ds, kind, cfg.model.vertex_stride)
    summary = write_report(out / "eval", kind, {"model": scorer.score_all(preds),
                                                "mean baseline": scorer.score_all(base)},
                           f"{cfg.task} on split {held.split!r}")
    extra = tasks.consistency_metrics(cfg.task, model, held, device)
    if extra:
        from facesynth_models.baseline import mean_normalised_depth

        mean = tasks.ConstantDepth(mean_normalised_depth(splits.train))
        extra["mean baseline"] = tasks.consistency_metrics(cfg.task, mean, held, device)
        summary["consistency"] = extra
        write_consistency(out / "eval", extra)
    (out / "eval" / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    return summary
