"""Many items' nearest neighbours at once, for making every list of a catalog.

A search per item through Annoy costs a Python call and a tree walk each. Here blocks of queries
are scored against the catalog by one matrix product, and each row's best are picked by a
partial sort, in two threads (NumPy lets go of the interpreter lock for both). Up to
`EXACT_LIMIT` items every item is scored; above it the catalog is split into clusters by
spherical k-means into clusters of about `CLUSTER_SIZE` and a query is scored against the members
of the `PROBES` clusters nearest its own (its own among them), some 12,000 photos whatever the
size of the catalog, which keeps the cost per query flat as the catalog grows.
Tied scores go by item id, as in every search.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from core.common import CancelToken, Progress, ProgressFn, no_progress

# Scores equal to this many decimals (what the JSON output shows) count as tied; ties go by item id,
# so the order never depends on the index's internals or on a machine's last bits of rounding.
SCORE_DECIMALS = 6
EXACT_LIMIT = 20_000
CLUSTER_SIZE = 250  # photos a cluster holds on average, above the exact limit
PROBES = 48  # clusters a query is scored against: its own and the nearest others
THREADS = 2
_KMEANS_ROUNDS = 8
_KMEANS_SAMPLE_PER_CLUSTER = 32


def _cluster_count(n: int) -> int:
    return 1 if n <= EXACT_LIMIT else max(PROBES, round(n / CLUSTER_SIZE))


def spherical_kmeans(
    vectors: np.ndarray,
    clusters: int,
    seed: int = 1,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(centroids, the cluster of each row) of unit-length rows, by cosine, on a sample of rows.

    Reports a "cluster" step per round and one for placing every row; stops between steps when cancelled.
    """
    rng = np.random.default_rng(seed)
    sample_size = min(len(vectors), clusters * _KMEANS_SAMPLE_PER_CLUSTER)
    sample = vectors[np.sort(rng.choice(len(vectors), sample_size, replace=False))]
    centroids = sample[rng.choice(sample_size, clusters, replace=False)].copy()
    steps = _KMEANS_ROUNDS + 1
    for step in range(_KMEANS_ROUNDS):
        progress(Progress("cluster", step, steps))
        if cancel is not None:
            cancel.raise_if_cancelled()
        nearest = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        centroids = np.where(empty[:, None], centroids, sums / np.where(norms == 0, 1, norms))
    progress(Progress("cluster", _KMEANS_ROUNDS, steps))
    assignment = np.empty(len(vectors), np.int64)
    for start in range(0, len(vectors), 65_536):
        if cancel is not None:
            cancel.raise_if_cancelled()
        assignment[start : start + 65_536] = np.argmax(vectors[start : start + 65_536] @ centroids.T, axis=1)
    progress(Progress("cluster", steps, steps))
    return centroids.astype(np.float32), assignment


class NeighbourTable:
    """The vectors of a catalog's items, ready to answer many nearest-neighbour queries at once.

    `vectors` rows are compared by dot product (unit-length rows: cosine); `ids` are the items'
    ids, which break ties and are what answers name.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        ids: np.ndarray,
        threads: int = THREADS,
        progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None,
    ) -> None:
        self.vectors = np.ascontiguousarray(vectors, np.float32)
        self.ids = np.asarray(ids, np.int64)
        self.threads = threads
        self.row_of = {int(item_id): row for row, item_id in enumerate(self.ids.tolist())}
        clusters = _cluster_count(len(self.ids))
        if clusters == 1:
            self.cluster = np.zeros(len(self.ids), np.int64)
            self._members = [np.arange(len(self.ids))]
            self._probes = np.zeros((1, 1), np.int64)
        else:
            centroids, self.cluster = spherical_kmeans(self.vectors, clusters, progress=progress, cancel=cancel)
            order = np.argsort(self.cluster, kind="stable")
            self._members = np.split(order, np.cumsum(np.bincount(self.cluster, minlength=clusters))[:-1])
            self._probes = np.argsort(-(centroids @ centroids.T), axis=1, kind="stable")[:, :PROBES]

    def locality_order(self, item_ids: list[int]) -> list[int]:
        """`item_ids` reordered so that queries scored against the same candidates come together."""
        return sorted(item_ids, key=lambda i: (int(self.cluster[self.row_of[i]]), i) if i in self.row_of else (-1, i))

    def neighbours(self, item_ids: list[int], n: int, cancel: CancelToken | None = None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{item id: (ids, scores) of its n nearest other items, best first} for every known id in `item_ids`."""
        rows = np.array([self.row_of[i] for i in item_ids if i in self.row_of], np.int64)
        result: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if not len(rows) or n <= 0:
            return result
        tasks = []
        for cluster in np.unique(self.cluster[rows]):
            own = rows[self.cluster[rows] == cluster]
            chunk = max(1, -(-len(own) // self.threads)) if len(own) >= 64 else len(own)
            candidates = np.sort(np.concatenate([self._members[p] for p in self._probes[cluster]]))
            tasks += [(own[s : s + chunk], candidates) for s in range(0, len(own), chunk)]
        with ThreadPoolExecutor(self.threads) as pool:
            for queries, (ids, scores) in zip((t[0] for t in tasks), pool.map(lambda t: self._score(t[0], t[1], n), tasks)):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                for row, found_ids, found_scores in zip(queries.tolist(), ids, scores):
                    result[int(self.ids[row])] = (found_ids, found_scores)
        return result

    def _score(self, queries: np.ndarray, candidates: np.ndarray, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The n best candidates of each query row (never itself), ties by item id."""
        scores = self.vectors[queries] @ self.vectors[candidates].T
        candidate_ids = self.ids[candidates]
        own = np.searchsorted(candidates, queries)
        inside = (own < len(candidates)) & (candidates[np.minimum(own, len(candidates) - 1)] == queries)
        scores[np.flatnonzero(inside), own[inside]] = -np.inf
        n = min(n, len(candidates))
        take = min(n + 1, len(candidates))
        top = np.argpartition(scores, len(candidates) - take, axis=1)[:, len(candidates) - take :]
        top_scores = np.take_along_axis(scores, top, axis=1)
        top_ids = candidate_ids[top]
        rounded = np.round(top_scores.astype(np.float64), SCORE_DECIMALS)
        order = np.lexsort((top_ids, -rounded), axis=1)
        top_ids = np.take_along_axis(top_ids, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        rounded = np.take_along_axis(rounded, order, axis=1)
        ids_out, scores_out = [], []
        for r in range(len(queries)):
            if take > n and n > 0 and rounded[r, n] == rounded[r, n - 1]:
                ids_r, scores_r = self._tied_row(scores[r], candidate_ids, n)  # ties at the cut: decide among all of them
            else:
                ids_r, scores_r = top_ids[r, :n], top_scores[r, :n]
            keep = np.isfinite(scores_r)
            ids_out.append(ids_r[keep])
            scores_out.append(scores_r[keep])
        return ids_out, scores_out

    @staticmethod
    def _tied_row(scores: np.ndarray, candidate_ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        rounded = np.round(scores.astype(np.float64), SCORE_DECIMALS)
        order = np.lexsort((candidate_ids, -rounded))[:n]
        return candidate_ids[order], scores[order]
