import numpy as np
import pytest

from core.common import Cancelled, CancelToken
from core.similarity import neighbours
from core.similarity.neighbours import NeighbourTable, spherical_kmeans


def _clustered(n: int, dim: int = 16, centres: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim))
    vectors = middle[rng.integers(0, centres, n)] + 0.35 * rng.standard_normal((n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _exact(vectors: np.ndarray, ids: np.ndarray, row: int, n: int) -> list[int]:
    scores = (vectors @ vectors[row]).astype(np.float64)
    scores[row] = -np.inf
    order = np.lexsort((ids, -np.round(scores, 6)))
    return ids[order[:n]].tolist()


def test_each_item_gets_its_exact_nearest_others_best_first():
    vectors = _clustered(300)
    ids = np.arange(300) * 7 + 3  # ids are not rows
    table = NeighbourTable(vectors, ids)
    found = table.neighbours(ids.tolist(), 12)
    assert sorted(found) == sorted(ids.tolist())
    for row, item in enumerate(ids.tolist()):
        got, scores = found[item]
        assert got.tolist() == _exact(vectors, ids, row, 12)
        assert item not in got.tolist()
        assert np.all(np.diff(scores) <= 1e-6)
        assert scores[0] == pytest.approx(float(vectors[row] @ vectors[table.row_of[int(got[0])]]), abs=1e-6)


def test_tied_scores_go_by_item_id_even_beyond_the_cut():
    rng = np.random.default_rng(3)
    base = rng.standard_normal(8)
    copies = np.tile(base / np.linalg.norm(base), (30, 1))  # thirty identical photos
    others = rng.standard_normal((20, 8))
    vectors = np.vstack([copies, others / np.linalg.norm(others, axis=1, keepdims=True)]).astype(np.float32)
    ids = rng.permutation(np.arange(100, 150))
    table = NeighbourTable(vectors, ids)
    copy_ids = sorted(ids[:30].tolist())
    for item in ids[:30].tolist():
        got, _ = table.neighbours([item], 5)[item]
        assert got.tolist() == [i for i in copy_ids if i != item][:5]


def test_a_short_catalog_gives_every_other_item():
    vectors = _clustered(4)
    table = NeighbourTable(vectors, np.array([1, 2, 3, 4]))
    found = table.neighbours([2, 9], 10)  # 9 is not in the table
    assert list(found) == [2] and sorted(found[2][0].tolist()) == [1, 3, 4]


def test_above_the_exact_limit_clusters_keep_nearly_every_true_neighbour(monkeypatch):
    monkeypatch.setattr(neighbours, "EXACT_LIMIT", 1000)
    monkeypatch.setattr(neighbours, "CLUSTER_SIZE", 100)
    monkeypatch.setattr(neighbours, "PROBES", 12)  # each query scored against a fifth of the catalog
    vectors = _clustered(6000, centres=120)
    ids = np.arange(6000)
    table = NeighbourTable(vectors, ids)
    assert len(table._members) == 60  # the clustered table is in use: 6,000 photos in clusters of about 100
    order = table.locality_order(ids.tolist())
    assert sorted(order) == ids.tolist()
    found = {}
    for start in range(0, 6000, 1000):
        found.update(table.neighbours(order[start : start + 1000], 10))
    rows = np.random.default_rng(0).choice(6000, 200, replace=False)
    recall = np.mean([len(set(found[r][0].tolist()) & set(_exact(vectors, ids, r, 10))) / 10 for r in rows])
    assert recall >= 0.97
    assert all(r not in found[r][0].tolist() for r in range(6000))


def test_kmeans_puts_each_row_with_its_nearest_centroid():
    vectors = _clustered(2000, centres=10)
    centroids, cluster = spherical_kmeans(vectors, 10)
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(cluster, np.argmax(vectors @ centroids.T, axis=1))
    assert len(np.unique(cluster)) == 10


def test_clustering_reports_its_rounds_and_stops_when_cancelled(monkeypatch):
    monkeypatch.setattr(neighbours, "EXACT_LIMIT", 1000)
    vectors, ids = _clustered(3000), np.arange(3000)
    seen = []
    NeighbourTable(vectors, ids, progress=seen.append)
    assert [p.stage for p in seen] == ["cluster"] * len(seen)
    assert [p.done for p in seen] == list(range(seen[-1].total + 1)) and seen[-1].total > 1

    cancel = CancelToken()

    def stop_after_two(p):
        if p.done == 2:
            cancel.cancel()

    with pytest.raises(Cancelled):
        NeighbourTable(vectors, ids, progress=stop_after_two, cancel=cancel)
