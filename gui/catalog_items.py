"""The catalog's items as the window shows them, with everything counted and indexed from them.

Made in one go from the list of items, on any thread: for a catalog of a million photos this
is seconds of Python, which a large catalog spends off the GUI thread while the grid already
shows its first page (see CatalogSession).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.dtypes import StringDType

from core.lists import Products, product_of
from core.storage import Item


def search_text(item: Item) -> str:
    """What the catalog filter looks for words in: lower-case name, sku, category and path."""
    return " ".join(v for v in (item.name, item.sku, item.category, item.path) if v).lower()


@dataclass(frozen=True)
class SearchTexts:
    """Every row's search text, as the catalog filter searches them."""

    texts: np.ndarray  # StringDType, a row each
    joined: np.ndarray  # uint8: the texts' UTF-8 bytes, each ended by a newline
    starts: np.ndarray  # int64: where each row's text starts in `joined`

    @classmethod
    def of(cls, texts: Sequence[str]) -> "SearchTexts":
        encoded = [t.encode() for t in texts]
        lengths = np.fromiter((len(b) + 1 for b in encoded), np.int64, len(encoded))
        joined = np.frombuffer(b"\n".join(encoded) + b"\n", np.uint8) if encoded else np.zeros(0, np.uint8)
        return cls(np.array(list(texts), dtype=StringDType()), joined, np.cumsum(lengths) - lengths)


def search_texts(items: Sequence[Item]) -> SearchTexts:
    """The catalog filter's texts of these items, in their order."""
    return SearchTexts.of([search_text(item) for item in items])


@dataclass(frozen=True)
class CatalogItems:
    """Items in path order (all of them, or a first page while the rest loads) and what the window counts of them."""

    items: list[Item]
    total: int  # items in the catalog
    products: Products  # of the searchable items: the list of a product is its main photo's
    product_count: int  # products among all the items (a shop product's photos are one)
    unreadable: int
    missing: int
    search: SearchTexts | None  # made for a whole catalog loaded off the GUI thread; else when first searched

    @property
    def complete(self) -> bool:
        return len(self.items) >= self.total


def catalog_items(items: list[Item], total: int | None = None, with_search: bool = False) -> CatalogItems:
    """What the window shows of `items` (the first of `total`, if given); with_search, the filter's texts too."""
    return CatalogItems(
        items,
        len(items) if total is None else total,
        Products(item for item in items if item.searchable),
        len({product_of(item) for item in items}),
        sum(1 for item in items if item.status == "error" and item.missing is None),
        sum(1 for item in items if item.missing is not None),
        search_texts(items) if with_search else None,
    )
