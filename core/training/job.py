"""Training an encoder on a catalog's own photos and putting it to use."""
from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.catalog import catalog_file, load_batch, scan_catalog
from core.common import (
    CancelToken,
    CatalogError,
    InputError,
    Progress,
    ProgressFn,
    TrainSettings,
    check_destination,
    no_progress,
)
from core.similarity import IndexReport, OnnxEncoder, index_catalog
from core.storage import Workspace, atomic
from core.training.compare import Comparison, compare_encoders
from core.training.head_training import HeadSettings
from core.training.model import Autoencoder
from core.training.onnx_export import export_encoder
from core.training.onnx_import import load_autoencoder
from core.training.train import EpochStats, measure_step, train_autoencoder

CHECK_SQUARES = 3000  # photos kept for the check after training a backbone encoder (as compare_encoders samples)

LAST_TRAINED_NAME = "last-trained.onnx"  # a trained encoder the check found worse, kept for the user to choose


@dataclass(frozen=True)
class CatalogTrainResult:
    images: int
    model_path: Path  # the encoder in use after the run (or `out`)
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    index_report: IndexReport | None = None
    started_from: str = "scratch"  # or "the encoder in use"
    steps: int = 0
    check: Comparison | None = None
    put_to_use: bool = False
    set_aside: Path | None = None  # where the new encoder is when the one in use was kept

    @property
    def outcome(self) -> str:
        """What became of the new encoder and what the check found, without how to change it."""
        checked = f"; {self.check.describe()}" if self.check is not None else ""
        if self.put_to_use:
            return f"the new encoder is in use{checked}"
        if self.set_aside is not None:
            why = "the new one did no better" if self.check is None or self.check.conclusive else "the check could not tell which is better"
            return f"kept the encoder in use: {why}{checked}"
        return f"wrote {self.model_path}{checked}"

    @property
    def verdict(self) -> str:
        """The outcome in one line, with the command that uses a set-aside encoder anyway."""
        if self.set_aside is not None:
            return f"{self.outcome}. The new one is at {self.set_aside}; to use it anyway: index --model {self.set_aside}"
        return self.outcome


def _starting_point(in_use: Path, settings: TrainSettings) -> tuple[Autoencoder | None, TrainSettings]:
    """The encoder training starts from (None: scratch) and the settings it implies (its shape, the fine-tuning length)."""
    start = load_autoencoder(in_use) if settings.start_from_in_use else None
    if start is None:
        return None, settings
    arch = start.arch
    return start, replace(settings, input_size=arch.input_size, latent_dim=arch.latent_dim, widths=arch.widths,
                          steps=settings.fine_tune_steps)


def measure_training(ws: Workspace, settings: TrainSettings, photos: int, cancel: CancelToken | None = None) -> float:
    """Seconds a step of training on this catalog (of about `photos` photos) takes here and now, before any is read.

    For a backbone encoder, reading every photo's features is most of the work: it is spread over the steps.
    """
    in_use = ws.encoder_in_use()
    encoder = OnnxEncoder(in_use)
    if settings.start_from_in_use and encoder.has_features:
        from core.training.backbone_training import measure_head_step

        steps = settings.steps or settings.fine_tune_steps
        reading = min(photos, HeadSettings.max_photos) * encoder.photo_seconds
        return measure_head_step(cancel=cancel) + reading / steps
    start, settings = _starting_point(in_use, settings)
    return measure_step(settings, min(photos, settings.max_images), start, cancel=cancel)


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
    keep: str = "better",
    steps: int | None = None,
) -> CatalogTrainResult:
    """Train on the catalog's photos, starting from the encoder in use when it is one of Lookalike's.

    The new encoder is then checked against the one in use on the catalog's photos (no labels,
    see core.training.compare). Without `out`, it replaces the one in use and the catalog is
    re-indexed with it if it does better or `keep` is "new"; otherwise the one in use stays and
    the new one is set aside in the workspace. A cancelled run leaves the model in use untouched.
    """
    if keep not in ("better", "new"):
        raise InputError(f"keep must be 'better' or 'new', not {keep!r}")
    if out is not None:  # before the training, not after
        check_destination(out, ws.catalog, ws.root)
        atomic.check_writable(out)
    in_use = ws.encoder_in_use()
    encoder = OnnxEncoder(in_use)
    if settings.start_from_in_use and encoder.has_features:
        from core.training.backbone_training import train_backbone_head

        head = HeadSettings(steps=steps or settings.steps or settings.fine_tune_steps, seed=settings.seed)
        trained = train_backbone_head(ws, encoder, head, progress, cancel, epochs=epochs)
        return _settle(ws, in_use, trained, out, keep, progress, cancel)
    start, settings = _starting_point(in_use, settings)
    if epochs is not None:
        settings = replace(settings, epochs=epochs, steps=None)
    if steps is not None:
        settings = replace(settings, steps=steps)
    images = load_training_images(ws, settings, progress, cancel)
    result = train_autoencoder(images, settings, progress, cancel, start=start)
    started_from = "the encoder in use" if start is not None else "scratch"
    trained_on = f"catalog {ws.catalog.name} ({len(images)} images, from {started_from})"
    facts = dict(history=result.history, best_epoch=result.best_epoch, seconds=result.seconds, started_from=started_from,
                 steps=result.steps)
    trained = Trained(len(images), images, lambda path: export_encoder(result.model, path, trained_on=trained_on), facts)
    return _settle(ws, in_use, trained, out, keep, progress, cancel)


@dataclass(frozen=True)
class Trained:
    """A training's outcome before it is checked: photos to check it on, how to write it, what to report."""

    photos: int  # that it learnt from
    squares: np.ndarray  # (N, S, S, 3) photos of the catalog at the encoders' input size, for the check
    write: Callable[[Path], None]
    facts: dict


def _settle(ws: Workspace, in_use: Path, trained: Trained, out: Path | None, keep: str, progress: ProgressFn,
            cancel: CancelToken | None) -> CatalogTrainResult:
    """Write the new encoder, check it against the one in use, and put it to use, set it aside or leave it at `out`."""
    images, facts, photos = trained.squares, trained.facts, trained.photos
    candidate = out if out is not None else ws.file(".encoder-trained.tmp")  # a stopped run's copy is removed with other stale files
    try:
        trained.write(candidate)
        progress(Progress("check", 0, 1, detail="comparing the new encoder with the one in use"))
        check = compare_encoders(OnnxEncoder(candidate), OnnxEncoder(in_use), images, cancel=cancel)
        progress(Progress("check", 1, 1, detail=check.describe()))
        if out is not None:
            return CatalogTrainResult(photos, out, check=check, **facts)
        if check.new_is_better or keep == "new":
            report = index_catalog(ws, model=candidate, progress=progress, cancel=cancel)
            return CatalogTrainResult(photos, ws.encoder_in_use(), index_report=report, check=check, put_to_use=True, **facts)
        aside = ws.file(LAST_TRAINED_NAME)
        atomic.write_bytes(aside, candidate.read_bytes())
        return CatalogTrainResult(photos, in_use, check=check, set_aside=aside, **facts)
    finally:
        if out is None:
            candidate.unlink(missing_ok=True)
