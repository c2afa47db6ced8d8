"""A shop's export in, its lists out in its own identifiers: each platform end to end through the command line.

A real HTTP server on 127.0.0.1 serves the photos; 200 products with 1-5 variants and 1-3 photos each.
"""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.bench.photo_server import PhotoServer
from core.bench.shop_catalogs import (
    magento_media,
    make_products,
    write_magento_export,
    write_photos,
    write_shopify_export,
    write_woocommerce_export,
)
from tests.e2e.test_cli import ROOT, assert_one_line_error, lookalike

PLATFORM_COLUMNS = {
    "shopify": ("Handle", ("Related products", "Complementary products")),
    "woocommerce": ("SKU", ("Upsells", "Cross-sells")),
    "magento": ("sku", ("related_skus", "crosssell_skus", "upsell_skus")),
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory, default_encoder):
    root = tmp_path_factory.mktemp("shop")
    products = make_products(200, seed=3)
    write_photos(products, root / "cdn" / "files")
    magento_media(products, root / "cdn" / "files", root / "cdn" / "media" / "catalog" / "product")
    with PhotoServer(root / "cdn") as server:
        yield root, products, server


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def cell_ids(cell: str, platform: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def source_identifiers(products, platform: str) -> tuple[set[str], dict[str, set[str]]]:
    """Every identifier the export holds, and for each product's identifier the identifiers of the same product."""
    own: dict[str, set[str]] = {}
    for p in products:
        if platform == "shopify":
            key = p.handle
        elif platform == "woocommerce":
            key = p.sku or f"id:{p.shop_id}"
        else:
            key = p.variants[0] if len(p.variants) == 1 else f"P{p.index:04d}"
        same = {key, *p.variants, p.handle, str(p.shop_id), f"id:{p.shop_id}"}
        if p.sku:
            same.add(p.sku)
        own[key] = same
    everything = set().union(*own.values())
    return everything, own


@pytest.mark.parametrize("platform", ["shopify", "woocommerce", "magento"])
def test_an_export_is_imported_indexed_and_recommended_in_the_shops_own_identifiers(shop, tmp_path, platform):
    root, products, server = shop
    export = tmp_path / f"{platform}.csv"
    catalog = tmp_path / "catalog"
    extra: list[str] = []
    if platform == "shopify":
        write_shopify_export(products, f"{server.url}/files", export)
    elif platform == "woocommerce":
        write_woocommerce_export(products, f"{server.url}/files", export)
    else:
        write_magento_export(products, export)
        extra = ["--media-url", f"{server.url}/media/catalog/product"]
    result = lookalike("import-shop", export, catalog, *extra)
    photos = sum(len(p.photos) for p in products)
    assert f"{platform} export: 200 products, {photos} photos: {photos} fetched" in result.stdout
    assert f"indexed {photos} images" in result.stdout

    out = tmp_path / f"lists-{platform}.csv"
    lookalike("recommend", catalog, "-k", "8", "--format", platform, "--out", out)
    rows = read(out)
    key_column, list_columns = PLATFORM_COLUMNS[platform]
    everything, own = source_identifiers(products, platform)
    assert len(rows) == 200  # one row per product, whatever its photos and variants
    for row in rows:
        key = row[key_column] or f"id:{row['ID']}"
        assert key in own, f"{key} is not a product of the export"
        if platform == "woocommerce":
            p = next(p for p in products if (p.sku or f"id:{p.shop_id}") == key)
            assert row["ID"] == str(p.shop_id) and row["SKU"] == p.sku
        recommended = [i for column in list_columns for name in row if name.startswith(column) for i in cell_ids(row[name], platform)]
        assert recommended, f"{key} has an empty list"
        assert set(recommended) <= everything
        assert not set(recommended) & own[key], f"{key} recommends its own product or variants"
        related = cell_ids(row[next(n for n in row if n.startswith(list_columns[0]))], platform)
        assert len(related) == len(set(related)) == 8


def test_an_import_killed_midway_resumes_without_fetching_again_what_it_has(shop, tmp_path):
    root, products, server = shop
    export = tmp_path / "shopify.csv"
    write_shopify_export(products, f"{server.url}/files", export)
    catalog = tmp_path / "catalog"
    server.bodies.clear()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "import-shop", str(export), str(catalog), "--no-index", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "LOOKALIKE_FAULT": "120:kill"},
    )
    proc.communicate(timeout=120)
    assert proc.returncode in (-signal.SIGKILL, 137)
    landed = [p for p in catalog.rglob("*.jpg")]
    first = sum(server.bodies.values())
    assert 0 < len(landed) < sum(len(p.photos) for p in products)
    lookalike("import-shop", export, catalog, "--no-index")
    photos = sum(len(p.photos) for p in products)
    refetched = sum(server.bodies.values()) - first
    # every photo that landed is asked about (304), none is sent again; at most the one cut at the kill is
    assert photos - len(landed) <= refetched <= photos - len(landed) + 1
    assert len(list(catalog.rglob("*.jpg"))) == photos
    assert not list(catalog.rglob("*.part"))
    rows = read(catalog / "products.csv")
    assert len(rows) == photos and {r["photo"] for r in rows} <= {"1", "2", "3"}


