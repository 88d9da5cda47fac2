"""Shape regression: image encoder -> 128 -> 200 -> 3N posed-head vertex coordinates.

The 200 -> 3N layer is linear and starts as a PCA of the training shapes (mean as bias, the
leading components scaled by their standard deviation as columns), so the 200-d code starts as
PCA coefficients in units of one standard deviation.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn

from facesynth_models.nets.layers import conv_bn_relu


class ShapeRegressor(nn.Module):
    """(B,3,H,W) -> (B,N,3) vertices in the regression frame (see data.shape_target)."""

    def __init__(self, n_vertices: int, width: int = 32, code: int = 200):
        super().__init__()
        chans = [width, 2 * width, 4 * width, 8 * width]
        layers: list[nn.Module] = [conv_bn_relu(3, chans[0], 3, 2)]
        for a, b in itertools.pairwise(chans):
            layers += [conv_bn_relu(a, b, 3, 2), conv_bn_relu(b, b)]
        self.encoder = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                     nn.Linear(chans[-1], 128), nn.ReLU(inplace=True))
        self.code = nn.Linear(128, code)
        self.decode = nn.Linear(code, 3 * n_vertices)
        self.n_vertices = n_vertices

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.code(self.encoder(x))).view(-1, self.n_vertices, 3)

    @torch.no_grad()
    def init_from_pca(self, shapes: np.ndarray, variance: float = 0.99) -> int:
        """Set the last layer from a PCA of (M,N,3) training shapes; returns the components used.

        Uses the fewest components that explain `variance` (at most the code size); the other
        columns start at zero so the network begins at the PCA's reconstruction space.
        """
        x = np.asarray(shapes, np.float64).reshape(len(shapes), -1)
        mean = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
        var = s**2
        total = var.sum()
        k = len(s) if total == 0 else int(np.searchsorted(np.cumsum(var) / total, variance) + 1)
        k = min(k, self.code.out_features, len(s))
        std = s[:k] / np.sqrt(max(len(x) - 1, 1))
        w = np.zeros((3 * self.n_vertices, self.code.out_features))
        w[:, :k] = (vt[:k].T * std)
        self.decode.weight.copy_(torch.as_tensor(w, dtype=self.decode.weight.dtype))
        self.decode.bias.copy_(torch.as_tensor(mean, dtype=self.decode.bias.dtype))
        return k
