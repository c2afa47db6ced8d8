"""Training the autoencoder on a catalog's photos (PyTorch, CPU), without labels."""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core.common import CancelToken, InputError, Progress, ProgressFn, TrainSettings, no_progress
from core.training.model import Architecture, Autoencoder, MirrorInvariant


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float


@dataclass
class TrainResult:
    """The best model seen (by validation loss) and the loss history."""

    model: Autoencoder
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    steps: int = 0


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """(N,H,W,3) uint8 -> (N,3,H,W) float in [0,1]."""
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0)


def augment(rgb: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flip, scale, shift and a small rotation: a product is the same product anywhere in frame."""
    n = rgb.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (high - low) + low

    scale = uniform(0.85, 1.15)
    angle = uniform(-0.09, 0.09)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, uniform(-0.12, 0.12)], dim=1),
            torch.stack([sin * flip, cos, uniform(-0.12, 0.12)], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(rgb.shape), align_corners=False)
    return F.grid_sample(rgb, grid, mode="bilinear", padding_mode="border", align_corners=False)


def erase(rgb: torch.Tensor, share: float, generator: torch.Generator, block: int = 8) -> torch.Tensor:
    """Paint about `share` of each image's block x block tiles white (the background)."""
    n, _, h, w = rgb.shape
    keep = torch.rand(n, 1, h // block, w // block, generator=generator) >= share
    mask = keep.repeat_interleave(block, dim=2).repeat_interleave(block, dim=3)
    return torch.where(mask, rgb, torch.ones_like(rgb))


def _evaluate(model: Autoencoder, images: np.ndarray, batch_size: int) -> float:
    model.eval()
    total, elements = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            rgb = to_tensor(images[start : start + batch_size])
            target = model.target(rgb)
            total += model.loss(rgb, target, reduction="sum").item()
            elements += target.numel()
    return total / max(1, elements)  # per element, as the training loss is


def fit_whitening(model: Autoencoder, images: np.ndarray, batch_size: int, cancel: CancelToken | None = None, limit: int = 20_000) -> None:
    """Fit the model's whitening on the mirror-invariant embeddings of (up to `limit` of) its training photos."""
    sample = images[np.linspace(0, len(images) - 1, min(limit, len(images))).astype(np.int64)]
    embed = MirrorInvariant(model.encoder).eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(sample), batch_size * 4):
            if cancel is not None:
                cancel.raise_if_cancelled()
            chunks.append(embed(to_tensor(sample[start : start + batch_size * 4])))
    if len(sample) > model.arch.latent_dim:  # fewer photos than dimensions cannot define the directions
        model.whitening.fit(torch.cat(chunks))


def _freeze_normalisation(encoder: torch.nn.Module) -> None:
    """Keep an encoder's batch normalisations as they are (fine-tuning starts from the encoder exactly)."""
    for module in encoder.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()


def _step(model: Autoencoder, optimiser: torch.optim.Optimizer, clean: torch.Tensor, settings: TrainSettings,
          generator: torch.Generator) -> float:
    """One optimiser step on a batch of clean photos (augmented, noised); returns its loss."""
    rgb = augment(clean, generator)
    target = model.target(clean if settings.canonical_target else rgb)
    noisy = (rgb + 0.03 * torch.randn(rgb.shape, generator=generator)).clamp_(0.0, 1.0)
    if settings.erase_share > 0:
        noisy = erase(noisy, settings.erase_share, generator)
    loss = model.loss(noisy, target)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return loss.item()


def measure_step(
    settings: TrainSettings, photos: int, start: Autoencoder | None = None, steps: int = 2, cancel: CancelToken | None = None
) -> float:
    """Seconds a training step takes on this machine now: a few steps timed on random pixels, in the
    batches `photos` training photos give.

    A step costs the same whatever the photos show, so this tells how long training takes before
    any photo is read. The warm-up steps of a start encoder (its decoder alone) cost about a fifth
    less, which this leaves out. `start` is never changed.
    """
    arch = start.arch if start is not None else Architecture(settings.input_size, settings.latent_dim, tuple(settings.widths))
    n_val = max(1, int(photos * settings.validation_share))
    batch = max(1, min(settings.batch_size, photos - n_val))
    pixels = np.random.default_rng(settings.seed).integers(0, 256, (batch, arch.input_size, arch.input_size, 3), dtype=np.uint8)
    clean = to_tensor(pixels)
    model = copy.deepcopy(start) if start is not None else Autoencoder(arch)
    model.train()
    if start is not None:
        _freeze_normalisation(model.encoder)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.fine_tune_rate if start is not None else settings.learning_rate)
    generator = torch.Generator().manual_seed(settings.seed)
    _step(model, optimiser, clean, settings, generator)  # the first step allocates what the others reuse
    began = time.perf_counter()
    for _ in range(steps):
        if cancel is not None:
            cancel.raise_if_cancelled()
        _step(model, optimiser, clean, settings, generator)
    return (time.perf_counter() - began) / steps


