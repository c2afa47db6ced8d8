import pytest
import torch
import torch.nn.functional as F

from core.training.model import Architecture, Autoencoder, ForegroundMap, OrientationMaps, Whitening, box_blur


def test_autoencoder_shapes():
    arch = Architecture(input_size=32, latent_dim=12, widths=(8, 16, 32))
    model = Autoencoder(arch)
    x = torch.rand(3, 3, 32, 32)
    assert model.encoder(x).shape == (3, 12)
    assert model(x).shape == model.target(x).shape == (3, arch.orientations, 32, 32)
    with torch.no_grad():
        out = model(x)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_loss_is_the_cross_entropy_of_the_reconstruction():
    model = Autoencoder(Architecture(input_size=32, latent_dim=12, widths=(8, 16, 32))).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        expected = F.binary_cross_entropy(model(x), model.target(x))
        assert float(model.loss(x, model.target(x))) == pytest.approx(float(expected), rel=1e-4)


@pytest.mark.parametrize("size", [1, 3, 9])
def test_box_blur_is_a_zero_padded_mean(size):
    x = torch.rand(2, 3, 20, 17)
    expected = F.avg_pool2d(x, size, stride=1, padding=size // 2, count_include_pad=True)
    assert torch.allclose(box_blur(x, size), expected, atol=1e-5)


def test_architecture_rejects_sizes_that_do_not_divide():
    with pytest.raises(ValueError):
        Architecture(input_size=30, widths=(8, 16))
    with pytest.raises(ValueError):
        Architecture(latent_dim=0)
    with pytest.raises(ValueError):
        Architecture(target_blur=4)


def _painted(colour: tuple[float, float, float]) -> torch.Tensor:
    """A white image with a square of one colour in the middle."""
    x = torch.ones(1, 3, 16, 16)
    x[:, :, 4:12, 4:12] = torch.tensor(colour).view(1, 3, 1, 1)
    return x


def test_foreground_map_ignores_hue_and_background():
    fg = ForegroundMap()
    red, blue = fg(_painted((0.9, 0.1, 0.1))), fg(_painted((0.1, 0.2, 0.9)))
    assert torch.allclose(red, blue, atol=0.02)
    assert float(red[0, 0, 0, 0]) == pytest.approx(0.0, abs=1e-6)
    assert float(red[0, 0, 8, 8]) == pytest.approx(1.0, abs=1e-6)
    grey_background = _painted((0.9, 0.1, 0.1)) * 0.8
    assert float(fg(grey_background)[0, 0, 0, 0]) == pytest.approx(0.0, abs=1e-6)


def test_foreground_map_of_blank_image_is_not_amplified():
    x = torch.ones(1, 3, 16, 16)
    x[:, :, 8, 8] = 0.99
    assert float(ForegroundMap()(x).max()) < 0.25


def _stripes(vertical: bool) -> torch.Tensor:
    x = torch.zeros(1, 1, 32, 32)
    if vertical:
        x[:, :, :, 8:24] = 1.0
    else:
        x[:, :, 8:24, :] = 1.0
    return x


def test_orientation_maps_put_vertical_and_horizontal_edges_in_their_own_channels():
    maps = OrientationMaps(bins=8, blur=5)
    vertical, horizontal = maps(_stripes(True)), maps(_stripes(False))
    assert vertical.shape == (1, 8, 32, 32)
    assert float(vertical.min()) >= 0.0 and float(vertical.max()) == pytest.approx(1.0)
    # A vertical edge has a horizontal gradient: bin 0 (0 degrees); a horizontal edge, bin 4 (90 degrees).
    # (away from the image's border, where the stripes end in edges of the other direction)
    energy_v, energy_h = vertical[..., 8:24, :].sum(dim=(2, 3))[0], horizontal[..., 8:24].sum(dim=(2, 3))[0]
    assert int(energy_v.argmax()) == 0 and int(energy_h.argmax()) == 4
    assert float(energy_v[4]) < 0.01 * float(energy_v[0])
    flat = maps(torch.zeros(1, 1, 32, 32))
    assert float(flat.max()) == 0.0  # no edges: nothing, not noise blown up


def test_whitening_flattens_the_spectrum_and_starts_as_identity():
    white = Whitening(4)
    x = torch.randn(500, 4) * torch.tensor([10.0, 3.0, 1.0, 0.3])
    assert torch.equal(white(x), x)
    white.fit(x, power=0.5)
    spread = white(x).std(dim=0)
    assert torch.allclose(spread.sort().values, torch.ones(4), atol=0.05)
    white.fit(x, power=0.25)
    spread = white(x).std(dim=0).sort().values
    assert float(spread[-1] / spread[0]) == pytest.approx((10 / 0.3) ** 0.5, rel=0.15)
