"""Fashion-MNIST (Zalando's product images) from Debian's dataset-fashion-mnist package, recoloured.

Used to train the shipped default encoder and to benchmark; never needed by the tests.
"""
from __future__ import annotations

import colorsys
import gzip
from pathlib import Path

import numpy as np

from core.common import InputError

DEFAULT_ROOT = Path("/usr/share/datasets/fashion-mnist")
LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def available(root: Path = DEFAULT_ROOT) -> bool:
    return all((root / name).is_file() for pair in _FILES.values() for name in pair)


def load(split: str, root: Path = DEFAULT_ROOT) -> tuple[np.ndarray, np.ndarray]:
    """(images (N,28,28) uint8, labels (N,) uint8) of the 'train' or 'test' split."""
    if not available(root):
        raise InputError(f"Fashion-MNIST not found in {root} (apt-get install dataset-fashion-mnist)")
    images_name, labels_name = _FILES[split]
    with gzip.open(root / images_name) as fh:
        raw = fh.read()
    images = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(root / labels_name) as fh:
        labels = np.frombuffer(fh.read(), np.uint8, offset=8)
    return images, labels


def random_colours(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(colours (N,3) uint8, hues (N,) in [0,1)): saturated colours of uniformly random hue."""
    hues = rng.random(count)
    saturation = rng.uniform(0.55, 1.0, count)
    value = rng.uniform(0.45, 1.0, count)
    colours = np.array([colorsys.hsv_to_rgb(h, s, v) for h, s, v in zip(hues, saturation, value)])
    return (colours * 255).round().astype(np.uint8), hues


def recolour(images: np.ndarray, rng: np.random.Generator, pad: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Each grey item painted in one random colour on a white background, padded with white.

    Returns ((N, 28+2*pad, 28+2*pad, 3) uint8, hues (N,)).
    """
    colours, hues = random_colours(len(images), rng)
    ink = images.astype(np.float32)[..., None] / 255.0
    rgb = 255.0 - ink * (255.0 - colours[:, None, None, :].astype(np.float32))
    rgb = np.pad(rgb, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=255.0)
    return rgb.round().astype(np.uint8), hues
