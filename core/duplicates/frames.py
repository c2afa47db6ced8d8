"""Telling one photo from another by their frame prints: small grey pictures of the whole frame.

The shape embedding sees a photo trimmed to its product, so whatever is put on a photo near the
product (a sale banner, a shop's watermark) moves the trimmed frame and changes what it sees. The
frame print (core.catalog.frame_print) is untrimmed: a banner along one edge or a watermark in
one corner covers that part of it and leaves the rest pixel for pixel where it was.

- Candidates: each photo's most alike others, by the correlation of 16 x 16 prints over four
  windows that each leave out a quarter of the frame along one edge (and mirrored); and a few
  more by the correlation of 8 x 8 prints' gradients, their outlines: much more light clips a
  photo's light greys, and in a crowd of photos lit alike its own copy can rank behind them.
- A pair is scored by the correlation of the prints' gradients over the same windows (how alike
  their framing and outlines are), and by how many of the photos' pixels are off: the least share,
  over eight masks that each leave out one edge or one corner, of pixels (not the backdrop in
  either photo) further than `tolerance` grey levels from the other's after a best straight-line
  fit of brightness and contrast.

Two photos framed alike with almost no pixel off are one photo, altered. Two photos framed alike
with many pixels off are two photos, however alike their trimmed products look: the same model in
another garment, one shoe beside another of the same cut.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.common import CancelToken, Progress, ProgressFn

COARSE = 16  # pixels across the prints candidates are found by
EDGE_SHARE = 0.25  # the share of the frame along one edge a window leaves out
CORNER_SHARE = 0.4  # the share of each side a corner mask leaves out
LEAST_PIXELS = 20  # a mask with fewer pixels to compare tells nothing
_SLOPES = (0.5, 2.0)  # contrast changes beyond these are not one photo's


@dataclass(frozen=True)
class FrameScores:
    alike: np.ndarray  # (P,) gradient correlation, mirror-invariant, best window
    off: np.ndarray  # (P,) least share of pixels off, over the masks


def _windows(size: int) -> list[tuple[slice, slice]]:
    """Four windows, each leaving out EDGE_SHARE of the frame along one edge."""
    keep = size - round(size * EDGE_SHARE)
    whole = slice(None)
    return [(slice(0, keep), whole), (slice(size - keep, size), whole), (whole, slice(0, keep)), (whole, slice(size - keep, size))]


def _masks(size: int) -> np.ndarray:
    """(8, size*size) float32: the windows, then four masks each leaving out one corner."""
    masks = []
    for ys, xs in _windows(size):
        mask = np.zeros((size, size), bool)
        mask[ys, xs] = True
        masks.append(mask)
    corner = round(size * CORNER_SHARE)
    for ys in (slice(0, corner), slice(size - corner, size)):
        for xs in (slice(0, corner), slice(size - corner, size)):
            mask = np.ones((size, size), bool)
            mask[ys, xs] = False
            masks.append(mask)
    return np.stack(masks).reshape(len(masks), -1).astype(np.float32)


def _centred_units(rows: np.ndarray) -> np.ndarray:
    rows = rows.reshape(len(rows), -1).astype(np.float32)
    rows -= rows.mean(axis=1, keepdims=True)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-6)


def _gradients(prints: np.ndarray) -> np.ndarray:
    prints = prints.astype(np.float32)
    across = np.diff(prints, axis=2)[:, :-1, :]
    down = np.diff(prints, axis=1)[:, :, :-1]
    return np.concatenate([across.reshape(len(prints), -1), down.reshape(len(prints), -1)], axis=1)


def coarse(prints: np.ndarray) -> np.ndarray:
    """(N, COARSE, COARSE) float32: each print's mean grey over blocks of pixels."""
    n, size = prints.shape[:2]
    factor = size // COARSE
    blocks = prints[:, : COARSE * factor, : COARSE * factor].reshape(n, COARSE, factor, COARSE, factor)
    return blocks.mean(axis=(2, 4), dtype=np.float32)


