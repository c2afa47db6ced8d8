"""A shop export made into a catalog, from a real HTTP server on 127.0.0.1: what is said of the photos that fail."""
from __future__ import annotations

import csv

import pytest

from core.bench.photo_server import PhotoServer
from core.bench.shop_catalogs import make_products, write_photos, write_shopify_export
from core.shop import DownloadSettings, MissedPhoto, import_shop


@pytest.fixture
def shop(tmp_path):
    products = make_products(8, seed=5)
    write_photos(products, tmp_path / "cdn")
    with PhotoServer(tmp_path / "cdn") as server:
        yield tmp_path, products, server


def test_a_product_whose_only_photo_fails_is_not_counted_as_imported_and_is_named_with_why(shop):
    root, products, server = shop
    lost, other = products[3], products[0]  # one photo; three photos
    assert len(lost.photos) == 1 and len(other.photos) == 3
    export = root / "shopify.csv"
    write_shopify_export(products, server.url, export)
    text = export.read_text()
    text = text.replace(f"{server.url}/{lost.photos[0]}", f"{server.url}/gone.jpg")
    text = text.replace(f"{server.url}/{other.photos[1]}", f"{server.url}/missing/back.jpg")
    export.write_text(text)
    catalog = root / "catalog"
    report = import_shop(export, catalog, root / "ledger.sqlite", settings=DownloadSettings(workers=2, retries=0))
    assert (report.products, report.imported, report.without_photo) == (8, 7, [lost.handle])
    assert report.missed == [
        MissedPhoto(other.title, 2, f"{server.url}/missing/back.jpg", "the server answered 404 Not Found"),
        MissedPhoto(lost.title, 1, f"{server.url}/gone.jpg", "the server answered 404 Not Found"),
    ]
    assert report.summary() == (f"Imported 7 of 8 products; 2 photos could not be fetched: {other.title}, photo 2 "
                                "(back.jpg: the server answered 404 Not Found) and 1 more")
    assert report.details() == [
        f"Not fetched: {other.title}, photo 2 (back.jpg: the server answered 404 Not Found); from {server.url}/missing/back.jpg",
        f"Not fetched: {lost.title} (gone.jpg: the server answered 404 Not Found); from {server.url}/gone.jpg",
        f"Not in the catalog (no photo): {lost.handle}",
    ]
    with open(catalog / "products.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert lost.handle not in {row["product"] for row in rows}
    assert sorted(row["photo"] for row in rows if row["product"] == other.handle) == ["1", "3"]


def test_an_import_where_every_photo_came_says_so_in_a_few_words(shop):
    root, products, server = shop
    export = root / "shopify.csv"
    write_shopify_export(products[:2], server.url, export)
    report = import_shop(export, root / "catalog", root / "ledger.sqlite")
    assert (report.summary(), report.details(), report.missed) == ("Imported 2 products", [], [])
