from __future__ import annotations

import pytest

from core.lists.evaluate import Quality, precision

LABELS = {"q1": "shirt", "q2": "shoe", "a": "shirt", "b": "shirt", "c": "shoe", "d": "bag", "e": "shoe"}


def test_single_query_by_hand() -> None:
    quality = precision({"q1": ["a", "c", "b", "d"]}, LABELS, k=4)
    # labels: shirt, shoe, shirt, bag -> 2 of 4 match; the first matches
    assert quality == Quality(precision_at_1=1.0, precision_at_k=0.5, k=4, queries=1)


def test_averaged_over_queries() -> None:
    lists = {
        "q1": ["c", "a", "b"],  # shoe, shirt, shirt -> p@1 0, p@3 2/3
        "q2": ["c", "e", "d"],  # shoe, shoe, bag    -> p@1 1, p@3 2/3
    }
    quality = precision(lists, LABELS, k=3)
    assert quality.queries == 2
    assert quality.precision_at_1 == pytest.approx(0.5)
    assert quality.precision_at_k == pytest.approx(2 / 3)


def test_only_the_first_k_count() -> None:
    quality = precision({"q1": ["a", "d", "b", "b", "b"]}, LABELS, k=2)
    assert quality.precision_at_k == pytest.approx(0.5)
    assert quality.precision_at_1 == 1.0


def test_unlabeled_queries_are_skipped() -> None:
    lists = {"q1": ["a", "b"], "unknown": ["c", "d"], "q2": ["d", "d"]}
    quality = precision(lists, LABELS, k=2)
    assert quality.queries == 2
    assert quality.precision_at_1 == pytest.approx(0.5)  # q1 right, q2 wrong
    assert quality.precision_at_k == pytest.approx(0.5)  # q1 2/2, q2 0/2


def test_unlabeled_results_count_as_misses() -> None:
    quality = precision({"q1": ["nobody", "a"]}, LABELS, k=2)
    assert quality.precision_at_1 == 0.0
    assert quality.precision_at_k == pytest.approx(0.5)


def test_k_larger_than_the_list_counts_missing_entries_as_misses() -> None:
    # precision@k keeps k as the denominator: 2 right answers out of 5 asked for
    quality = precision({"q1": ["a", "b"]}, LABELS, k=5)
    assert quality.precision_at_k == pytest.approx(2 / 5)
    assert quality.precision_at_1 == 1.0
    assert quality.k == 5


def test_no_labelled_query() -> None:
    assert precision({"x": ["a"]}, LABELS, k=3) == Quality(0.0, 0.0, 3, 0)
    assert precision({}, LABELS, k=3) == Quality(0.0, 0.0, 3, 0)


def test_empty_result_list_is_skipped() -> None:
    quality = precision({"q1": [], "q2": ["c"]}, LABELS, k=1)
    assert quality == Quality(1.0, 1.0, 1, 1)


def test_nearest_and_retrieval_quality_on_hand_made_vectors():
    import numpy as np

    from core.lists.evaluate import nearest, retrieval_quality

    vectors = np.array([[1, 0], [0.9, 0.1], [0.8, 0.3], [0, 1], [0.1, 0.9], [0.3, 0.8]], np.float32)
    labels = np.array(["a", "a", "b", "b", "b", "a"])
    hues = np.array([0, 1, 0, 1, -1, 1])
    nn = nearest(vectors, 2)
    assert nn[0].tolist() == [1, 2] and nn[3].tolist() == [4, 5]
    q = retrieval_quality(vectors, labels, hues, k=2)
    expected_hits = [[1, 0], [1, 0], [0, 0], [1, 0], [1, 0], [0, 0]]
    assert q.precision_at_1 == pytest.approx(np.mean([h[0] for h in expected_hits]))
    assert q.precision_at_10 == pytest.approx(np.mean(expected_hits))
    assert q.queries == 6
    assert 0.0 <= q.colour_leakage <= 1.0 and q.leakage_chance == pytest.approx((2 / 5) ** 2 + (3 / 5) ** 2)
