"""File > Open Shop Export in the real window: photos fetched from a real server on 127.0.0.1, then the catalog opens."""
from __future__ import annotations

import time

import pytest

from core.bench.photo_server import PhotoHandler, PhotoServer
from core.bench.shop_catalogs import make_products, write_photos, write_shopify_export
from core.shop import read_shop_export
from core.storage import CatalogStore, Workspace
from gui.roles import Roles

WAIT = 60_000


class Slow(PhotoHandler):
    def do_GET(self) -> None:  # noqa: N802
        time.sleep(0.15)
        super().do_GET()


@pytest.fixture
def shop(tmp_path):
    products = make_products(12, seed=5)
    write_photos(products, tmp_path / "cdn")
    return tmp_path, products


def test_a_shop_export_is_fetched_then_opened_as_a_catalog_of_products(qtbot, window, shop):
    root, products = shop
    with PhotoServer(root / "cdn") as server:
        export = root / "shopify.csv"
        write_shopify_export(products, server.url, export)
        text = export.read_text().replace(f"{server.url}/{products[0].photos[0]}", f"{server.url}/gone.jpg")
        export.write_text(text)
        folder = root / "My Shop"
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as indexed:
            assert window.import_shop_export(read_shop_export(export), folder)
    photos = sum(len(p.photos) for p in products)
    assert indexed.args[0].images == photos - 1
    assert window.catalog_model.rowCount() == photos - 1
    assert "12 products" in window.count_label.text()
    assert "1 failed" in window.statusBar().currentMessage() or "1 failed" in window.banner.label.text()
    assert "gone.jpg" in window.banner.label.text() and "404" in window.banner.label.text()
    with CatalogStore(Workspace.locate(folder).database) as store:
        handles = {item.attrs["handle"] for item in store.items()}
    assert handles == {p.handle for p in products}
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=WAIT)
    window.grab().save(str(root / "shop-import.png"))


def test_cancel_stops_the_import_and_opens_nothing(qtbot, window, shop):
    root, products = shop
    with PhotoServer(root / "cdn", Slow) as server:
        export = root / "shopify.csv"
        write_shopify_export(products, server.url, export)
        with qtbot.waitSignal(window.session.job_started, timeout=WAIT):
            assert window.import_shop_export(read_shop_export(export), root / "shop")
        qtbot.waitUntil(lambda: window.progress_bar.value() >= 2, timeout=WAIT)
        with qtbot.waitSignal(window.session.job.cancelled, timeout=WAIT):
            window.cancel_button.click()
    assert "cancelled" in window.statusBar().currentMessage().lower()
    assert window.session.ws is None  # nothing was opened
    assert not (root / "shop" / ".lookalike-downloads").exists()
    fetched = list((root / "shop").rglob("*.jpg"))
    assert 2 <= len(fetched) < sum(len(p.photos) for p in products)


def test_a_media_address_that_is_not_http_is_refused_in_a_line(qtbot, window, shop, tmp_path):
    root, products = shop
    export = root / "shopify.csv"
    write_shopify_export(products, "http://127.0.0.1:9", export)
    assert not window.import_shop_export(read_shop_export(export), root / "shop", media_url="ftp://shop/media")
    assert "http://" in window.banner.label.text()
    assert not (root / "shop").exists()


def test_any_photo_of_a_product_shows_the_products_one_list(qtbot, window, shop):
    root, products = shop
    with PhotoServer(root / "cdn") as server:
        export = root / "shopify.csv"
        write_shopify_export(products, server.url, export)
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
            assert window.import_shop_export(read_shop_export(export), root / "shop")
    from core.lists import Rules

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        assert window.session.generate(Rules(k=4))
    several = next(p for p in products if len(p.photos) > 1)
    rows = {window.catalog_model.index(r).data(Roles.ItemIdRole): r for r in range(window.catalog_model.rowCount())}
    with CatalogStore(Workspace.locate(root / "shop").database) as store:
        photos = sorted((i for i in store.items() if i.attrs.get("product") == several.handle), key=lambda i: i.attrs["photo"])
    shown = []
    for photo in photos:
        window.catalog_view.setCurrentIndex(window.catalog_filter.mapFromSource(window.catalog_model.index(rows[photo.id])))
        qtbot.waitUntil(lambda: window.curation_panel.item_id is not None, timeout=WAIT)
        shown.append((window.curation_panel.item_id, window.curation_panel.model.rowCount()))
    assert shown == [(photos[0].id, 4)] * len(photos)
