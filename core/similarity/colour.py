"""A product's colours, apart from its shape: a small histogram of its foreground's hues and greys.

The shape embedding deliberately ignores hue; this descriptor is what a user's "match by
colour" weight blends back in. Computed from the same trimmed square the encoder sees, so
the background (taken from the square's border) is left out.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from core.catalog import differs_from

HUE_BINS = 12
GREY_BINS = 3  # dark, mid, light for pixels with too little colour to have a hue
DIMENSIONS = HUE_BINS + GREY_BINS
FOREGROUND_THRESHOLD = 24  # 0-255: how far from the background colour a product pixel is
MIN_SATURATION = 0.2
MIN_VALUE = 0.15


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in [0,1), saturation and value in [0,1] of (..., 3) uint8 pixels."""
    x = rgb.astype(np.float32) / 255.0
    high, low = x.max(axis=-1), x.min(axis=-1)
    chroma = high - low
    safe = np.where(chroma > 0, chroma, 1.0)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    hue = np.where(high == r, ((g - b) / safe) % 6.0, np.where(high == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = np.where(chroma > 0, hue / 6.0, 0.0) % 1.0
    saturation = np.where(high > 0, chroma / np.where(high > 0, high, 1.0), 0.0)
    return hue, saturation, high


def foreground_masks(squares: np.ndarray) -> np.ndarray:
    """(N,S,S) bool: pixels of (N,S,S,3) squares that differ from their own border colour."""
    border = np.concatenate([squares[:, 0], squares[:, -1], squares[:, :, 0], squares[:, :, -1]], axis=1)
    background = np.median(border, axis=1)
    masks = differs_from(squares, background[:, None, None, :], FOREGROUND_THRESHOLD)
    masks[~masks.any(axis=(1, 2))] = True  # nothing stands out: describe the whole picture
    return masks


def _exact_bins(pixels: np.ndarray) -> np.ndarray:
    """Each pixel's histogram bin: a hue bin for coloured pixels, a grey bin for the rest."""
    hue, saturation, value = _hsv(pixels)
    chromatic = (saturation >= MIN_SATURATION) & (value >= MIN_VALUE)
    hue_bin = np.minimum((hue * HUE_BINS).astype(np.int64), HUE_BINS - 1)
    grey_bin = HUE_BINS + np.minimum((value * GREY_BINS).astype(np.int64), GREY_BINS - 1)
    return np.where(chromatic, hue_bin, grey_bin)


LUT_BITS = 6  # per channel: the bin of every colour, at 6 bits a channel, fits in 256 KiB


@functools.cache
def _bin_table() -> np.ndarray:
    """The bin of every colour quantised to LUT_BITS per channel, indexed by its packed value."""
    step = 1 << (8 - LUT_BITS)
    levels = np.arange(0, 256, step, dtype=np.uint8) + step // 2
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1)
    return _exact_bins(grid.reshape(-1, 3)).astype(np.uint8)


def _bins(squares: np.ndarray) -> np.ndarray:
    """`_exact_bins` through the lookup table: several times faster, the same up to quantisation."""
    q = (squares >> (8 - LUT_BITS)).astype(np.int32)
    return _bin_table()[(q[..., 0] << (2 * LUT_BITS)) | (q[..., 1] << LUT_BITS) | q[..., 2]]


def colour_descriptors(squares: np.ndarray) -> np.ndarray:
    """(N, DIMENSIONS) float32 rows of unit length: square roots of each foreground's colour shares."""
    n = len(squares)
    if n == 0:
        return np.zeros((0, DIMENSIONS), np.float32)
    squares = squares[:, ::2, ::2]  # colour shares need no fine detail
    masks = foreground_masks(squares)
    flat = (np.arange(n)[:, None, None] * DIMENSIONS + _bins(squares))[masks]
    histogram = np.bincount(flat, minlength=n * DIMENSIONS).reshape(n, DIMENSIONS).astype(np.float32)
    shares = np.sqrt(histogram / histogram.sum(axis=1, keepdims=True))
    return shares / np.linalg.norm(shares, axis=1, keepdims=True)


def colour_descriptor(square: np.ndarray) -> np.ndarray:
    """The descriptor of one (S,S,3) square."""
    return colour_descriptors(square[None])[0]


@dataclass(frozen=True)
class Swatch:
    """One of a product's main colours: the average of its foreground pixels in one descriptor bin."""

    rgb: tuple[int, int, int]
    share: float  # of the foreground, 0-1: the bin's descriptor value squared
    bin: int  # the descriptor's dimension: a hue bin, then the grey bins


def main_colours(square: np.ndarray, most: int = 5) -> list[Swatch]:
    """The `most` largest bins of one (S,S,3) square's descriptor, largest first, each with its pixels' average colour."""
    pixels = square[::2, ::2]  # sampled as `colour_descriptors` samples it, so shares are its values squared
    mask = foreground_masks(pixels[None])[0]
    bins = _bins(pixels)[mask]
    chosen = pixels[mask].astype(np.float64)
    counts = np.bincount(bins, minlength=DIMENSIONS)
    sums = np.stack([np.bincount(bins, weights=chosen[:, c], minlength=DIMENSIONS) for c in range(3)], axis=1)
    order = sorted(np.flatnonzero(counts).tolist(), key=lambda b: (-counts[b], b))[:most]
    total = float(counts.sum())
    return [Swatch(tuple(int(round(v)) for v in sums[b] / counts[b]), float(counts[b] / total), b) for b in order]  # type: ignore[arg-type]


def dominant_hue_bin(square: np.ndarray, bins: int = 8) -> int:
    """The hue bin (of `bins`) holding most of the foreground's coloured pixels; -1 if it has none."""
    hue, saturation, value = _hsv(square[foreground_masks(square[None])[0]])
    coloured = (saturation >= MIN_SATURATION) & (value >= MIN_VALUE)
    if not coloured.any():
        return -1
    return int(np.bincount(np.minimum((hue[coloured] * bins).astype(int), bins - 1), minlength=bins).argmax())
