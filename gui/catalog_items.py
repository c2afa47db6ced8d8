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

from core.lists import Products, review
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


def search_texts(items: Sequence[Item], products: Products | None = None) -> SearchTexts:
    """The catalog filter's texts of these items, in their order; with `products`, each holds its product's photos' texts."""
    if products is None:
        return SearchTexts.of([search_text(item) for item in items])
    return SearchTexts.of([_product_text(item, products) for item in items])


def _product_text(item: Item, products: Products) -> str:
    photos = products.photos_of(item.id) if item.id in products.by_id else [item.id]
    if len(photos) == 1:
        return search_text(item)
    return " ".join(search_text(products.by_id[photo]) for photo in photos)


@dataclass(frozen=True)
class CatalogItems:
    """Items in path order (all of them, or a first page while the rest loads), the grid's tiles and what the window counts of them."""

    items: list[Item]
    total: int  # items in the catalog
    products: Products  # of all the items: the list of a product is its main photo's (a searchable one when it has any)
    tiles: list[Item]  # a tile per product: its main photo, in the order of the products' first photos
    unreadable: int
    missing: int
    search: SearchTexts | None  # of the tiles; made for a whole catalog loaded off the GUI thread, else when first searched

    @property
    def product_count(self) -> int:
        """Products among the items (a product's photos are one)."""
        return len(self.tiles)

    @property
    def complete(self) -> bool:
        return len(self.items) >= self.total


def catalog_items(items: list[Item], total: int | None = None, with_search: bool = False) -> CatalogItems:
    """What the window shows of `items` (the first of `total`, if given); with_search, the filter's texts too."""
    products = Products(items)
    tiles = [products.by_id[main] for main in products.mains()]
    return CatalogItems(
        items,
        len(items) if total is None else total,
        products,
        tiles,
        sum(1 for item in items if item.status == "error" and item.missing is None),
        sum(1 for item in items if item.missing is not None),
        search_texts(tiles, products) if with_search else None,
    )


def list_owner(item: Item, products: Products) -> int | None:
    """The photo whose list the card of `item` shows (its product's main photo); None when its product has
    no searchable photo, so no list to review."""
    main = products.by_id[products.main(item.id)] if item.id in products.by_id else item
    return main.id if main.searchable else None


def list_owners(items: Sequence[Item], products: Products) -> np.ndarray:
    """`list_owner` of each item, -1 for None."""
    return np.fromiter((-1 if (owner := list_owner(item, products)) is None else owner for item in items), np.int64, len(items))


def categories(items: Sequence[Item]) -> list[str]:
    """The catalog's categories, sorted, for the category filter."""
    return sorted({item.category for item in items if item.category}, key=str.lower)


def kept_by_review(
    items: Sequence[Item], products: Products, lists: review.ListSummaries | None, which: str, category: str | None
) -> np.ndarray | None:
    """The ids of the items that the review filter `which` (see core.lists.review) and `category` keep;
    None when they keep every item."""
    if which == "all" and category is None:
        return None
    keep = np.ones(len(items), bool)
    if category is not None:
        keep &= np.fromiter((item.category == category for item in items), bool, len(items))
    if which != "all":
        empty = review.ListSummaries(np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0))
        keep &= review.wanting(lists if lists is not None else empty, which, list_owners(items, products))
    ids = np.fromiter((item.id for item in items), np.int64, len(items))
    return ids[keep]