def _grey_views(small: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The coarse prints over the four windows, as they are and mirrored."""
    return [(_centred_units(small[:, ys, xs]), _centred_units(small[:, :, ::-1][:, ys, xs])) for ys, xs in _windows(COARSE)]


def _outline_view(small: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The gradients of the coarse prints halved again, whole, as they are and mirrored: much more light clips a
    photo's greys, not its outlines (at 8 x 8 they cost a fifth of 16 x 16's, with the same figures on the bench sets)."""
    small = small.reshape(len(small), COARSE // 2, 2, COARSE // 2, 2).mean(axis=(2, 4))
    return [(_centred_units(_gradients(small)), _centred_units(_gradients(small[:, :, ::-1])))]


def _most_alike(
    views: list[tuple[np.ndarray, np.ndarray]], count: int, block: int, progress: ProgressFn, cancel: CancelToken,
    done_before: int = 0, total: int | None = None,
) -> np.ndarray:
    """(M, 2) each row with its `count` most alike others by the best of the views (progress counts on from
    `done_before` of `total`, the rows by default)."""
    n = len(views[0][0])
    found = []
    for start in range(0, n, block):
        cancel.raise_if_cancelled()
        stop = min(n, start + block)
        scores = np.full((stop - start, n), -2.0, np.float32)
        for plain, mirrored in views:
            np.maximum(scores, plain[start:stop] @ plain.T, out=scores)
            np.maximum(scores, plain[start:stop] @ mirrored.T, out=scores)
        scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        best = np.argpartition(-scores, count - 1, axis=1)[:, :count]
        found.append(np.stack([np.repeat(np.arange(start, stop), count), best.ravel()], axis=1))
        progress(Progress("frames", done_before + stop, total or n))
    return np.concatenate(found)


def candidates(
    prints: np.ndarray, rows: np.ndarray, count: int, block: int, progress: ProgressFn, cancel: CancelToken,
    outline_count: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), a < b: pairs of `rows` where either is among the other's `count` most alike by coarse print
    (or its `outline_count` most alike by the coarse print's outlines)."""
    small = coarse(prints[rows])
    n = len(rows)
    count, outline_count = min(count, n - 1), min(outline_count, n - 1)
    if count < 1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    total = 2 * n if outline_count > 0 else n
    found = [_most_alike(_grey_views(small), count, block, progress, cancel, total=total)]
    if outline_count > 0:
        found.append(_most_alike(_outline_view(small), outline_count, block, progress, cancel, n, total))
    pairs = np.unique(np.sort(np.concatenate(found), axis=1), axis=0)  # (a photo is never its own candidate)
    return rows[pairs[:, 0]], rows[pairs[:, 1]]


def score_pairs(
    prints: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    tolerance: float,
    threshold: int,
    off_from: float | np.ndarray = -1.0,
    chunk: int = 4096,
) -> FrameScores:
    """How alike the frames of photos a[i] and b[i] are (see the module's docstring); b is also compared mirrored.

    The share of pixels off is worked out only for pairs at least `off_from` alike (the others get 1.0;
    one value for every pair, or one each).
    """
    alike = _alike(prints, a, b, chunk)
    off = np.ones(len(a), np.float32)
    check = np.flatnonzero(alike >= off_from)
    masks = _masks(prints.shape[1])
    for start in range(0, len(check), chunk):
        rows = check[start : start + chunk]
        x, y = prints[a[rows]], prints[b[rows]]
        x_back, y_back = backdrop(x), backdrop(y)
        off[rows] = np.minimum(
            _off_share(x, y, x_back, y_back, masks, tolerance, threshold),
            _off_share(x, y[:, :, ::-1], x_back, y_back, masks, tolerance, threshold),
        )
    return FrameScores(alike, off)


def _alike(prints: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int) -> np.ndarray:
    """(P,) the best gradient correlation of print a[i] with print b[i] or its mirror image, over the windows."""
    best = np.full(len(a), -2.0, np.float32)
    if not len(a):
        return best
    used, where = np.unique(np.concatenate([a, b]), return_inverse=True)  # each photo's gradients worked out once
    first, second = where[: len(a)], where[len(a) :]
    shown = prints[used]
    for ys, xs in _windows(prints.shape[1]):
        plain = _centred_units(_gradients(shown[:, ys, xs]))
        mirrored = _centred_units(_gradients(shown[:, :, ::-1][:, ys, xs]))
        for start in range(0, len(a), chunk):
            part = slice(start, start + chunk)
            x = plain[first[part]]
            for other in (plain, mirrored):
                np.maximum(best[part], np.einsum("ij,ij->i", x, other[second[part]]), out=best[part])
    return best


def backdrop(prints: np.ndarray) -> np.ndarray:
    """(P,) each print's backdrop grey: the median of its outermost pixels."""
    border = np.concatenate([prints[:, 0], prints[:, -1], prints[:, :, 0], prints[:, :, -1]], axis=1)
    return np.median(border, axis=1).astype(np.float32)


def _off_share(
    x: np.ndarray, y: np.ndarray, x_back: np.ndarray, y_back: np.ndarray, masks: np.ndarray, tolerance: float, threshold: int
) -> np.ndarray:
    """(P,) the least share over the masks of compared pixels off by more than `tolerance` after a straight-line fit."""
    x = x.reshape(len(x), -1).astype(np.float32)
    y = y.reshape(len(y), -1).astype(np.float32)
    shown = ((np.abs(x - x_back[:, None]) > threshold) | (np.abs(y - y_back[:, None]) > threshold)).astype(np.float32)
    least = np.full(len(x), np.inf, np.float32)
    for mask in masks:
        least = np.minimum(least, fitted_off(x, y, shown * mask, tolerance, LEAST_PIXELS))
    return least


def fitted_off(x: np.ndarray, y: np.ndarray, weight: np.ndarray, tolerance: float, least: float) -> np.ndarray:
    """(P,) the share of the pixels `weight` counts where y is more than `tolerance` from a straight-line
    fit of x (brightness and contrast); 1.0 where it counts fewer than `least`."""
    count = weight.sum(axis=1)
    safe = np.maximum(count, 1.0)
    dx = x - ((weight * x).sum(axis=1) / safe)[:, None]
    dy = y - ((weight * y).sum(axis=1) / safe)[:, None]
    slope = np.clip((weight * dx * dy).sum(axis=1) / np.maximum((weight * dx * dx).sum(axis=1), 1e-6), *_SLOPES)
    share = (weight * (np.abs(dy - slope[:, None] * dx) > tolerance)).sum(axis=1) / safe
    return np.where(count >= least, share, 1.0).astype(np.float32)
