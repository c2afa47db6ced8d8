"""Which catalog photos are one product: a shop's product, else one SKU, else the photo alone."""
from __future__ import annotations

import pytest

from core.lists import Products, lookalike_products, one_per_product, product_of
from core.lists.recommend import recommend_all
from core.similarity import CatalogSearcher, Match
from core.similarity.indexing import index_catalog
from core.storage import Item, Workspace


def item(item_id: int, path: str, sku: str | None = None, status: str = "ok", **attrs: str) -> Item:
    return Item(item_id, path, 1, 1, "h", status, sku=sku, attrs=dict(attrs))


def test_photos_of_one_sku_are_one_product_and_a_shop_product_comes_before_its_sku():
    front, side, other, loose = item(1, "a/shirt-front.jpg", "SH-1"), item(2, "a/shirt-side.jpg", " SH-1 "), item(3, "b/cap.jpg", "HT-1"), item(4, "c/x.jpg")
    assert product_of(front) == product_of(side) == "sku:SH-1"
    assert len({product_of(front), product_of(other), product_of(loose)}) == 3
    assert product_of(item(5, "d/tee-1.jpg", "SH-1", product="tee", photo="1")) == "product:tee"
    products = Products([side, other, front, loose])
    assert products.photos_of(2) == [1, 2]  # by path when no place is given
    assert products.main(2) == 1 and sorted(products.mains()) == [1, 3, 4]


def test_the_main_photo_is_a_searchable_one_when_the_product_has_any():
    broken = item(1, "tee/tee-1.jpg", status="error", product="tee", photo="1")
    fine = item(2, "tee/tee-2.jpg", product="tee", photo="2")
    products = Products([broken, fine])
    assert products.main(1) == 2 and products.photos_of(1) == [2, 1]
    alone = Products([broken])
    assert alone.main(1) == 1


def test_one_per_product_keeps_each_products_first_match_and_drops_unknown_items():
    front, side, cap = item(1, "a/shirt-front.jpg", "SH-1"), item(2, "a/shirt-side.jpg", "SH-1"), item(3, "b/cap.jpg")
    matches = [Match(2, side.path, 0.9), Match(3, cap.path, 0.8), Match(1, front.path, 0.7), Match(9, "gone.jpg", 0.6)]
    kept = one_per_product(matches, {i.id: i for i in (front, side, cap)})
    assert [(match.item_id, got.id) for match, got in kept] == [(2, 2), (3, 3)]


@pytest.fixture
def two_photo_products(shapes_catalog, small_encoder):
    """The shapes catalog with each shape-and-colour a product of two photos (its two placements) under one SKU."""
    rows = ["path,sku"]
    for photo in sorted(shapes_catalog.rglob("*.png")):
        shape, colour, _ = photo.stem.split("-")
        rows.append(f"{photo.relative_to(shapes_catalog).as_posix()},{shape}-{colour}")
    (shapes_catalog / "products.csv").write_text("\n".join(rows) + "\n")
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    return ws


def test_lookalike_products_are_the_k_best_others_each_once(two_photo_products):
    with CatalogSearcher(two_photo_products) as searcher:
        products = Products(searcher.items())
        disc = next(i for i in searcher.items() if i.path == "round/disc-0-0.png")
        own = products.photos_of(disc.id)
        every = searcher.similar_to_item(disc.id, 40, exclude=own)  # all 30 other photos, best first
        assert len(every) == 30
        for k in (1, 4, 15):
            found = lookalike_products(lambda n: searcher.similar_to_item(disc.id, n, exclude=own), k, searcher.store.items_by_id)
            assert len(found) == k
            assert [m.item_id for m, _ in found] == [m.item_id for m, _ in one_per_product(every, products.by_id)][:k]
            assert len({product_of(got) for _, got in found}) == k and product_of(disc) not in {product_of(got) for _, got in found}
        # more than there are: every other product once, by its best photo
        everyone = lookalike_products(lambda n: searcher.similar_to_item(disc.id, n, 0.5, own), 40, searcher.store.items_by_id)
        assert len(everyone) == 15 and len({product_of(got) for _, got in everyone}) == 15

        # a photo's lookalikes: its own product comes first, once
        photo = two_photo_products.catalog / "round/disc-0-6.png"
        by_photo = lookalike_products(lambda n: searcher.similar_to_image(photo, n), 5, searcher.store.items_by_id)
        assert len(by_photo) == 5 and product_of(by_photo[0][1]) == product_of(disc)
        assert len({product_of(got) for _, got in by_photo}) == 5


def test_recommend_all_lists_each_other_product_once(two_photo_products):
    with CatalogSearcher(two_photo_products) as searcher:
        products = Products(searcher.items())
        recs = recommend_all(searcher, 4)
    assert len(recs) == 32
    for rec in recs:
        targets = [products.product(m.item_id) for m in rec.matches]
        assert len(targets) == 4 == len(set(targets)) and products.product(rec.item.id) not in targets
