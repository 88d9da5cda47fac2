"""Shapes and parameter counts of every network, and few-step loss decrease for every family."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from facesynth_models import losses
from facesynth_models.nets import PRN, DepthNet, ShapeRegressor, TwoImagePRN, count_parameters, norm_kind


def _decoder_layers(m: torch.nn.Module) -> int:
    return sum(isinstance(x, torch.nn.ConvTranspose2d) for x in m.decoder.modules())


def test_prn_at_256_has_prns_layout() -> None:
    with norm_kind("batch"):  # the layers training builds (tasks.norm_for)
        m = PRN(256).eval()
    with torch.no_grad():
        assert m.encoder(torch.zeros(1, 3, 256, 256)).shape == (1, 512, 8, 8)
        y = m(torch.rand(1, 3, 256, 256))
    assert y.shape == (1, 3, 256, 256) and float(y.min()) >= 0 and float(y.max()) <= 1  # sigmoid
    assert _decoder_layers(m) == 17
    assert sum(type(x).__name__ == "ResBlock" for x in m.encoder) == 10
    assert count_parameters(m) == 13_355_596


def test_two_image_prn_mobilenet_encoder() -> None:
    with norm_kind("batch"):
        m = TwoImagePRN(256).eval()
    with torch.no_grad():
        first = m.encoder[0](torch.zeros(1, 6, 256, 256))
        assert first.shape == (1, 32, 128, 128)  # conv 3/2
        feats = m.encoder[:-1](torch.zeros(1, 6, 256, 256))
        assert feats.shape == (1, 576, 8, 8)
        assert m(torch.zeros(1, 6, 256, 256)).shape == (1, 3, 256, 256)
    assert _decoder_layers(m) == 17
    assert count_parameters(m) == 13_020_812


@pytest.mark.parametrize("size", [32, 64, 128])
def test_smaller_position_maps_drop_stages(size: int) -> None:
    with torch.no_grad():
        assert PRN(size).eval()(torch.zeros(1, 3, size, size)).shape == (1, 3, size, size)
        assert TwoImagePRN(size).eval()(torch.zeros(1, 6, size, size)).shape == (1, 3, size, size)
    with pytest.raises(ValueError, match="position-map size"):
        PRN(100)


def test_depthnet_and_shape_regressor_shapes() -> None:
    d = DepthNet(width=32, levels=4).eval()
    with torch.no_grad():
        assert d(torch.zeros(1, 3, 96, 128)).shape == (1, 1, 96, 128)
    assert count_parameters(d) == 7_763_041
    s = ShapeRegressor(n_vertices=500, width=16).eval()
    with torch.no_grad():
        assert s(torch.zeros(2, 3, 64, 64)).shape == (2, 500, 3)
    assert (s.code.in_features, s.code.out_features, s.decode.out_features) == (128, 200, 1500)


def test_shape_regressor_pca_init_reaches_99_percent() -> None:
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(50, 3))
    basis = rng.normal(size=(3, 150))
    shapes = mean[None] + (rng.normal(size=(40, 3)) * [5.0, 2.0, 1.0] @ basis).reshape(40, 50, 3)
    s = ShapeRegressor(n_vertices=50, width=8)
    k = s.init_from_pca(shapes)
    assert k == 3  # three modes generate the data exactly
    np.testing.assert_allclose(s.decode.bias.detach().numpy(), shapes.mean(0).ravel(), atol=1e-5)
    assert float(s.decode.weight.detach()[:, 3:].abs().max()) == 0.0


def _steps(model: torch.nn.Module, loss_fn, n: int = 8, lr: float = 1e-3) -> tuple[float, float]:
    """The loss on the fixed batch before the first and after the last of n Adam steps (train mode:
    batch statistics, as during the steps)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    with torch.no_grad():
        first = float(loss_fn())
    for _ in range(n):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return first, float(loss_fn())


