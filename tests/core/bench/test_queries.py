import numpy as np

from core.bench.queries import clustered_vectors, format_query_table, query_latency


def test_clustered_vectors_are_unit_length_and_reproducible():
    a, b = clustered_vectors(500, 16, clusters=10), clustered_vectors(500, 16, clusters=10)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, b)


def test_query_latency_reports_exact_and_annoy_rows_with_recall():
    rows = query_latency(3000, dim=16, trees=10, search_ks=(100, 3000), queries=50)
    assert [r.method for r in rows] == ["exact NumPy", "Annoy 10 trees, search_k 100", "Annoy 10 trees, search_k 3000"]
    assert rows[0].recall_at_10 == 1.0
    assert rows[2].recall_at_10 >= rows[1].recall_at_10 and rows[2].recall_at_10 > 0.9
    assert all(r.p99_ms >= r.p50_ms > 0 for r in rows)
    assert format_query_table(rows).count("\n") == 4
