"""`bench speed`, search part: query latency and recall at catalog sizes from 10,000 to 1,000,000 products.

Query latency is measured on synthetic clustered vectors shaped like real embeddings (see
clustered_vectors), for Annoy at several search_k settings beside exact NumPy search, with
Annoy's recall@10 against the exact answer.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.common import IndexSettings, Progress, ProgressFn, no_progress
from core.similarity import SearchIndex, build_index, normalise


@dataclass(frozen=True)
class QueryRow:
    items: int
    method: str
    p50_ms: float
    p99_ms: float
    recall_at_10: float
    build_seconds: float | None = None


def clustered_vectors(
    n: int, dim: int = 64, clusters: int = 2000, spread: float = 0.35, decay: float = 1.5, seed: int = 0
) -> np.ndarray:
    """n unit vectors around `clusters` random centres, shaped like real embeddings.

    An encoder's embeddings are far from isotropic: of the shipped encoder's vectors for the
    60,000 Fashion-MNIST training items, 8 of 64 directions hold 82% of the variance. So the
    variance along direction i falls as i**-decay (1.5 puts 82% in the first 8 and keeps a
    heavier tail than the real vectors: Annoy's recall is a little lower on these than on
    the real ones). decay 0 gives isotropic clusters, far harder than any real catalog.
    """
    rng = np.random.default_rng(seed)
    scale = (np.arange(1, dim + 1, dtype=np.float32) ** (-decay / 2)).astype(np.float32)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        noise = spread * rng.standard_normal((stop - start, dim)).astype(np.float32)
        out[start:stop] = (centres[rng.integers(0, clusters, stop - start)] + noise) * scale
    return normalise(out)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def query_latency(
    n: int,
    dim: int = 64,
    trees: int = IndexSettings.annoy_trees,
    search_ks: tuple[int, ...] = (2_000, 5_000, 10_000),
    queries: int = 300,
    progress: ProgressFn = no_progress,
) -> list[QueryRow]:
    """Exact NumPy search and Annoy (at each search_k) on n clustered vectors: latency and recall@10."""
    data = clustered_vectors(n, dim)
    probes = clustered_vectors(queries, dim, seed=1)  # same centres, new points
    exact_ids, exact_times = [], []
    for q in probes:
        started = time.perf_counter()
        scores = data @ q
        top = np.argpartition(-scores, 10)[:10]
        exact_ids.append(set(top[np.argsort(-scores[top])].tolist()))
        exact_times.append(time.perf_counter() - started)
    rows = [QueryRow(n, "exact NumPy", *_percentiles(exact_times), 1.0)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ann"
        started = time.perf_counter()
        build_index(data, path, trees=trees)
        built = time.perf_counter() - started
        index = SearchIndex(path, dim)
        for search_k in search_ks:
            times, hits = [], 0
            for q, truth in zip(probes, exact_ids):
                started = time.perf_counter()
                found = index.search(q, 10, search_k=search_k)
                times.append(time.perf_counter() - started)
                hits += len(truth & {h.position for h in found})
            rows.append(QueryRow(n, f"Annoy {trees} trees, search_k {search_k}", *_percentiles(times), hits / (10 * len(probes)), built))
            progress(Progress("bench", len(rows), len(search_ks) + 1))
        index.close()
    return rows


def format_query_table(rows: list[QueryRow]) -> str:
    lines = ["| items | method | p50 ms | p99 ms | recall@10 | index build |", "|" + " --- |" * 6]
    for r in rows:
        build = f"{r.build_seconds:.0f} s" if r.build_seconds is not None else ""
        lines.append(f"| {r.items:,} | {r.method} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.recall_at_10:.3f} | {build} |")
    return "\n".join(lines)
