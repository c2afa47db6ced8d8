"""Candidate pairs by frame prints: small grey pictures of the whole frame.

The shape embedding sees a photo trimmed to its product, so whatever is put on a photo near the
product (a sale banner, a shop's watermark) moves the trimmed frame and changes what it sees. The
frame print (core.catalog.frame_print) is untrimmed: a banner along one edge or a watermark in
one corner covers that part of it and leaves the rest where it was. Each photo's candidates are its
most alike others by the correlation of 16 x 16 prints over four windows that each leave out a
quarter of the frame along one edge (and mirrored), and a few more by the correlation of 8 x 8
prints' gradients, their outlines: much more light clips a photo's light greys, and in a crowd of
photos lit alike its own copy can rank behind them. Registration (core.duplicates.registration)
then decides.
"""
from __future__ import annotations

import numpy as np

from core.common import CancelToken, Progress, ProgressFn

COARSE = 16  # pixels across the prints candidates are found by
EDGE_SHARE = 0.25  # the share of the frame along one edge a window leaves out


def _windows(size: int) -> list[tuple[slice, slice]]:
    """Four windows, each leaving out EDGE_SHARE of the frame along one edge."""
    keep = size - round(size * EDGE_SHARE)
    whole = slice(None)
    return [(slice(0, keep), whole), (slice(size - keep, size), whole), (whole, slice(0, keep)), (whole, slice(size - keep, size))]


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
