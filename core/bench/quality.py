"""`bench quality`: does Lookalike match on shape rather than colour, and better than the seed?

Scores Lookalike's encoder beside baselines computed in the same run (raw grey pixels, a
colour histogram, and the seed project's autoencoder re-created and trained the same way) on
labelled catalogs: the demo catalog, and Fashion-MNIST recoloured at random when Debian's
dataset-fashion-mnist is installed (trained on its 60,000 training items without labels,
scored on its 10,000 test items).
"""
from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from core.catalog import fit_square, load_batch
from core.common import DEFAULT_ENCODER, SMALL_ENCODER, CancelToken, ProgressFn, TrainSettings, no_progress
from core.demo import write_demo_catalog
from core.lists import RetrievalQuality, retrieval_quality
from core.similarity import OnnxEncoder, colour_descriptors, dominant_hue_bin
from core.storage import atomic
from core.training import fashion_mnist


@dataclass(frozen=True)
class Row:
    dataset: str
    method: str
    dims: int
    quality: RetrievalQuality
    train_seconds: float | None = None


def grey_pixels(squares: np.ndarray, side: int = 32) -> np.ndarray:
    """Raw grey pixels (inverted, so the white background is zero) at side x side."""
    grey = np.stack([np.asarray(Image.fromarray(s).convert("L").resize((side, side), Image.Resampling.BILINEAR)) for s in squares])
    return 255.0 - grey.reshape(len(squares), -1).astype(np.float32)


def hue_bins(squares: np.ndarray) -> np.ndarray:
    return np.array([dominant_hue_bin(s) for s in squares])


def demo_dataset(count: int, size: int, seed: int = 4242) -> tuple[np.ndarray, np.ndarray]:
    """A fresh demo catalog on disk, read back through the app's own decoding: (squares, categories)."""
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-") as tmp:
        products = write_demo_catalog(Path(tmp), count=count, seed=seed)
        squares, errors = load_batch([Path(tmp) / p.path for p in products], size)
    assert not any(errors)
    return squares, np.array([p.category for p in products])


def fashion_mnist_dataset(split: str, size: int, seed: int, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST recoloured on white, fitted to size x size as the app fits photos: (squares, labels)."""
    images, labels = fashion_mnist.load(split)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    rgb, _ = fashion_mnist.recolour(images, np.random.default_rng(seed))
    return np.stack([fit_square(Image.fromarray(img), size) for img in rgb]), labels


def _score(dataset: str, method: str, vectors: np.ndarray, labels: np.ndarray, hues: np.ndarray, seconds: float | None = None) -> Row:
    return Row(dataset, method, int(vectors.shape[1]), retrieval_quality(vectors, labels, hues), seconds)


def _baselines(dataset: str, squares: np.ndarray, labels: np.ndarray, hues: np.ndarray) -> list[Row]:
    return [
        _score(dataset, "raw grey pixels (32x32)", grey_pixels(squares), labels, hues),
        _score(dataset, "colour histogram", colour_descriptors(squares), labels, hues),
    ]


def run_quality_bench(
    demo_count: int = 1000,
    fashion: bool = True,
    demo_train_count: int = 6000,
    epochs: int = 10,
    train_limit: int | None = None,
    encoder: Path = DEFAULT_ENCODER,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[list[Row], list[str]]:
    """Every (dataset, method) row, and notes (such as a skipped dataset)."""
    from core.bench.seed_model import seed_embeddings, train_seed
    from core.training import export_encoder, train_autoencoder

    shipped, small = OnnxEncoder(encoder), OnnxEncoder(SMALL_ENCODER)
    size = small.input_size  # what the small encoder's recipe and the seed's model train at
    rows: list[Row] = []
    notes: list[str] = []

    wide, _ = demo_dataset(demo_count, shipped.input_size)
    squares, labels = demo_dataset(demo_count, size)
    hues = hue_bins(squares)
    rows.append(_score("demo", "Lookalike (shipped encoder)", shipped.embed(wide), labels, hues))
    rows.append(_score("demo", "Lookalike's small encoder", small.embed(squares), labels, hues))
    del wide
    rows += _baselines("demo", squares, labels, hues)
    from core.training import demo_images

    started = time.perf_counter()
    seed_model = train_seed(demo_images(demo_train_count, size, cancel=cancel), epochs=epochs, progress=progress, cancel=cancel)
    rows.append(
        _score(
            "demo",
            f"seed autoencoder (trained on {demo_train_count:,} demo renders)",
            seed_embeddings(seed_model, squares),
            labels,
            hues,
            time.perf_counter() - started,
        )
    )

    if not fashion:
        notes.append("Fashion-MNIST part not run (--no-fashion-mnist)")
        return rows, notes
    if not fashion_mnist.available():
        notes.append("Fashion-MNIST part skipped: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)")
        return rows, notes
    train, _ = fashion_mnist_dataset("train", size, seed=0, limit=train_limit)
    test, test_labels = fashion_mnist_dataset("test", size, seed=1)
    test_hues = hue_bins(test)
    name = "fashion-mnist (recoloured)"
    wide_test, _ = fashion_mnist_dataset("test", shipped.input_size, seed=1)
    rows.append(_score(name, "Lookalike (shipped encoder)", shipped.embed(wide_test), test_labels, test_hues))
    del wide_test
    rows.append(_score(name, "Lookalike's small encoder", small.embed(test), test_labels, test_hues))
    settings = replace(TrainSettings(), epochs=epochs, max_images=10**9)
    started = time.perf_counter()
    result = train_autoencoder(train, settings, progress, cancel)
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        export_encoder(result.model, Path(tmp) / "fm.onnx", trained_on="benchmark")
        fresh = OnnxEncoder(Path(tmp) / "fm.onnx")
        rows.append(_score(name, f"Lookalike recipe trained on {len(train):,} train items", fresh.embed(test), test_labels, test_hues, seconds))
    rows += _baselines(name, test, test_labels, test_hues)
    started = time.perf_counter()
    seed_model = train_seed(train, epochs=epochs, progress=progress, cancel=cancel)
    rows.append(_score(name, f"seed autoencoder trained on {len(train):,} train items", seed_embeddings(seed_model, test), test_labels, test_hues, time.perf_counter() - started))
    return rows, notes


def format_table(rows: list[Row]) -> str:
    header = "| dataset | method | dims | p@1 | p@10 | mAP@10 | colour leakage (chance) | training |"
    lines = [header, "|" + " --- |" * 8]
    for r in rows:
        q = r.quality
        trained = f"{r.train_seconds / 60:.1f} min" if r.train_seconds is not None else ""
        lines.append(
            f"| {r.dataset} | {r.method} | {r.dims} | {q.precision_at_1:.3f} | {q.precision_at_10:.3f} | {q.map_at_10:.3f} "
            f"| {q.colour_leakage:.3f} ({q.leakage_chance:.3f}) | {trained} |"
        )
    return "\n".join(lines)


def write_json(rows: list[Row], notes: list[str], out: Path) -> None:
    atomic.write_text(out, json.dumps({"rows": [asdict(r) for r in rows], "notes": notes}, indent=1) + "\n")
