"""Which catalog photos are one product: a shop's product has several photos but is one entry in lists.

Photos imported from a shop carry their product's identifier (`product`) and their place among
its photos (`photo`, 1 = the main photo) as attributes. In a folder of photos with a products.csv,
the photos given the same SKU are one product. The product's entry in lists is its main photo:
the photo with the lowest place (then path) among those indexed. A photo with neither a product
attribute nor an SKU is a product of its own. A list of lookalikes shows each product once, by
its photo that scores best.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from core.similarity import Match
from core.storage import Item


def product_of(item: Item) -> str:
    """The identity of the product `item` shows: its shop product, else its SKU, else its own path."""
    key = (item.attrs.get("product") or "").strip()
    if key:
        return f"product:{key}"
    sku = (item.sku or "").strip()
    return f"sku:{sku}" if sku else f"path:{item.path}"


def one_per_product(matches: Iterable[Match], items: Mapping[int, Item]) -> list[tuple[Match, Item]]:
    """Each product's first match (its best, `matches` being best first) with its photo; the same
    product's later photos are left out, as are matches whose item is not in `items`."""
    seen: set[str] = set()
    kept = []
    for match in matches:
        item = items.get(match.item_id)
        if item is None:
            continue
        product = product_of(item)
        if product not in seen:
            seen.add(product)
            kept.append((match, item))
    return kept


def lookalike_products(
    search: Callable[[int], Sequence[Match]], k: int, items_of: Callable[[list[int]], Mapping[int, Item]]
) -> list[tuple[Match, Item]]:
    """The k best products among the photos `search(n)` answers (the n best, best first), each by its best photo.

    A product's several photos take several places among the n, so n grows until k products
    are found or the search has no more photos to give.
    """
    n = k
    while True:
        matches = search(n)
        found = one_per_product(matches, items_of([m.item_id for m in matches]))
        if len(found) >= k or len(matches) < n:
            return found[:k]
        n *= 2


def photo_place(item: Item) -> int:
    """Where the photo comes among its product's photos (1 = main); photos without a place come last."""
    text = (item.attrs.get("photo") or "").strip()
    return int(text) if text.isdigit() else 10**6


class Products:
    """The products of a set of items: each item's product, each product's main photo and photos.

    Given photos that are not searchable too (unreadable, missing), a product's main photo is
    still a searchable one when it has any.
    """

    def __init__(self, items: Iterable[Item]) -> None:
        self.by_id: dict[int, Item] = {}
        self._product: dict[int, str] = {}
        self.photos: dict[str, list[int]] = {}  # product -> item ids, main photo first
        for item in items:
            self.by_id[item.id] = item
            self._product[item.id] = product = product_of(item)
            self.photos.setdefault(product, []).append(item.id)
        for ids in self.photos.values():
            ids.sort(key=lambda i: (not self.by_id[i].searchable, photo_place(self.by_id[i]), self.by_id[i].path))

    def product(self, item_id: int) -> str:
        return self._product[item_id]

    def main(self, item_id: int) -> int:
        """The item that stands for `item_id`'s product in lists."""
        return self.photos[self.product(item_id)][0]

    def photos_of(self, item_id: int) -> list[int]:
        """Every photo of `item_id`'s product, main first."""
        return self.photos[self.product(item_id)]

    def mains(self) -> list[int]:
        """One item per product, in the order the products were first seen."""
        return [ids[0] for ids in self.photos.values()]

    @property
    def photos_per_product(self) -> float:
        return len(self.by_id) / max(1, len(self.photos))
