"""DepthNet: a U-Net from an RGB image to normalised face depth D' = a (D - camera distance) + c."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from facesynth_models.nets.layers import conv_bn_relu


def _double(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class DepthNet(nn.Module):
    """(B,3,H,W) in [0,1] -> (B,1,H,W) normalised depth; H and W divisible by 2**levels."""

    def __init__(self, width: int = 32, levels: int = 4, in_channels: int = 3):
        super().__init__()
        chans = [width * 2**i for i in range(levels + 1)]
        self.down = nn.ModuleList([_double(in_channels, chans[0])]
                                  + [_double(chans[i], chans[i + 1]) for i in range(levels)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(chans[i + 1], chans[i], 2, 2) for i in range(levels)])
        self.merge = nn.ModuleList([_double(2 * chans[i], chans[i]) for i in range(levels)])
        self.head = nn.Conv2d(chans[0], 1, 1)
        self.levels = levels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(self.levels)):
            x = self.merge[i](torch.cat([self.up[i](x), skips[i]], dim=1))
        return self.head(x)
