import pytest
import torch

from core.model import Architecture, Autoencoder, ForegroundMap


def test_autoencoder_shapes():
    arch = Architecture(input_size=32, latent_dim=12, widths=(8, 16, 32))
    model = Autoencoder(arch)
    x = torch.rand(3, 3, 32, 32)
    assert model.encoder(x).shape == (3, 12)
    assert model(x).shape == (3, 1, 32, 32)
    with torch.no_grad():
        out = model(x)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_architecture_rejects_sizes_that_do_not_divide():
    with pytest.raises(ValueError):
        Architecture(input_size=30, widths=(8, 16))
    with pytest.raises(ValueError):
        Architecture(latent_dim=0)


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
