"""Training an encoder on a catalog's own photos and putting it to use."""
from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.catalog import catalog_file, load_batch, scan_catalog
from core.common import CancelToken, CatalogError, Progress, ProgressFn, TrainSettings, check_destination, no_progress
from core.similarity import IndexReport, index_catalog
from core.storage import Workspace, atomic
from core.training.onnx_export import export_encoder
from core.training.train import EpochStats, train_autoencoder


@dataclass(frozen=True)
class CatalogTrainResult:
    images: int
    model_path: Path
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    index_report: IndexReport | None = None


def load_training_images(
    ws: Workspace, settings: TrainSettings, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
) -> np.ndarray:
    """The catalog's readable photos fitted to the input size (a random sample if there are too many)."""
    scan = scan_catalog(ws.catalog, skip=[ws.root], cancel=cancel)
    paths = [catalog_file(ws.catalog, f.path) for f in scan.images]
    if len(paths) > settings.max_images:
        keep = np.random.default_rng(settings.seed).choice(len(paths), settings.max_images, replace=False)
        paths = [paths[i] for i in sorted(keep)]
    chunks = []
    with cf.ThreadPoolExecutor(2) as pool:
        for start in range(0, len(paths), 256):
            if cancel is not None:
                cancel.raise_if_cancelled()
            pixels, errors = load_batch(paths[start : start + 256], settings.input_size, pool)
            chunks.append(pixels[[e is None for e in errors]])
            progress(Progress("load", min(start + 256, len(paths)), len(paths)))
    images = np.concatenate(chunks) if chunks else np.zeros((0, settings.input_size, settings.input_size, 3), np.uint8)
    if len(images) < 2:
        raise CatalogError(f"need at least 2 readable images to train, found {len(images)} in {ws.catalog}")
    return images


def train_on_catalog(
    ws: Workspace,
    epochs: int | None = None,
    out: Path | None = None,
    settings: TrainSettings = TrainSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> CatalogTrainResult:
    """Train on the catalog's photos and export the encoder.

    Without `out` the new encoder replaces the workspace's and the catalog is re-indexed
    with it; a cancelled run leaves the model in use untouched.
    """
    if epochs is not None:
        settings = replace(settings, epochs=epochs)
    if out is not None:  # before the training, not after
        check_destination(out, ws.catalog, ws.root)
        atomic.check_writable(out)
    images = load_training_images(ws, settings, progress, cancel)
    result = train_autoencoder(images, settings, progress, cancel)
    trained_on = f"catalog {ws.catalog.name} ({len(images)} images)"
    if out is not None:
        export_encoder(result.model, out, trained_on=trained_on)
        return CatalogTrainResult(len(images), out, result.history, result.best_epoch, result.seconds)
    candidate = ws.file(".encoder-trained.tmp")  # a stopped run's copy is removed with other stale files
    try:
        export_encoder(result.model, candidate, trained_on=trained_on)
        report = index_catalog(ws, model=candidate, progress=progress, cancel=cancel)
    finally:
        candidate.unlink(missing_ok=True)
    return CatalogTrainResult(len(images), ws.encoder_in_use(), result.history, result.best_epoch, result.seconds, report)
