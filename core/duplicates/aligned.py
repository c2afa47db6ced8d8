"""Telling one photo from another when one of them was cropped, zoomed or turned a little.

A crop or a small turn moves every pixel of the frame print (core.catalog.frame_print), so the
frames of the two photos no longer line up and core.duplicates.frames cannot speak for them. Here
one print is zoomed and turned by each of a few small steps (up to 9% and 4 degrees) before the
pixels are compared: the share of pixels off (not the backdrop in either photo, and inside both
frames) after a best straight-line fit of brightness and contrast, the least over the steps and
over which photo is moved. One photo altered so comes out with almost no pixel off at one step;
two photos, however alike, stay apart at all of them.

The prints can first be smoothed over 3 x 3 pixels: resampled a little differently, a fine
texture (stripes, a knit) lands on other pixels of a 32 x 32 print and would count as off. A
pattern that tells two products apart (dots on one, none on the other) smooths away too, so a
caller compares smoothed prints and then checks the pairs found so on the prints as they are.
The steps are first tried on 16 x 16 prints, and only each pair's best few are then checked at full size.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.duplicates.frames import COARSE, backdrop, coarse, fitted_off

ZOOMS = (1.0, 1.045, 1.09)  # how much one print is enlarged about its centre
TURNS = (-4.0, -2.0, 0.0, 2.0, 4.0)  # degrees it is turned
KEEP = 4  # the best this many tries of each pair are checked at full size
LEAST_PIXELS = 20  # of 32 x 32: fewer pixels to compare tell nothing


def _smoothed(prints: np.ndarray) -> np.ndarray:
    """(N, size, size) float32: each print's mean over the 3 x 3 pixels around each pixel (edges repeated)."""
    size = prints.shape[1]
    padded = np.pad(prints.astype(np.float32, copy=False), ((0, 0), (1, 1), (1, 1)), mode="edge")
    return sum(padded[:, y : y + size, x : x + size] for y in range(3) for x in range(3)) / np.float32(9)


@dataclass(frozen=True)
class _Step:
    """One zoom and turn as bilinear sampling: four source pixels and weights per target pixel."""

    taps: tuple[np.ndarray, ...]  # (size*size,) source indices
    weights: tuple[np.ndarray, ...]  # (size*size,) float32
    inside: np.ndarray  # (size*size,) float32: 1 where the moved print has a pixel

    def apply(self, flat: np.ndarray) -> np.ndarray:
        return sum(flat[:, tap] * weight for tap, weight in zip(self.taps, self.weights))


@lru_cache(maxsize=4)
def _steps(size: int) -> tuple[_Step, ...]:
    """Every zoom and turn."""
    return tuple(_step(size, zoom, turn) for zoom in ZOOMS for turn in TURNS)


def _step(size: int, zoom: float, turn: float) -> _Step:
    centre = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) - centre
    angle = np.deg2rad(turn)
    source_y = (np.cos(angle) * y + np.sin(angle) * x) / zoom + centre
    source_x = (np.cos(angle) * x - np.sin(angle) * y) / zoom + centre
    inside = (source_y >= 0) & (source_y <= size - 1) & (source_x >= 0) & (source_x <= size - 1)
    source_y, source_x = np.clip(source_y, 0, size - 1), np.clip(source_x, 0, size - 1)
    top = np.minimum(np.floor(source_y).astype(np.int64), size - 2)
    left = np.minimum(np.floor(source_x).astype(np.int64), size - 2)
    down, across = (source_y - top).ravel(), (source_x - left).ravel()
    top, left = top.ravel(), left.ravel()
    taps = (top * size + left, top * size + left + 1, (top + 1) * size + left, (top + 1) * size + left + 1)
    weights = ((1 - down) * (1 - across), (1 - down) * across, down * (1 - across), down * across)
    return _Step(taps, tuple(w.astype(np.float32) for w in weights), inside.ravel().astype(np.float32))


def _off_share(x: np.ndarray, y: np.ndarray, inside: np.ndarray, x_back: np.ndarray, y_back: np.ndarray, tolerance: float, threshold: float) -> np.ndarray:
    """(P,) share of the pixels inside both frames, not backdrop in either, off after the fit (1.0 with too few)."""
    shown = ((np.abs(x - x_back[:, None]) > threshold) | (np.abs(y - y_back[:, None]) > threshold)) * inside
    return fitted_off(x, y, shown, tolerance, LEAST_PIXELS * x.shape[1] / 1024)


def aligned_off(
    prints: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    tolerance: float,
    threshold: float,
    chunk: int = 2048,
    smooth: bool = True,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """(P,) the least share of pixels off between prints a[i] and b[i] over the zooms and turns of either (both `smooth`ed, or not)."""
    size = prints.shape[1]
    off = np.ones(len(a), np.float32)
    coarse_steps, fine_steps = _steps(COARSE), _steps(size)
    for start in range(0, len(a), chunk):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(Progress("aligned", start, len(a)))
        part = slice(start, start + chunk)
        first, second = prints[a[part]].astype(np.float32), prints[b[part]].astype(np.float32)
        if smooth:
            first, second = _smoothed(first), _smoothed(second)
        x_back, y_back = backdrop(first), backdrop(second)
        x, y = coarse(first).reshape(len(first), -1), coarse(second).reshape(len(second), -1)  # the steps tried first
        tries = []  # step by step: the second photo moved, then the first
        for step in coarse_steps:
            tries.append(_off_share(x, step.apply(y), step.inside, x_back, y_back, tolerance, threshold))
            tries.append(_off_share(step.apply(x), y, step.inside, x_back, y_back, tolerance, threshold))
        tried = np.stack(tries)
        shortlist = np.argsort(tried, axis=0, kind="stable")[:KEEP]  # (KEEP, P): the best tries of each pair
        x, y = first.reshape(len(first), -1), second.reshape(len(second), -1)
        found = np.ones(len(x), np.float32)
        for choice in np.unique(shortlist):
            rows = np.flatnonzero((shortlist == choice).any(axis=0))
            step = fine_steps[choice // 2]
            fixed, moved = (x[rows], step.apply(y[rows])) if choice % 2 == 0 else (step.apply(x[rows]), y[rows])
            shares = _off_share(fixed, moved, step.inside, x_back[rows], y_back[rows], tolerance, threshold)
            found[rows] = np.minimum(found[rows], shares)
        off[part] = found
    progress(Progress("aligned", len(a), len(a)))
    return off
