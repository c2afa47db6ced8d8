"""Scoring recommendation quality against known categories."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence


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
