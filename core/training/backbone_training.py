"""`train` for a catalog whose encoder is a backbone encoder: its feature autoencoder refitted on the catalog.

The backbone stays as it is, so each photo's features are read once, from the encoder in use
(its 'features' output, with ONNX Runtime), and only the small autoencoder on top learns: about
a minute of training after the reading, whatever the catalog's size (it is sampled beyond
HeadSettings.max_photos).
"""
from __future__ import annotations

import concurrent.futures as cf
import math
import time
from dataclasses import replace

import numpy as np
import torch

from core.catalog import catalog_file, load_batch, scan_catalog
from core.common import CancelToken, CatalogError, Progress, ProgressFn, no_progress
from core.similarity import OnnxEncoder
from core.storage import Workspace
from core.training.backbone_model import FeatureAutoencoder, HeadShape
from core.training.head_training import HeadSettings, train_head
from core.training.job import CHECK_SQUARES, Trained
from core.training.onnx_export import export_head_onto
from core.training.train import EpochStats

READ_BATCH = 256


def read_features(ws: Workspace, encoder: OnnxEncoder, settings: HeadSettings, progress: ProgressFn = no_progress,
                  cancel: CancelToken | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The backbone features of the catalog's readable photos (a sample of a large one), and a random
    CHECK_SQUARES of those photos, decoded, for the check."""
    scan = scan_catalog(ws.catalog, skip=[ws.root], cancel=cancel)
    paths = [catalog_file(ws.catalog, f.path) for f in scan.images]
    rng = np.random.default_rng(settings.seed)
    if len(paths) > settings.max_photos:
        paths = [paths[i] for i in sorted(rng.choice(len(paths), settings.max_photos, replace=False))]
    checked = np.zeros(len(paths), bool)
    checked[rng.choice(len(paths), min(CHECK_SQUARES, len(paths)), replace=False)] = True
    features, squares = [], []
    with cf.ThreadPoolExecutor(2) as pool:
        for start in range(0, len(paths), READ_BATCH):
            if cancel is not None:
                cancel.raise_if_cancelled()
            pixels, errors = load_batch(paths[start : start + READ_BATCH], encoder.input_size, pool)
            readable = np.array([e is None for e in errors], bool)
            if readable.any():
                features.append(encoder.features(pixels[readable], cancel=cancel))
                squares.append(pixels[readable & checked[start : start + READ_BATCH]])
            progress(Progress("load", min(start + READ_BATCH, len(paths)), len(paths)))
    rows = sum(len(f) for f in features)
    if rows < 2:
        raise CatalogError(f"need at least 2 readable images to train, found {rows} in {ws.catalog}")
    return np.concatenate(features), np.concatenate(squares)


def train_backbone_head(ws: Workspace, encoder: OnnxEncoder, settings: HeadSettings, progress: ProgressFn = no_progress,
                        cancel: CancelToken | None = None, epochs: int | None = None) -> Trained:
    """A new feature autoencoder fitted on the catalog, ready to be written under the backbone of the encoder in use.

    `epochs`, when given, sets the steps: that many passes over the photos' features.
    """
    started = time.perf_counter()
    features, squares = read_features(ws, encoder, settings, progress, cancel)
    if epochs is not None:
        settings = replace(settings, steps=epochs * math.ceil(min(len(features), settings.max_photos) / settings.batch_size))
    result = train_head(features, HeadShape(), settings, progress, cancel)
    trained_on = f"catalog {ws.catalog.name} ({result.photos} images, from the backbone)"  # as gui/encoder_words.py reads it
    base = encoder.model_bytes  # the file the features were read from: its backbone is kept as it is
    losses = result.losses
    tail = float(np.mean(losses[-20:]))
    facts = dict(history=[EpochStats(1, tail, tail)], best_epoch=1, seconds=time.perf_counter() - started,
                 started_from="the backbone", steps=len(losses))
    return Trained(result.photos, squares, lambda path: export_head_onto(base, result.head, path, trained_on=trained_on), facts)


def measure_head_step(settings: HeadSettings = HeadSettings(), cancel: CancelToken | None = None, steps: int = 5) -> float:
    """Seconds one step of the feature autoencoder's training takes here and now (on random features)."""
    head = FeatureAutoencoder(HeadShape()).train()
    optimiser = torch.optim.Adam(head.parameters(), lr=settings.learning_rate)
    x = torch.rand(settings.batch_size, head.standardise.mean.shape[0])
    began = None
    for step in range(steps + 1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if step == 1:
            began = time.perf_counter()
        loss = head.loss(x, x, settings.drop)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return (time.perf_counter() - began) / steps
