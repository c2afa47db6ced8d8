"""Recommendation lists for a whole catalog: each item's lookalike products, never its own."""
from __future__ import annotations

from dataclasses import dataclass

from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.lists.products import Products, lookalike_products
from core.similarity import CatalogSearcher, Match
from core.storage import Item


@dataclass(frozen=True)
class Recommendation:
    item: Item
    matches: list[Match]


def recommend_all(
    searcher: CatalogSearcher, k: int, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
) -> list[Recommendation]:
    """The k lookalike products of every indexed item: each product once (by its best photo), never the item's own."""
    items = searcher.items()
    products = Products(items)
    result = []
    for done, item in enumerate(items, 1):
        if cancel is not None and done % 256 == 0:
            cancel.raise_if_cancelled()
        own = products.photos_of(item.id)
        found = lookalike_products(
            lambda n, item_id=item.id, own=own: searcher.similar_to_item(item_id, n, exclude=own), k, lambda ids: products.by_id
        )
        result.append(Recommendation(item, [match for match, _ in found]))
        if done % 500 == 0 or done == len(items):
            progress(Progress("recommend", done, len(items)))
    return result