def _depth_batch(b: int = 2, size: int = 32):
    g = torch.Generator().manual_seed(1)
    img = torch.rand(b, 3, size, size, generator=g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    dome = 0.5 - 0.2 * (1 - xx**2 - yy**2).clamp_min(0)
    mask = ((xx**2 + yy**2) < 0.8)[None, None].expand(b, 1, size, size)
    return img, dome[None, None].expand(b, 1, size, size).clone(), mask


def test_depthnet_loss_decreases() -> None:
    torch.manual_seed(0)
    m = DepthNet(width=8, levels=2)
    img, t, mask = _depth_batch()
    first, final = _steps(m, lambda: losses.depth_loss(m(img), t, mask), n=15, lr=3e-3)
    assert final < 0.7 * first


def test_prn_and_two_image_prn_loss_decreases() -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(2)
    target = torch.rand(2, 3, 16, 16, generator=g) * 0.5 + 0.25
    w = torch.ones(16, 16)
    for m, c in ((PRN(16), 3), (TwoImagePRN(16), 6)):
        img = torch.rand(2, c, 16, 16, generator=g)
        first, final = _steps(m, lambda m=m, img=img: losses.posmap_loss(m(img), target, w), n=10, lr=1e-3)
        assert final < 0.9 * first, type(m).__name__


def test_prn_as_trained_fits_each_samples_offset() -> None:
    """A head pose adds a per-sample offset to every texel of a position map. PRN, built with the
    normalisation that training uses, must fit four images' different constant offsets on top of
    the start map; with GroupNorm (which normalises each sample's features on its own) it could
    not (training-mode loss at 79 % of the start after these 20 steps, measured), which is why the bench's PRN stayed at
    the mean position map."""
    from facesynth_models.config import ModelConfig
    from facesynth_models.tasks import norm_for

    torch.manual_seed(0)
    size = 16
    with norm_kind(norm_for("posmap", ModelConfig())):
        m = PRN(size)
    g = torch.Generator().manual_seed(4)
    start = torch.rand(3, size, size, generator=g) * 0.4 + 0.3
    m.start_at(start)
    img = torch.rand(4, 3, size, size, generator=g)
    target = start[None] + torch.tensor([-0.1, -0.03, 0.04, 0.1])[:, None, None, None]
    w = torch.ones(size, size)
    first, final = _steps(m, lambda: losses.posmap_loss(m(img), target, w), n=20, lr=1e-3)
    assert final < 0.2 * first
    with torch.no_grad():  # evaluation mode (running statistics, which lag 20 steps behind) moves too
        assert float(losses.posmap_loss(m.eval()(img), target, w)) < 0.8 * first


def test_shape_regression_loss_decreases() -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    target = torch.randn(2, 40, 3, generator=g)
    img = torch.rand(2, 3, 32, 32, generator=g)
    nose = target[:, 0]
    m = ShapeRegressor(40, width=8)
    first, final = _steps(m, lambda: losses.vertex_loss(m(img), target, nose, radius=0.95), n=15, lr=3e-3)
    assert final < 0.7 * first


def test_vertex_loss_weights_near_nose() -> None:
    target = torch.tensor([[[0.0, 0, 0], [2.0, 0, 0]]])
    pred = target + torch.tensor([[[1.0, 0, 0], [0.0, 0, 0]]])
    # the first vertex is within radius 1 of the nose (weight 5), the second is not (weight 1)
    assert float(losses.vertex_loss(pred, target, target[:, 0], radius=1.0)) == pytest.approx(5.0 / 6.0)


def test_small_posmap_net_starts_at_the_mean_and_fits_its_training_maps() -> None:
    """validate's position-map network: an untrained one predicts the training maps' mean (the
    baseline it must beat); its code layer fits training maps that differ by more than an offset."""
    from facesynth_models.config import ModelConfig
    from facesynth_models.nets import SmallPosmapNet
    from facesynth_models.tasks import norm_for

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(5)
    size = 32
    maps = (torch.rand(6, size, size, 3, generator=g) * 0.5 + 0.25).numpy()
    with norm_kind(norm_for("posmap", ModelConfig(posmap_net="small"))):
        m = SmallPosmapNet(maps, width=8)
    assert norm_for("posmap", ModelConfig(posmap_net="small")) == "group"
    img = torch.rand(6, 3, size, size, generator=g)
    with torch.no_grad():
        y = m.eval()(img)
    assert y.shape == (6, 3, size, size)
    assert torch.allclose(y, torch.as_tensor(maps.mean(axis=0)).permute(2, 0, 1)[None].expand_as(y), atol=1e-5)
    target = torch.as_tensor(maps).permute(0, 3, 1, 2)
    w = torch.ones(size, size)
    first, final = _steps(m, lambda: losses.posmap_loss(m(img), target, w), n=30, lr=3e-3)
    assert final < 0.5 * first
    with pytest.raises(ValueError, match="divisible by 16"):
        SmallPosmapNet(maps[:, :24, :24])
