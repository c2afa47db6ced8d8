"""A classical baseline for the quality benchmark: histograms of oriented gradients (Dalal and Triggs).

Unsigned orientations in 9 bins, cells of 16 pixels on a 128-pixel grey square, 2x2 cells per
block, each block L2-normalised, clipped at 0.2 and normalised again.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

SIDE = 128
CELL = 16
BINS = 9
BLOCK = 2


def _grey(squares: np.ndarray, side: int) -> np.ndarray:
    if squares.shape[1] == side:
        return squares.astype(np.float32).mean(axis=3) / 255.0
    resized = [np.asarray(Image.fromarray(s).convert("L").resize((side, side), Image.Resampling.BILINEAR)) for s in squares]
    return np.stack(resized).astype(np.float32) / 255.0


def hog_descriptors(squares: np.ndarray, side: int = SIDE, cell: int = CELL, bins: int = BINS, block: int = BLOCK) -> np.ndarray:
    """(N, blocks * block**2 * bins) HOG descriptors of (N,S,S,3) uint8 squares."""
    grey = _grey(squares, side)
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, :, 1:-1] = grey[:, :, 2:] - grey[:, :, :-2]
    gy[:, 1:-1, :] = grey[:, 2:, :] - grey[:, :-2, :]
    magnitude = np.hypot(gx, gy)
    position = np.mod(np.arctan2(gy, gx), np.pi) / np.pi * bins  # unsigned, in bins
    low = np.floor(position).astype(np.int64) % bins
    upper_share = position - np.floor(position)  # each gradient votes into its two nearest bins
    n, cells = len(grey), side // cell
    used = cells * cell

    def by_cell(a: np.ndarray) -> np.ndarray:
        return a[:, :used, :used].reshape(n, cells, cell, cells, cell)

    mag, lo, share = by_cell(magnitude), by_cell(low), by_cell(upper_share)
    hist = np.zeros((n, cells, cells, bins), np.float32)
    for b in range(bins):
        hist[..., b] = (mag * (1 - share) * (lo == b) + mag * share * ((lo + 1) % bins == b)).sum(axis=(2, 4))
    blocks = []
    for i in range(cells - block + 1):
        for j in range(cells - block + 1):
            v = hist[:, i : i + block, j : j + block].reshape(n, -1)
            v = v / np.sqrt((v * v).sum(axis=1, keepdims=True) + 1e-6)
            v = np.minimum(v, 0.2)
            blocks.append(v / np.sqrt((v * v).sum(axis=1, keepdims=True) + 1e-6))
    return np.concatenate(blocks, axis=1)
