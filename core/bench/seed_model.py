"""The seed project's autoencoder, re-created in PyTorch as a baseline for the quality benchmark.

32x32 RGB in [0,1]; conv 3x3 32 + ReLU, max-pool 2, conv 3x3 64 + ReLU, max-pool 2, dense 128,
64 and a 32-number ReLU latent; a dense decoder back to 32x32x3 with a sigmoid; binary
cross-entropy, Adam, batch 64. Its latent is the embedding.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from core.common import CancelToken, Progress, ProgressFn, no_progress

SIDE = 32


class SeedAutoencoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 8 * 8, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 32), nn.ReLU(),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, SIDE * SIDE * 3), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x)).view(-1, 3, SIDE, SIDE)


def to_seed_input(squares: np.ndarray) -> np.ndarray:
    """(N,S,S,3) uint8 squares resized to the seed's 32x32 RGB."""
    if squares.shape[1] == SIDE:
        return squares
    return np.stack([np.asarray(Image.fromarray(s).resize((SIDE, SIDE), Image.Resampling.BILINEAR)) for s in squares])


def _tensor(batch: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0)


def train_seed(
    squares: np.ndarray, epochs: int = 10, seed: int = 0, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
) -> SeedAutoencoder:
    """Train the seed's autoencoder the seed's way on (N,S,S,3) uint8 photos."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    images = to_seed_input(squares)
    model = SeedAutoencoder()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = epochs * -(-len(images) // 64)
    step = 0
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(images))
        for start in range(0, len(images), 64):
            if cancel is not None:
                cancel.raise_if_cancelled()
            x = _tensor(images[order[start : start + 64]])
            loss = F.binary_cross_entropy(model(x), x)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            progress(Progress("seed", step, steps, loss=loss.item()))
    return model.eval()


def seed_embeddings(model: SeedAutoencoder, squares: np.ndarray) -> np.ndarray:
    """The 32-number latents of (N,S,S,3) uint8 photos, batched."""
    images = to_seed_input(squares)
    with torch.no_grad():
        return np.concatenate([model.encoder(_tensor(images[i : i + 512])).numpy() for i in range(0, len(images), 512)])
