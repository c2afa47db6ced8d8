from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.common.errors import Cancelled, SearchIndexError
from core.common.jobs import CancelToken
from core.similarity.index import SearchIndex, build_index

DIM = 16


def clustered(count: int = 600, clusters: int = 12, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Vectors scattered around a few random centres, like embeddings of product groups."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)) * 3
    labels = rng.integers(0, clusters, count)
    return (centres[labels] + rng.standard_normal((count, dim))).astype(np.float32)


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = query / np.linalg.norm(query)
    return np.argsort(-(unit @ q), kind="stable")[:k]


def other_files(folder: Path, keep: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != keep)


def test_search_matches_brute_force(tmp_path: Path) -> None:
    data = clustered()
    path = tmp_path / "index.ann"
    build_index(data, path)
    index = SearchIndex(path, DIM)
    try:
        assert len(index) == len(data)
        rng = np.random.default_rng(1)
        queries = np.concatenate([data[rng.choice(len(data), 20, replace=False)], clustered(20, seed=5)])
        found = 0
        for query in queries:
            hits = index.search(query, 10)
            assert len(hits) == 10
            scores = [h.score for h in hits]
            assert scores == sorted(scores, reverse=True)
            truth = brute_force(data, query, 10)
            found += len({h.position for h in hits} & set(truth.tolist()))
            # the reported score is the cosine similarity
            unit = data[hits[0].position] / np.linalg.norm(data[hits[0].position])
            assert hits[0].score == pytest.approx(float(unit @ (query / np.linalg.norm(query))), abs=1e-4)
        assert found / (10 * len(queries)) >= 0.95
    finally:
        index.close()


def test_stored_vector_finds_itself(tmp_path: Path) -> None:
    data = clustered(200)
    path = tmp_path / "index.ann"
    build_index(data, path)
    index = SearchIndex(path, DIM)
    try:
        for position in (0, 57, 199):
            stored = index.vector(position)
            assert np.linalg.norm(stored) == pytest.approx(1.0, abs=1e-5)
            np.testing.assert_allclose(stored, data[position] / np.linalg.norm(data[position]), atol=1e-6)
            hits = index.search(stored, 5)
            assert hits[0].position == position
            assert hits[0].score >= 0.999
            # the raw (unnormalised) vector finds itself too
            assert index.search(data[position] * 7.5, 1)[0].position == position
    finally:
        index.close()


def test_exclude_removes_that_position(tmp_path: Path) -> None:
    data = clustered(200)
    path = tmp_path / "index.ann"
    build_index(data, path)
    index = SearchIndex(path, DIM)
    try:
        position = 42
        plain = index.search(index.vector(position), 5)
        excluded = index.search(index.vector(position), 5, exclude=position)
        assert plain[0].position == position
        assert len(excluded) == 5
        assert position not in {h.position for h in excluded}
        assert [h.position for h in excluded[:4]] == [h.position for h in plain[1:]]
    finally:
        index.close()


def test_k_larger_than_index(tmp_path: Path) -> None:
    data = clustered(5, clusters=2)
    path = tmp_path / "index.ann"
    build_index(data, path)
    index = SearchIndex(path, DIM)
    try:
        assert sorted(h.position for h in index.search(data[0], 50)) == [0, 1, 2, 3, 4]
        assert sorted(h.position for h in index.search(data[0], 50, exclude=0)) == [1, 2, 3, 4]
    finally:
        index.close()


def test_a_long_list_is_as_long_as_asked_whatever_search_k(tmp_path: Path) -> None:
    data = clustered(3000, clusters=30)
    path = tmp_path / "index.ann"
    build_index(data, path, trees=10)
    index = SearchIndex(path, DIM)
    try:
        hits = index.search(data[0], 2000, search_k=1000)  # 1,000 nodes alone yield a few hundred answers
        assert len(hits) == 2000 and len({h.position for h in hits}) == 2000
        assert len(index.search(data[0], 10, search_k=1000)) == 10
    finally:
        index.close()


def test_query_dimension_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "index.ann"
    build_index(clustered(50), path)
    index = SearchIndex(path, DIM)
    try:
        with pytest.raises(SearchIndexError, match="dimensions"):
            index.search(np.ones(DIM + 1, np.float32), 3)
    finally:
        index.close()


def test_empty_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "index.ann"
    with pytest.raises(SearchIndexError):
        build_index(np.zeros((0, DIM), np.float32), path)
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SearchIndexError, match="no index"):
        SearchIndex(tmp_path / "index.ann", DIM)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "index.ann"
    path.write_bytes(b"not an annoy index")
    with pytest.raises(SearchIndexError, match="cannot load"):
        SearchIndex(path, DIM)


def test_rebuild_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "index.ann"
    build_index(clustered(30, seed=1), path)
    build_index(clustered(80, seed=2), path)
    index = SearchIndex(path, DIM)
    try:
        assert len(index) == 80
    finally:
        index.close()
    assert other_files(tmp_path, path) == []


def test_cancelled_build_keeps_the_old_index(tmp_path: Path) -> None:
    path = tmp_path / "index.ann"
    old = clustered(40, seed=1)
    build_index(old, path)
    before = path.read_bytes()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        build_index(clustered(90, seed=2), path, cancel=cancel)
    assert path.read_bytes() == before
    assert other_files(tmp_path, path) == []
    index = SearchIndex(path, DIM)
    try:
        assert len(index) == 40
        assert index.search(old[3], 1)[0].position == 3
    finally:
        index.close()
