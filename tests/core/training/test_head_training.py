import numpy as np
import pytest
import torch

from core.common.errors import InputError
from core.training.backbone import FEATURES
from core.training.backbone_model import HeadShape
from core.training.head_training import HeadSettings, fit_linear_head, neighbour_means, train_head


def clusters(per: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight groups of non-negative feature rows, far apart, as pooled features are."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 4, (3, FEATURES))
    labels = np.repeat(np.arange(3), per)
    return (centres[labels] + rng.normal(0, 0.05, (len(labels), FEATURES))).clip(0).astype(np.float32), labels


def test_a_rows_target_is_the_mean_of_its_own_group_only():
    features, labels = clusters()
    means = neighbour_means(features, neighbours=5)
    for row, label in zip(means, labels):
        distances = np.linalg.norm(features - row, axis=1)
        assert labels[np.argmin(distances)] == label
    # Six rows averaged (the row and five others): nearer the group's centre than the row was.
    centre = features[labels == 0].mean(axis=0)
    assert np.linalg.norm(means[0] - centre) < np.linalg.norm(features[0] - centre)


def test_the_linear_autoencoder_reconstructs_features_that_span_as_many_directions_as_its_latent():
    rng = np.random.default_rng(1)
    basis = rng.normal(size=(4, FEATURES))
    features = (rng.normal(size=(200, 4)) @ basis + 3.0).astype(np.float32)
    head = fit_linear_head(features, HeadShape(hidden=0, latent_dim=4))
    x = torch.from_numpy(features)
    with torch.no_grad():
        rebuilt = head.decode(head.latent(x)) + head.standardise.mean
    assert torch.allclose(rebuilt, x, atol=1e-2 * float(x.abs().max()))
    with pytest.raises(InputError):
        fit_linear_head(features[:4], HeadShape(hidden=0, latent_dim=4))


def test_the_trained_autoencoder_keeps_groups_apart_and_learns():
    features, labels = clusters(per=40)
    result = train_head(features, HeadShape(hidden=64, latent_dim=8), HeadSettings(steps=60, batch_size=32, neighbours=5))
    assert result.photos == 120 and np.mean(result.losses[-10:]) < np.mean(result.losses[:10])
    with torch.no_grad():
        embedded = result.head(torch.from_numpy(features)).numpy()
    unit = embedded / np.linalg.norm(embedded, axis=1, keepdims=True)
    nearest = np.argsort(-(unit @ unit.T), axis=1)[:, 1]
    assert (labels[nearest] == labels).mean() == 1.0
