"""PRN-style position-map regressors: single image (residual encoder) and two images (MobileNetV2).

Both end in an 8x8x512 code and share PRN's decoder of 4x4 transposed convolutions ending in a
sigmoid. At size 256 the decoder has PRN's 17 layers; each halving of `size` drops one stage.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from facesynth_models.nets.layers import InvertedResidual, Norm, ResBlock, conv_bn_relu, norm_is_batch, up

ENC_CHANNELS = (32, 64, 128, 256, 512)
DEC_CHANNELS = (256, 128, 64, 32, 16)
DEC_REPEATS = (3, 3, 3, 2, 2)  # layers per decoder stage, the stride-2 one included


def _stages(size: int) -> int:
    n = round(math.log2(size / 8))
    if size != 8 * 2**n or not 1 <= n <= 5:
        raise ValueError(f"position-map size must be 16, 32, ..., 256, got {size}")
    return n


def prn_decoder(size: int) -> nn.Sequential:
    n = _stages(size)
    layers: list[nn.Module] = [up(512, 512, 1)]
    cin = 512
    for cout, reps in zip(DEC_CHANNELS[:n], DEC_REPEATS[:n], strict=True):
        layers.append(up(cin, cout, 2))
        layers += [up(cout, cout, 1) for _ in range(reps - 1)]
        cin = cout
    # The last layer's sigmoid is applied in forward, after adding the per-texel prior.
    # The 3-channel layers are linear (BN, no ReLU): a ReLU on 3 channels can die, and then no
    # gradient reaches the rest of the network (measured: a variant without BN froze at its start
    # map after one epoch of the 8-sample validate run). GroupNorm over 3 channels would be one
    # group normalising each sample's map as a whole, so with `norm: group` they have no norm.
    lin = nn.Identity()
    layers += [up(cin, 3, 1, act=_out_norm()), up(3, 3, 1, act=_out_norm()), up(3, 3, 1, act=lin)]
    return nn.Sequential(*layers)


def _out_norm() -> nn.Module:
    return Norm(3) if norm_is_batch() else nn.Identity()


class _PosmapHead(nn.Module):
    """sigmoid(decoder output + prior): the prior (a buffer, zero by default) lets a network start
    at a given position map, e.g. the training mean (`start_at`)."""

    def __init__(self, size: int):
        super().__init__()
        self.register_buffer("prior", torch.zeros(1, 3, size, size))

    @torch.no_grad()
    def start_at(self, decoder: nn.Sequential, posmap: torch.Tensor) -> None:
        """Zero the last transposed convolution and set the prior to logit(posmap) (values in (0, 1))."""
        last = decoder[-1][0]
        nn.init.zeros_(last.weight)
        p = posmap.clamp(1e-4, 1 - 1e-4)
        self.prior.copy_(torch.log(p / (1 - p)).reshape(self.prior.shape))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z + self.prior)


class _PosmapNet(nn.Module):
    """An encoder to 8x8x512, PRN's decoder and the sigmoid head."""

    def __init__(self, encoder: nn.Sequential, size: int):
        super().__init__()
        self.encoder = encoder
        self.decoder = prn_decoder(size)
        self.head = _PosmapHead(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.decoder(self.encoder(x)))

    def start_at(self, posmap: torch.Tensor) -> None:
        self.head.start_at(self.decoder, posmap)


class PRN(_PosmapNet):
    """One RGB crop (B,3,S,S) in [0,1] -> position map (B,3,S,S) in [0,1] (PRN px / (1.1 S))."""

    def __init__(self, size: int = 256, in_channels: int = 3):
        n = _stages(size)
        chans = ENC_CHANNELS[-n:]
        layers: list[nn.Module] = [nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(in_channels, 16, 4, 1, bias=False),
                                   Norm(16), nn.ReLU(inplace=True)]
        cin = 16
        for c in chans:  # two residual blocks per stage: stride 2, then 1 (10 at size 256)
            layers += [ResBlock(cin, c, 2), ResBlock(c, c, 1)]
            cin = c
        super().__init__(nn.Sequential(*layers), size)


# MobileNetV2's (expansion t, channels c, repeats n, stride s) up to the 96-channel stage.
MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 2))


class TwoImagePRN(_PosmapNet):
    """Front and side crops stacked (B,6,S,S) -> the front view's position map (B,3,S,S).

    Encoder: conv 3x3/2 -> S/2 x 32, inverted residuals to 8x8x96, 1x1 expansion to 8x8x576
    (MobileNetV2's next expansion), conv to 8x8x512; then PRN's decoder.
    """

    def __init__(self, size: int = 256, in_channels: int = 6):
        n = _stages(size)
        strides = [s for *_, s in MOBILENET_V2]
        for i in range(5 - n):  # smaller inputs: the earliest stride-2 stages keep their size
            strides[1 + i] = 1
        layers: list[nn.Module] = [conv_bn_relu(in_channels, 32, 3, 2, relu6=True)]
        cin = 32
        for (t, c, reps, _), s in zip(MOBILENET_V2, strides, strict=True):
            for r in range(reps):
                layers.append(InvertedResidual(cin, c, s if r == 0 else 1, t))
                cin = c
        layers += [conv_bn_relu(96, 576, 1, relu6=True), conv_bn_relu(576, 512, 3)]
        super().__init__(nn.Sequential(*layers), size)
