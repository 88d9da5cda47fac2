"""One network per reference recipe; `build_model(task, ...)` picks it."""

from facesynth_models.nets.depthnet import DepthNet
from facesynth_models.nets.layers import norm_kind
from facesynth_models.nets.posmap_small import SmallPosmapNet
from facesynth_models.nets.prn import PRN, TwoImagePRN
from facesynth_models.nets.shape import ShapeRegressor

__all__ = ["PRN", "DepthNet", "ShapeRegressor", "SmallPosmapNet", "TwoImagePRN", "count_parameters", "norm_kind"]


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
