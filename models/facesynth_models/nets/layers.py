"""The few building blocks the networks share (written here: no torchvision)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

# GroupNorm by default: BatchNorm's running statistics lag behind the weights in short runs with
# small batches (the CPU case), so evaluation drifts from training; "batch" gives the papers' layers.
_NORM: contextvars.ContextVar[str] = contextvars.ContextVar("facesynth_models_norm", default="group")
NORMS = ("group", "batch")


@contextmanager
def norm_kind(kind: str) -> Iterator[None]:
    """Networks built inside use `kind` normalisation layers ("group" or "batch")."""
    if kind not in NORMS:
        raise ValueError(f"unknown normalisation {kind!r}; known: {', '.join(NORMS)}")
    token = _NORM.set(kind)
    try:
        yield
    finally:
        _NORM.reset(token)


def norm_is_batch() -> bool:
    return _NORM.get() == "batch"


def Norm(c: int) -> nn.Module:
    if _NORM.get() == "batch":
        return nn.BatchNorm2d(c)
    return nn.GroupNorm(next(g for g in (8, 4, 2, 1) if c % g == 0), c)


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, relu6: bool = False) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False), Norm(cout),
                         nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    """PRN's residual block: 1x1 -> 4x4 (stride s) -> 1x1 bottleneck, projected shortcut on change."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        mid = cout // 2
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), Norm(mid), nn.ReLU(inplace=True),
            # 4x4 kernel as in PRN; asymmetric padding keeps size / stride exact.
            nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(mid, mid, 4, stride, bias=False), Norm(mid),
            nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 1, bias=False), Norm(cout))
        self.short = (nn.Identity() if cin == cout and stride == 1
                      else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), Norm(cout)))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.short(x))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand (t), 3x3 depthwise (stride), 1x1 linear project; skip when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [] if expand == 1 else [conv_bn_relu(cin, hidden, 1, relu6=True)]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), Norm(hidden),
                   nn.ReLU6(inplace=True), nn.Conv2d(hidden, cout, 1, bias=False), Norm(cout)]
        self.body = nn.Sequential(*layers)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.skip else y


def up(cin: int, cout: int, stride: int, act: nn.Module | None = None) -> nn.Sequential:
    """PRN's decoder layer: 4x4 transposed convolution (stride 1 or 2), BN and ReLU; `act` replaces both."""
    pad = 1 if stride == 2 else 0
    layers: list[nn.Module] = [nn.ConvTranspose2d(cin, cout, 4, stride, padding=pad, bias=False)]
    if stride == 1:  # a 4x4 stride-1 transposed conv grows the map by 3: crop back to size
        layers.append(nn.ZeroPad2d((-1, -2, -1, -2)))
    layers += [act] if act is not None else [Norm(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)
