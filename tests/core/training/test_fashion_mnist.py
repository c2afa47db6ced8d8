from __future__ import annotations

import colorsys
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from core.common.errors import InputError
from core.training import fashion_mnist

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def write_idx_images(path: Path, images: np.ndarray) -> None:
    """IDX3: magic 0x00000803, count, rows, cols (big-endian int32), then the unsigned bytes."""
    count, rows, cols = images.shape
    with gzip.open(path, "wb") as fh:
        fh.write(struct.pack(">IIII", 0x00000803, count, rows, cols) + images.astype(np.uint8).tobytes())


def write_idx_labels(path: Path, labels: np.ndarray) -> None:
    """IDX1: magic 0x00000801, count, then one byte per label."""
    with gzip.open(path, "wb") as fh:
        fh.write(struct.pack(">II", 0x00000801, len(labels)) + labels.astype(np.uint8).tobytes())


def fake_dataset(root: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    written = {}
    for split, count in sizes.items():
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        write_idx_images(root / FILES[split][0], images)
        write_idx_labels(root / FILES[split][1], labels)
        written[split] = (images, labels)
    return written


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % 1.0
    return min(d, 1.0 - d)


def test_load_reads_idx_files_exactly(tmp_path: Path) -> None:
    written = fake_dataset(tmp_path, {"train": 7, "test": 3})
    assert fashion_mnist.available(tmp_path)
    for split in ("train", "test"):
        images, labels = fashion_mnist.load(split, tmp_path)
        assert images.dtype == np.uint8 and labels.dtype == np.uint8
        assert images.shape == (len(written[split][0]), 28, 28)
        np.testing.assert_array_equal(images, written[split][0])
        np.testing.assert_array_equal(labels, written[split][1])


def test_not_available_in_an_empty_folder(tmp_path: Path) -> None:
    assert not fashion_mnist.available(tmp_path)
    with pytest.raises(InputError, match="Fashion-MNIST not found"):
        fashion_mnist.load("train", tmp_path)


def test_not_available_with_one_split_missing(tmp_path: Path) -> None:
    fake_dataset(tmp_path, {"train": 2})
    assert not fashion_mnist.available(tmp_path)
    with pytest.raises(InputError):
        fashion_mnist.load("train", tmp_path)


def ink_images() -> np.ndarray:
    """Four 28x28 items: blank border, a full-ink square and a half-ink square in the middle."""
    images = np.zeros((4, 28, 28), np.uint8)
    images[:, 8:20, 8:14] = 255
    images[:, 8:20, 14:20] = 160
    return images


def test_recolour_shape_and_white_background() -> None:
    images = ink_images()
    rgb, hues = fashion_mnist.recolour(images, np.random.default_rng(0))
    assert rgb.shape == (4, 32, 32, 3) and rgb.dtype == np.uint8
    assert hues.shape == (4,)
    assert np.all((hues >= 0) & (hues < 1))
    background = np.ones((32, 32), bool)
    background[10:22, 10:22] = False  # the inked square, shifted by the 2-pixel pad
    assert np.all(rgb[:, background] == 255)
    assert np.all(rgb[:, 10:22, 10:22].min(axis=-1) < 255)  # every inked pixel is coloured


def test_recolour_pad() -> None:
    rgb, _ = fashion_mnist.recolour(ink_images()[:1], np.random.default_rng(0), pad=0)
    assert rgb.shape == (1, 28, 28, 3)


def test_inked_pixels_take_the_returned_hue() -> None:
    images = ink_images()
    rgb, hues = fashion_mnist.recolour(images, np.random.default_rng(7))
    for picture, hue in zip(rgb, hues):
        full = picture[12, 12] / 255.0  # full ink
        half = picture[12, 18] / 255.0  # partial ink: a blend with white keeps the hue
        full_h, full_s, _ = colorsys.rgb_to_hsv(*full)
        half_h, half_s, _ = colorsys.rgb_to_hsv(*half)
        assert full_s >= 0.5
        assert hue_distance(full_h, hue) < 0.01
        assert hue_distance(half_h, hue) < 0.02
        assert half_s < full_s  # lighter ink is paler, not a different colour
        # the whole full-ink block is one colour
        assert np.all(picture[10:22, 10:16] == picture[12, 12])


def test_recolour_is_deterministic_for_a_seeded_rng() -> None:
    images = ink_images()
    first = fashion_mnist.recolour(images, np.random.default_rng(42))
    second = fashion_mnist.recolour(images, np.random.default_rng(42))
    other = fashion_mnist.recolour(images, np.random.default_rng(43))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])


def test_random_colours_match_their_hues() -> None:
    colours, hues = fashion_mnist.random_colours(50, np.random.default_rng(3))
    assert colours.shape == (50, 3) and colours.dtype == np.uint8
    for colour, hue in zip(colours, hues):
        h, s, v = colorsys.rgb_to_hsv(*(colour / 255.0))
        assert hue_distance(h, hue) < 0.01
        assert s >= 0.5 and v >= 0.44
