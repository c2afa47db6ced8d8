"""Which catalog photos are one product: a shop's product has several photos but is one entry in lists.

Photos imported from a shop carry their product's identifier (`product`) and their place among
its photos (`photo`, 1 = the main photo) as attributes. The product's entry in lists is its main
photo: the photo with the lowest place among those indexed. A photo with no product attribute
is a product of its own, as in a plain folder of photos.
"""
from __future__ import annotations

from typing import Iterable

from core.storage import Item


def product_of(item: Item) -> str:
    """The identity of the product `item` shows: its shop product, else its own path."""
    key = (item.attrs.get("product") or "").strip()
    return f"product:{key}" if key else f"path:{item.path}"


def photo_place(item: Item) -> int:
    """Where the photo comes among its product's photos (1 = main); photos without a place come last."""
    text = (item.attrs.get("photo") or "").strip()
    return int(text) if text.isdigit() else 10**6


class Products:
    """The products of a set of items: each item's product, each product's main photo and photos."""

    def __init__(self, items: Iterable[Item]) -> None:
        self.by_id: dict[int, Item] = {}
        self._product: dict[int, str] = {}
        self.photos: dict[str, list[int]] = {}  # product -> item ids, main photo first
        for item in items:
            self.by_id[item.id] = item
            self._product[item.id] = product = product_of(item)
            self.photos.setdefault(product, []).append(item.id)
        for ids in self.photos.values():
            ids.sort(key=lambda i: (photo_place(self.by_id[i]), self.by_id[i].path))

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
