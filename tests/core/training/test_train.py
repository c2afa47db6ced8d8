import numpy as np
import pytest
import torch

from core.common.config import TrainSettings
from core.common.errors import Cancelled, InputError
from core.common.jobs import CancelToken, Progress
from core.training.train import augment, train_autoencoder

SETTINGS = TrainSettings(epochs=3, batch_size=16, input_size=16, latent_dim=8, widths=(8, 16), seed=3)


def _blobs(n: int = 64) -> np.ndarray:
    """White 16x16 images each with a coloured rectangle somewhere: something learnable."""
    rng = np.random.default_rng(0)
    images = np.full((n, 16, 16, 3), 255, np.uint8)
    for img in images:
        x, y = rng.integers(0, 8, 2)
        w, h = rng.integers(4, 8, 2)
        img[y : y + h, x : x + w] = rng.integers(0, 200, 3)
    return images


def test_training_lowers_the_loss_and_reports_progress():
    reports: list[Progress] = []
    result = train_autoencoder(_blobs(), SETTINGS, progress=reports.append)
    assert len(result.history) == 3
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert 1 <= result.best_epoch <= 3
    best = min(result.history, key=lambda e: e.val_loss)
    assert result.best_epoch == best.epoch
    steps = [r for r in reports if r.stage == "train"]
    assert steps[-1].done == steps[-1].total
    assert all(r.loss is not None and r.epoch is not None for r in steps)
    assert not result.model.training


def test_training_is_reproducible_with_a_seed():
    a = train_autoencoder(_blobs(32), TrainSettings(**{**SETTINGS.__dict__, "epochs": 1}))
    b = train_autoencoder(_blobs(32), TrainSettings(**{**SETTINGS.__dict__, "epochs": 1}))
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(a.model.encoder(x), b.model.encoder(x))


def test_cancel_stops_training():
    token = CancelToken()

    def cancel_after_two(p: Progress) -> None:
        if p.done >= 2:
            token.cancel()

    with pytest.raises(Cancelled):
        train_autoencoder(_blobs(), SETTINGS, progress=cancel_after_two, cancel=token)


def test_bad_training_input_is_refused():
    with pytest.raises(InputError):
        train_autoencoder(np.zeros((10, 20, 20, 3), np.uint8), SETTINGS)
    with pytest.raises(InputError):
        train_autoencoder(_blobs(1), SETTINGS)


def test_augment_keeps_shape_and_range():
    x = torch.rand(5, 3, 16, 16)
    y = augment(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert not torch.allclose(x, y)


def test_erase_whitens_about_the_asked_share_in_blocks():
    from core.training.train import erase

    x = torch.zeros(20, 3, 32, 32)
    y = erase(x, 0.25, torch.Generator().manual_seed(1))
    white = (y == 1.0).all(dim=1).float()
    assert 0.15 < float(white.mean()) < 0.35
    blocks = white.view(20, 4, 8, 4, 8)
    assert torch.equal(blocks.amax(dim=(2, 4)), blocks.amin(dim=(2, 4)))  # whole 8x8 tiles, nothing partial


def test_canonical_target_trains_and_differs_from_the_plain_recipe():
    plain = train_autoencoder(_blobs(32), TrainSettings(**{**SETTINGS.__dict__, "epochs": 1}))
    canon = train_autoencoder(_blobs(32), TrainSettings(**{**SETTINGS.__dict__, "epochs": 1, "canonical_target": True, "erase_share": 0.2}))
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        assert not torch.allclose(plain.model.encoder(x), canon.model.encoder(x))
    assert len(canon.history) == 1


def test_a_step_is_timed_before_training_without_changing_the_start():
    from core.training.model import Architecture, Autoencoder
    from core.training.train import measure_step

    start = Autoencoder(Architecture(16, 8, (8, 16)))
    before = {k: v.clone() for k, v in start.state_dict().items()}
    seconds = measure_step(SETTINGS, photos=64, start=start)
    assert 0 < seconds < 60
    assert all(torch.equal(before[k], v) for k, v in start.state_dict().items())
    assert measure_step(SETTINGS, photos=3) > 0, "a catalog of three photos trains in batches of two"
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        measure_step(SETTINGS, photos=64, cancel=token)
