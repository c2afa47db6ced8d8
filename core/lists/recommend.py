"""Recommendation lists for a whole catalog: each item's lookalikes, never itself."""
from __future__ import annotations

from dataclasses import dataclass

from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.similarity import CatalogSearcher, Match
from core.storage import Item


@dataclass(frozen=True)
class Recommendation:
    item: Item
    matches: list[Match]


def recommend_all(
    searcher: CatalogSearcher, k: int, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
) -> list[Recommendation]:
    """The top-k lookalikes of every indexed item."""
    items = searcher.items()
    result = []
    for done, item in enumerate(items, 1):
        if cancel is not None and done % 256 == 0:
            cancel.raise_if_cancelled()
        result.append(Recommendation(item, searcher.similar_to_item(item.id, k)))
        if done % 500 == 0 or done == len(items):
            progress(Progress("recommend", done, len(items)))
    return result
