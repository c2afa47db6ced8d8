"""The default encoder: ImageNet features (frozen) under an autoencoder whose latent is the embedding (PyTorch).

The photo is turned grey before the backbone sees it, so that hue cannot match a red shoe with a
red shirt (measured: the same-colour share of the top 10 falls from 0.27 to 0.22, raw grey
pixels' level, and precision by type stays). The backbone's last feature map is pooled by a
generalised mean (p = 3, between average and max pooling), for the photo and its mirror image.

The autoencoder works on those 1,280 numbers. The shipped default's is linear, fitted on the
shippable photos (recoloured Fashion-MNIST, demo renders) in closed form: its latent is their
principal subspace. `train` fits a non-linear one on the catalog's own photos: standardised,
through one hidden layer to the latent and back, trained to reconstruct the mean features of
each photo's nearest neighbours, not the photo's own: a latent that must reproduce what a photo
shares with its like is about the kind of product, not about one shot's accidents. That latent,
whitened part of the way (as the small encoder's is), is the embedding.

Why the default's is linear: fitted the non-linear way on the shippable photos, whose features lie
far from real studio photos', the autoencoder lowered precision at 10 by article type on the
2,811 studio photos of BENCHMARKS.md from 0.770 (the features as they are) to 0.714; the linear
one keeps 0.767 with 512 numbers instead of 1,280.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.training.backbone import FEATURES, INPUT_SIZE, EfficientNetLite0
from core.training.model import Whitening

GEM_POWER = 3.0
LUMA = (0.299, 0.587, 0.114)  # sums to 1, so it commutes with the backbone's per-pixel scaling


@dataclass(frozen=True)
class HeadShape:
    """The autoencoder on the backbone's features; saved in the ONNX metadata."""

    hidden: int = 512  # 0: a linear autoencoder, fitted in closed form (see head_training.fit_linear_head)
    latent_dim: int = 128
    # The mirror image's features too: +0.004 precision at 10 on the studio photos for twice the
    # encoding time, which indexing cannot afford.
    mirror: bool = False

    @property
    def input_size(self) -> int:
        return INPUT_SIZE


class BackboneFeatures(nn.Module):
    """Normalised RGB (N,3,224,224) -> (N,1280): grey, backbone, generalised-mean pooled (plus the mirror image's)."""

    def __init__(self, backbone: EfficientNetLite0, mirror: bool) -> None:
        super().__init__()
        self.backbone = backbone
        self.mirror = mirror
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grey = (x * self.luma).sum(dim=1, keepdim=True).expand(-1, 3, -1, -1)
        n = grey.shape[0]
        if self.mirror:
            grey = torch.cat([grey, grey.flip(3)])
        maps = self.backbone.feature_map(grey)
        pooled = maps.clamp_min(1e-6).pow(GEM_POWER).mean(dim=(2, 3)).pow(1.0 / GEM_POWER)
        return pooled[:n] + pooled[n:] if self.mirror else pooled


class Standardise(nn.Module):
    """x -> (x - mean) / std, per feature, fitted on the photos the head learns from."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, features: torch.Tensor) -> None:
        self.mean.copy_(features.mean(dim=0))
        self.std.copy_(features.std(dim=0) + 1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class FeatureAutoencoder(nn.Module):
    """Features -> latent -> features: the part `train` fits on a catalog."""

    def __init__(self, shape: HeadShape) -> None:
        super().__init__()
        self.shape = shape
        self.standardise = Standardise(FEATURES)
        if shape.hidden:
            self.encode = nn.Sequential(nn.Linear(FEATURES, shape.hidden), nn.ReLU(), nn.Linear(shape.hidden, shape.latent_dim))
            self.decode = nn.Sequential(nn.Linear(shape.latent_dim, shape.hidden), nn.ReLU(), nn.Linear(shape.hidden, FEATURES))
        else:
            self.encode = nn.Sequential(nn.Linear(FEATURES, shape.latent_dim))
            self.decode = nn.Sequential(nn.Linear(shape.latent_dim, FEATURES))
        self.whitening = Whitening(shape.latent_dim)

    def latent(self, features: torch.Tensor) -> torch.Tensor:
        return self.encode(self.standardise(features))

    def loss(self, features: torch.Tensor, target: torch.Tensor, drop: float) -> torch.Tensor:
        """Squared error of the reconstruction of (standardised) `target` from `features` with a share `drop` hidden."""
        x = F.dropout(self.standardise(features), drop, self.training)
        return F.mse_loss(self.decode(self.encode(x)), self.standardise(target))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """The embedding: the whitened latent."""
        return self.whitening(self.latent(features))


class BackboneEncoder(nn.Module):
    """What gets exported: photo -> (embedding, backbone features); `train` reads the features back."""

    def __init__(self, backbone: EfficientNetLite0, head: FeatureAutoencoder) -> None:
        super().__init__()
        self.features = BackboneFeatures(backbone, head.shape.mirror)
        self.head = head

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(x)
        return self.head(features), features