def train_autoencoder(
    images: np.ndarray,
    settings: TrainSettings = TrainSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    start: Autoencoder | None = None,
) -> TrainResult:
    """Train on (N,S,S,3) uint8 photos already fitted to the input size; keep the best epoch's weights.

    From `start` (an encoder read back from its ONNX file, decoder fresh) the architecture is
    start's; its decoder learns alone for the warm-up steps, then both at the fine-tuning rate,
    with the encoder's normalisations kept. `settings.steps` bounds the optimiser steps; else
    `settings.epochs` passes. Raises Cancelled if the token is set; `start` is never changed.
    """
    arch = start.arch if start is not None else Architecture(settings.input_size, settings.latent_dim, tuple(settings.widths))
    if images.ndim != 4 or images.shape[1:] != (arch.input_size, arch.input_size, 3):
        raise InputError(f"training images must be (N,{arch.input_size},{arch.input_size},3)")
    if len(images) < 2:
        raise InputError("need at least 2 readable images to train")
    if settings.epochs <= 0 or (settings.steps is not None and settings.steps <= 0):
        raise InputError("epochs and steps must be at least 1")

    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    order = rng.permutation(len(images))
    n_val = min(len(images) - 1, max(1, int(len(images) * settings.validation_share)))
    val_images = images[order[:n_val]]
    train_images = images[order[n_val:]]

    model = copy.deepcopy(start) if start is not None else Autoencoder(arch)
    rate = settings.fine_tune_rate if start is not None else settings.learning_rate
    warmup = settings.warmup_steps if start is not None else 0
    optimiser = torch.optim.Adam(model.parameters(), lr=rate)
    batches_per_epoch = math.ceil(len(train_images) / settings.batch_size)
    total_steps = settings.steps if settings.steps is not None else batches_per_epoch * settings.epochs
    epochs = math.ceil(total_steps / batches_per_epoch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=rate, total_steps=total_steps, pct_start=0.15)
    result = TrainResult(model=model)
    best_loss, best_state = math.inf, copy.deepcopy(model.state_dict())
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        if start is not None:
            _freeze_normalisation(model.encoder)
        epoch_order = rng.permutation(len(train_images))
        running, seen = 0.0, 0
        for first in range(0, len(epoch_order), settings.batch_size):
            if step == total_steps:
                break
            if cancel is not None:
                cancel.raise_if_cancelled()
            for parameter in model.encoder.parameters():
                parameter.requires_grad_(step >= warmup)
            clean = to_tensor(train_images[epoch_order[first : first + settings.batch_size]])
            loss = _step(model, optimiser, clean, settings, generator)
            schedule.step()
            step += 1
            running += loss * len(clean)
            seen += len(clean)
            progress(Progress("train", step, total_steps, epoch=epoch, loss=running / seen))
        val_loss = _evaluate(model, val_images, settings.batch_size)
        result.history.append(EpochStats(epoch, running / max(seen, 1), val_loss))
        progress(Progress("train", step, total_steps, detail=f"epoch {epoch} validation loss {val_loss:.4f}", epoch=epoch, loss=val_loss))
        if val_loss < best_loss:
            best_loss, best_state, result.best_epoch = val_loss, copy.deepcopy(model.state_dict()), epoch
    model.load_state_dict(best_state)
    for parameter in model.encoder.parameters():
        parameter.requires_grad_(True)
    model.eval()
    fit_whitening(model, train_images, settings.batch_size, cancel)
    result.seconds = time.perf_counter() - started
    result.steps = step
    return result
