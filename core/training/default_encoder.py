"""Building the encoders that ship in resources/ (PyTorch).

Both learn from two sources of product photos, without their labels: Fashion-MNIST items
recoloured on white (when Debian's dataset-fashion-mnist is installed) and procedurally
rendered demo products (never the demo catalog itself: a different random stream).

The default is the pinned ImageNet backbone with a feature autoencoder fitted on those photos'
features; the small encoder is the convolutional autoencoder trained from scratch on them.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from core.catalog import fit_square
from core.common import CancelToken, Progress, ProgressFn, TrainSettings, no_progress
from core.demo import CATEGORIES, render_product
from core.training import fashion_mnist
from core.training.backbone import BACKBONE_PACKAGE, INPUT_SIZE, load_backbone
from core.training.backbone_model import BackboneEncoder, FeatureAutoencoder, HeadShape
from core.training.head_training import fit_linear_head
from core.training.onnx_export import export_backbone_encoder, export_encoder
from core.training.quantise import quantise_backbone
from core.training.train import train_autoencoder

DEMO_TRAINING_SEED = 1_000_003


def fashion_mnist_images(size: int, seed: int = 0, limit: int | None = None) -> np.ndarray:
    """Fashion-MNIST's training items, recoloured and fitted to size x size (empty if not installed)."""
    if not fashion_mnist.available() or limit == 0:
        return np.zeros((0, size, size, 3), np.uint8)
    images, _ = fashion_mnist.load("train")
    if limit is not None:
        images = images[:limit]
    rgb, _ = fashion_mnist.recolour(images, np.random.default_rng(seed))
    return np.stack([fit_square(Image.fromarray(img), size) for img in rgb])


def demo_images(count: int, size: int, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> np.ndarray:
    """Freshly rendered demo products fitted to size x size."""
    rng = np.random.default_rng(DEMO_TRAINING_SEED)
    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        if cancel is not None and i % 64 == 0:
            cancel.raise_if_cancelled()
        out[i] = fit_square(render_product(CATEGORIES[i % len(CATEGORIES)], rng), size)
        if i % 500 == 0:
            progress(Progress("render", i, count))
    return out


def build_small_encoder(
    out: Path,
    epochs: int = 12,
    demo_count: int = 12_000,
    fashion_mnist_limit: int | None = None,
    settings: TrainSettings = TrainSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> str:
    """Train and export the default encoder; returns a one-line summary."""
    settings = replace(settings, epochs=epochs, max_images=10**9)
    parts = [
        fashion_mnist_images(settings.input_size, limit=fashion_mnist_limit),
        demo_images(demo_count, settings.input_size, progress, cancel),
    ]
    images = np.concatenate(parts)
    sources = f"{len(parts[0])} recoloured Fashion-MNIST items + {len(parts[1])} rendered demo products"
    result = train_autoencoder(images, settings, progress, cancel)
    export_encoder(result.model, out, trained_on=sources)
    best = result.history[result.best_epoch - 1]
    return (
        f"trained on {sources} for {len(result.history)} epochs in {result.seconds:.0f} s; "
        f"best validation loss {best.val_loss:.4f} (epoch {best.epoch}); wrote {out}"
    )


DEFAULT_HEAD = HeadShape(hidden=0, latent_dim=512)
CALIBRATION_PHOTOS = 320  # demo renders whose activations set the quantised backbone's ranges (core.training.quantise)


def build_default_encoder(
    out: Path,
    demo_count: int = 8_000,
    fashion_mnist_limit: int | None = 20_000,
    shape: HeadShape = DEFAULT_HEAD,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> str:
    """Fit the default encoder's linear feature autoencoder on the backbone's features of both sources, and export it
    with the backbone quantised to 8 bits."""
    from core.similarity import OnnxEncoder

    started = time.perf_counter()
    backbone = load_backbone()
    untrained = BackboneEncoder(backbone, FeatureAutoencoder(HeadShape()))
    parts = [
        fashion_mnist_images(INPUT_SIZE, limit=fashion_mnist_limit),
        demo_images(demo_count, INPUT_SIZE, progress, cancel),
    ]
    sources = f"{len(parts[0])} recoloured Fashion-MNIST items + {len(parts[1])} rendered demo products"
    with tempfile.TemporaryDirectory(prefix="lookalike-build-") as tmp:
        reader = Path(tmp) / "features.onnx"
        export_backbone_encoder(untrained, reader, trained_on="nothing yet")
        encoder = OnnxEncoder(reader)
        features = []
        done, total = 0, sum(len(p) for p in parts)
        for part in parts:
            for start in range(0, len(part), 512):
                features.append(encoder.features(part[start : start + 512], cancel=cancel))
                done += len(features[-1])
                progress(Progress("features", done, total))
        calibration = parts[1][:CALIBRATION_PHOTOS].copy()  # not a view that would keep every render alive
        del parts
        head = fit_linear_head(np.concatenate(features), shape)
        progress(Progress("quantise", 0, 1))
        floating = Path(tmp) / "float.onnx"
        export_backbone_encoder(BackboneEncoder(backbone, head), floating, trained_on=f"{sources}, on {BACKBONE_PACKAGE}")
        quantise_backbone(floating, calibration, out)
    return (f"fitted the linear feature autoencoder on the backbone features of {sources}, quantised the backbone"
            f" in {time.perf_counter() - started:.0f} s; wrote {out}")
