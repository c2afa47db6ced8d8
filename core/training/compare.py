"""Comparing two encoders on a catalog's own photos, without labels.

The check: alter a sample of the catalog's photos a little (a crop, a flip, a brighter or darker
exposure: the same product, shot again), and see how many of each photo's ten nearest
neighbours its altered copy still finds. An encoder that has learnt what tells products apart
keeps neighbourhoods steady; one that matches on accidents of framing does not. On the 2,811
labelled studio photos of BENCHMARKS.md it ranks the encoders and baselines measured there in
the order of their precision by article type, but for two near in quality, and it ranks
a barely trained encoder below the default on demo catalogs of 120 photos and more.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance

from core.common import CancelToken
from core.similarity import OnnxEncoder

NEIGHBOURS = 10
# Below this many photos ten neighbours are a large share of the catalog, and the check cannot
# tell a trained encoder from an untrained one (measured on demo catalogs of 60 to 240 photos).
MIN_PHOTOS = 100


@dataclass(frozen=True)
class Comparison:
    """Neighbourhood stability (share of the top 10 an altered copy keeps) of the new encoder and the one in use."""

    new: float
    in_use: float
    photos: int

    @property
    def conclusive(self) -> bool:
        return self.photos >= MIN_PHOTOS

    @property
    def new_is_better(self) -> bool:
        return self.conclusive and self.new > self.in_use

    def describe(self) -> str:
        if not self.conclusive:
            return f"{self.photos} photos are too few to compare encoders on (the check needs {MIN_PHOTOS})"
        return (f"neighbourhoods kept under small changes of the photo: {self.new:.1%} with the new encoder, "
                f"{self.in_use:.1%} with the one in use ({self.photos} photos)")


def altered(squares: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each square re-shot: a random crop of 60-100% of its area, mirrored half the time, exposure +-15%."""
    rng = np.random.default_rng(seed)
    side = squares.shape[1]
    out = np.empty_like(squares)
    for i, square in enumerate(squares):
        area, aspect = rng.uniform(0.6, 1.0), np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w = min(side, int(round(side * np.sqrt(area * aspect))))
        h = min(side, int(round(side * np.sqrt(area / aspect))))
        x, y = int(rng.integers(0, side - w + 1)), int(rng.integers(0, side - h + 1))
        image = Image.fromarray(square).crop((x, y, x + w, y + h)).resize((side, side), Image.Resampling.BILINEAR)
        if rng.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        out[i] = np.asarray(ImageEnhance.Brightness(image).enhance(rng.uniform(0.85, 1.15)))
    return out


def _fitted(squares: np.ndarray, size: int) -> np.ndarray:
    if squares.shape[1] == size:
        return squares
    return np.stack([np.asarray(Image.fromarray(s).resize((size, size), Image.Resampling.BILINEAR)) for s in squares])


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def neighbourhood_stability(encoder: OnnxEncoder, squares: np.ndarray, copies: np.ndarray, queries: np.ndarray) -> float:
    """Mean share of each query photo's 10 nearest others that its altered copy also has among its 10 nearest."""
    size = encoder.input_size
    base = _unit(encoder.embed(_fitted(squares, size)))
    moved = _unit(encoder.embed(_fitted(copies, size)))
    k = min(NEIGHBOURS, len(base) - 1)
    original = base[queries] @ base.T
    original[np.arange(len(queries)), queries] = -np.inf  # a photo is not its own neighbour
    shifted = moved @ base.T
    shifted[np.arange(len(queries)), queries] = -np.inf
    before = np.argpartition(-original, k, axis=1)[:, :k]
    after = np.argpartition(-shifted, k, axis=1)[:, :k]
    return float(np.mean([len(np.intersect1d(a, b)) / k for a, b in zip(before, after)]))


def compare_encoders(new: OnnxEncoder, in_use: OnnxEncoder, squares: np.ndarray, sample: int = 3000, queries: int = 600,
                     seed: int = 0, cancel: CancelToken | None = None) -> Comparison:
    """Both encoders checked on the same photos and the same altered copies (a sample of a large catalog)."""
    rng = np.random.default_rng(seed)
    if len(squares) > sample:
        squares = squares[np.sort(rng.choice(len(squares), sample, replace=False))]
    picked = np.sort(rng.choice(len(squares), min(queries, len(squares)), replace=False))
    copies = altered(squares[picked], seed)
    if cancel is not None:
        cancel.raise_if_cancelled()
    scores = [neighbourhood_stability(encoder, squares, copies, picked) for encoder in (new, in_use)]
    return Comparison(scores[0], scores[1], len(squares))
