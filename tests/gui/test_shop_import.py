"""File > Open Shop Export in the real window: photos fetched from a real server on 127.0.0.1, then the catalog opens."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton

from core.bench.photo_server import PhotoHandler, PhotoServer
from core.bench.shop_catalogs import make_products, write_photos, write_shopify_export
from core.shop import read_shop_export
from core.storage import CatalogStore, Workspace
from gui.roles import Roles
from tests.gui.hands import key, type_name, with_modal
from tests.gui.hands import click, press_return

WAIT = 60_000
CTRL = Qt.KeyboardModifier.ControlModifier


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
    assert window.catalog_model.rowCount() == 12  # a tile per product: the first product keeps its other photos
    assert window.count_label.text() == f"12 products · {photos - 1} photos"
    assert window.banner.label.text() == (f"Imported 12 products; 1 photo could not be fetched: {products[0].title} "
                                          "(gone.jpg: the server answered 404 Not Found).")
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


def test_a_product_of_several_photos_is_one_tile_with_one_list_and_lookalikes_without_its_photos(qtbot, window, shop):
    root, products = shop
    with PhotoServer(root / "cdn") as server:
        export = root / "shopify.csv"
        write_shopify_export(products, server.url, export)
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
            assert window.import_shop_export(read_shop_export(export), root / "shop")
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=WAIT)
    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, key(window, Qt.Key.Key_L, CTRL), press_return)
    several = next(p for p in products if len(p.photos) == 3)
    with CatalogStore(Workspace.locate(root / "shop").database) as store:
        photos = sorted((i for i in store.items() if i.attrs.get("product") == several.handle), key=lambda i: i.attrs["photo"])
    grid = window.catalog_filter
    assert window.count_label.text() == f"12 products · {sum(len(p.photos) for p in products)} photos"
    tiles = [grid.index(r, 0) for r in range(grid.rowCount()) if grid.index(r, 0).data(Roles.NameRole) == several.title]
    assert [(t.data(Roles.ItemIdRole), t.data(Roles.PhotoCountRole)) for t in tiles] == [(photos[0].id, 3)]
    window.k_spin.setValue(6)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(window.catalog_view, tiles[0])
    qtbot.waitUntil(lambda: window.curation_panel.item_id == photos[0].id, timeout=WAIT)
    own = {photo.id for photo in photos}
    found = [window.results_model.index(r, 0).data(Roles.ItemIdRole) for r in range(window.results_model.rowCount())]
    listed = [window.curation_panel.model.index(r, 0).data(Roles.ItemIdRole) for r in range(window.curation_panel.model.rowCount())]
    assert len(found) == 6 and not own & set(found)
    assert listed and not own & set(listed)


def test_a_product_whose_photo_failed_is_said_with_the_reason_and_every_line_one_click_away(qtbot, window, shop, tmp_path):
    root, products = shop
    lost = products[3]  # its only photo
    assert len(lost.photos) == 1
    downloads = root / "downloads"
    downloads.mkdir()
    export = downloads / "shopify.csv"
    with PhotoServer(root / "cdn") as server:
        write_shopify_export(products, server.url, export)
        export.write_text(export.read_text().replace(f"{server.url}/{lost.photos[0]}", f"{server.url}/gone.jpg"))
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):  # Ctrl+I: the export, then a folder for its photos
            with_modal(window, key(window, Qt.Key.Key_I, CTRL), type_name(str(export)), type_name("Shop"))
        gone = f"{server.url}/gone.jpg"
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=WAIT)
    said = f"Imported 11 of 12 products; 1 photo could not be fetched: {lost.title} (gone.jpg: the server answered 404 Not Found)"
    assert window.banner.isVisible() and window.banner.label.text() == f"{said}."
    assert window.catalog_filter.rowCount() == 11 and window.count_label.text().startswith("11 products")
    assert lost.title not in {window.catalog_filter.index(r, 0).data(Roles.NameRole) for r in range(window.catalog_filter.rowCount())}
    view = window.catalog_view
    first = [view.model().index(r, 0) for r in range(4)]
    qtbot.waitUntil(lambda: all(window.loader.peek(i.data(Roles.ThumbKeyRole)) is not None for i in first), timeout=WAIT)
    view.viewport().repaint()
    window.grab().save(str(tmp_path / "import-banner.png"))

    details = next(b for b in window.banner.buttons if b.text() == "Details…")
    shown: list[str] = []

    def read_and_close(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        shown.extend([box.text(), box.informativeText(), box.detailedText()])
        more = next(b for b in box.findChildren(QPushButton) if b.text().startswith("Show Details"))
        QTest.mouseClick(more, Qt.MouseButton.LeftButton)
        box.grab().save(str(tmp_path / "import-details.png"))
        QTest.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)  # Return would toggle the details, which have the focus now
        assert not box.isVisible()

    with_modal(window, lambda: QTest.mouseClick(details, Qt.MouseButton.LeftButton), read_and_close)
    assert shown[0] == f"{said}."
    assert shown[2].splitlines() == [
        f"Not fetched: {lost.title} (gone.jpg: the server answered 404 Not Found); from {gone}",
        f"Not in the catalog (no photo): {lost.handle}",
    ]
    assert not window.banner.isVisible()