def test_a_stopped_import_is_said_in_one_line_and_bad_input_too(shop, tmp_path):
    root, products, server = shop
    assert_one_line_error(lookalike("import-shop", tmp_path / "none.csv", tmp_path / "c", check=False), "none.csv")
    (tmp_path / "plain.csv").write_text("path,sku\na.jpg,A\n")
    assert_one_line_error(lookalike("import-shop", tmp_path / "plain.csv", tmp_path / "c", check=False), "not a Shopify")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "products.csv").write_text("path,sku\na.jpg,A\n")
    export = tmp_path / "shopify.csv"
    write_shopify_export(products[:3], f"{server.url}/files", export)
    assert_one_line_error(lookalike("import-shop", export, mine, check=False), "of its own")
    assert (mine / "products.csv").read_text() == "path,sku\na.jpg,A\n"
    magento = tmp_path / "magento.csv"
    write_magento_export(products[:3], magento)
    result = lookalike("import-shop", magento, tmp_path / "m", "--no-index")
    assert "3 failed" not in result.stdout and "no media base address" in result.stderr
    assert "Traceback" not in result.stderr


def test_photos_that_fail_are_each_reported_and_the_rest_imported(shop, tmp_path):
    root, products, server = shop
    export = tmp_path / "shopify.csv"
    some = products[:6]
    write_shopify_export(some, f"{server.url}/files", export)
    text = export.read_text().replace(f"{server.url}/files/{some[0].photos[0]}", f"{server.url}/files/gone.jpg")
    export.write_text(text)
    started = time.monotonic()
    result = lookalike("import-shop", export, tmp_path / "c")
    assert time.monotonic() - started < 120
    assert "1 failed" in result.stdout
    failed = [line for line in result.stderr.splitlines() if line.startswith("photo skipped:")]
    assert len(failed) == 1 and "gone.jpg" in failed[0] and "404" in failed[0]
    assert len(some[0].photos) == 1  # so that product is not in the catalog, and the count says so
    assert (f"Imported 5 of 6 products; 1 photo could not be fetched: {some[0].title} "
            "(gone.jpg: the server answered 404 Not Found)") in result.stdout.splitlines()
    assert f"1 product has no photo and stays out of lists: {some[0].handle}" in result.stderr


@pytest.mark.parametrize("step", ["file:write:products.csv", "file:replace:products.csv"])
def test_an_import_killed_while_writing_its_product_list_keeps_the_last_whole_one(shop, tmp_path, step):
    root, products, server = shop
    export = tmp_path / "shopify.csv"
    write_shopify_export(products[:4], f"{server.url}/files", export)
    catalog = tmp_path / "catalog"
    lookalike("import-shop", export, catalog, "--no-index")
    before = (catalog / "products.csv").read_text()
    export.write_text(export.read_text().replace(products[0].title, "Renamed Tee"))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "import-shop", str(export), str(catalog), "--no-index"],
        capture_output=True, text=True, env={**os.environ, "LOOKALIKE_FAULT": f"{step}:kill"}, timeout=120,
    )
    assert proc.returncode in (-signal.SIGKILL, 137)
    assert (catalog / "products.csv").read_text() == before
    lookalike("import-shop", export, catalog, "--no-index")
    assert "Renamed Tee" in (catalog / "products.csv").read_text()
