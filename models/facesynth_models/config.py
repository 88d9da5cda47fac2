"""The training config (YAML, pydantic-validated); errors name the field and file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from facesynth.errors import UserError


class UsageError(UserError):
    """A user mistake (bad config, path, dataset): the CLI prints it as one line and exits 2."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(_Frozen):
    width: int = Field(32, ge=1, le=512, description="DepthNet / shape encoder base channels.")
    levels: int = Field(4, ge=1, le=6, description="DepthNet U-Net levels (input side divisible by 2**levels).")
    vertex_stride: int = Field(1, ge=1, description="Shape task: regress every k-th vertex.")
    norm: Literal["auto", "group", "batch"] = Field(
        "auto", description="Normalisation layers (batch: as in the papers; auto: batch for the position-map "
                            "networks, group for the others).")
    posmap_net: Literal["prn", "small"] = Field(
        "prn", description="posmap task: PRN, or the small PCA-decoder network of validate's short run.")


class LossConfig(_Frozen):
    normal_weight: float = Field(1.0, ge=0)
    consistency_weight: float = Field(0.1, ge=0, description="multiview: cross-view term (per mm).")
    temporal_weight: float = Field(1.0, ge=0, description="sequence: temporal term (D' units).")
    near_nose_mm: float = Field(95.0, gt=0)
    near_nose_weight: float = Field(5.0, ge=0)


class TrainConfig(_Frozen):
    task: Literal["depth", "posmap", "posmap_pair", "shape", "multiview", "sequence"]
    dataset: str = Field(description="Dataset directory or WebDataset shards (relative to this file).")
    out: str = Field(description="Run directory: checkpoints, log.jsonl, loss.png, metrics.json.")
    seed: int = Field(0, ge=0)
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    epochs: int = Field(30, ge=1, le=100000)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(1e-3, gt=0)
    lr_halve_every: int = Field(5, ge=1, description="Epochs between halvings of the learning rate.")
    early_stop_patience: int = Field(10, ge=1, description="Stop after this many epochs without val improvement.")
    augment: bool = True
    max_train_samples: int | None = Field(None, ge=1)
    threads: int = Field(0, ge=0, description="torch CPU threads (0 = torch's default).")
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()


def _lines(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out[(*path, k.value)] = k.start_mark.line + 1
            _lines(v, (*path, k.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _lines(v, (*path, i), out)
    return out


def load_config(path: str | Path) -> tuple[TrainConfig, Path]:
    """The config and its directory (relative paths resolve against it); UsageError on any problem."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such config file")
    text = p.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark else str(p)
        raise UsageError(f"{where}: YAML error: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{p}:1: expected a mapping of config fields")
    try:
        return TrainConfig.model_validate(data), p.resolve().parent
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        lines = _lines(node) if node is not None else {}
        line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), 1)
        field = ".".join(str(x) for x in loc) or "config"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise UsageError(f"{p}:{line}: {field}: {err['msg']}{more}") from None
