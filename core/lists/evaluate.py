"""Scoring recommendation quality against known categories."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class Quality:
    precision_at_1: float
    precision_at_k: float
    k: int
    queries: int


def precision(lists: Mapping[str, Sequence[str]], labels: Mapping[str, str], k: int) -> Quality:
    """Share of each list's first k (and first 1) entries with the query's label, averaged over queries.

    `lists` maps a query key to its ranked result keys; queries without a label are skipped.
    """
    p1 = pk = 0.0
    counted = 0
    for query, results in lists.items():
        label = labels.get(query)
        if label is None or not results:
            continue
        top = list(results)[:k]
        pk += sum(labels.get(r) == label for r in top) / k
        p1 += labels.get(top[0]) == label
        counted += 1
    if counted == 0:
        return Quality(0.0, 0.0, k, 0)
    return Quality(p1 / counted, pk / counted, k, counted)


@dataclass(frozen=True)
class RetrievalQuality:
    """How well nearest neighbours by cosine similarity share the query's label, and its hue."""

    precision_at_1: float
    precision_at_10: float
    map_at_10: float
    colour_leakage: float  # share of the top 10 in the query's dominant hue bin
    leakage_chance: float  # the same share if neighbours were drawn at random
    queries: int


def nearest(vectors: np.ndarray, k: int, chunk: int = 1024) -> np.ndarray:
    """(N, k) indices of each row's k most cosine-similar other rows, best first (exact)."""
    unit = vectors.astype(np.float32)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    out = np.empty((len(unit), k), np.int64)
    for start in range(0, len(unit), chunk):
        sims = unit[start : start + chunk] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        out[start : start + chunk] = np.take_along_axis(top, order, axis=1)
    return out


def retrieval_quality(vectors: np.ndarray, labels: np.ndarray, hue_bins: np.ndarray | None = None, k: int = 10) -> RetrievalQuality:
    """precision@1, precision@k, mAP@k and colour leakage of exact cosine k-NN, every item a query."""
    labels = np.asarray(labels)
    neighbours = nearest(vectors, k)
    hits = labels[neighbours] == labels[:, None]
    ranks = np.arange(1, k + 1)
    relevant = np.array([np.sum(labels == label) - 1 for label in labels])
    ap = (np.cumsum(hits, axis=1) / ranks * hits).sum(axis=1) / np.maximum(np.minimum(relevant, k), 1)
    leakage = chance = float("nan")
    if hue_bins is not None:
        hue_bins = np.asarray(hue_bins)
        coloured = hue_bins >= 0
        same_hue = hue_bins[neighbours] == hue_bins[:, None]
        leakage = float(same_hue[coloured].mean())
        shares = np.bincount(hue_bins[coloured]) / coloured.sum()
        chance = float(np.sum(shares**2))
    return RetrievalQuality(float(hits[:, 0].mean()), float(hits.mean()), float(ap.mean()), leakage, chance, len(labels))
