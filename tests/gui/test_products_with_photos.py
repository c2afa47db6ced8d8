"""A product with two photos in the real window: one tile with its photos counted, lookalikes that leave its own photos out
and show another product's photos as one card."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListView

from gui.main_window import MainWindow
from gui.roles import Roles
from tests.conftest import draw_product
from tests.gui.hands import key, shot, type_name, with_modal
from tests.gui.hands import click, press_return

WAIT = 60_000
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier

# path, shape, colour, offset, sku, name: the shirt has two photos under one SKU
PHOTOS = [
    ("shirts/linen-shirt-front.png", "disc", (200, 40, 40), 0, "SH-101", "Linen Shirt"),
    ("shirts/linen-shirt-side.png", "disc", (200, 40, 40), 10, "SH-101", "Linen Shirt"),
    ("hats/coral-cap.png", "disc", (230, 120, 60), 0, "HT-201", "Coral Cap"),
    ("bags/canvas-tote.png", "bar", (40, 60, 200), 0, "BG-301", "Canvas Tote"),
    ("bags/green-clutch.png", "slab", (40, 160, 60), 0, "BG-302", "Green Clutch"),
    ("shoes/sun-sneaker.png", "wedge", (220, 200, 30), 0, "SN-401", "Sun Sneaker"),
    ("shoes/plum-boot.png", "bar", (120, 40, 140), 6, "SN-402", "Plum Boot"),
]


@pytest.fixture
def catalog(tmp_path) -> Path:
    folder = tmp_path / "catalog"
    for path, shape, colour, offset, _, _ in PHOTOS:
        draw_product(folder / path, shape, colour, size=160, offset=offset)
    with open(folder / "products.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "sku", "name"])
        writer.writerows((path, sku, name) for path, *_, sku, name in PHOTOS)
    return folder


def open_by_hand(qtbot, window: MainWindow, folder: Path) -> None:
    """File › Open Catalog (Ctrl+Shift+O), the folder typed into the chooser; returns once it is indexed."""
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, key(window, Qt.Key.Key_O, CTRL | Qt.KeyboardModifier.ShiftModifier), type_name(str(folder)))
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=WAIT)


def tiles(window: MainWindow) -> list[tuple[str, str, int]]:
    """The grid as shown: each tile's name, path and photo count."""
    grid = window.catalog_filter
    return [(grid.index(r, 0).data(Roles.NameRole), grid.index(r, 0).data(Roles.PathRole), grid.index(r, 0).data(Roles.PhotoCountRole))
            for r in range(grid.rowCount())]


def tile_of(window: MainWindow, name: str):
    grid = window.catalog_filter
    return next(grid.index(r, 0) for r in range(grid.rowCount()) if grid.index(r, 0).data(Roles.NameRole) == name)


def store_ids(window: MainWindow) -> dict[str, int]:
    return {item.path: item.id for item in window.session.store.items()}


def click_and_wait_results(qtbot, window: MainWindow, index) -> list[str]:
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(window.catalog_view, index)
    model = window.results_model
    return [model.index(r, 0).data(Roles.PathRole) for r in range(model.rowCount())]


def thumbnails_drawn(window: MainWindow, view: QListView) -> bool:
    model = view.model()
    keys = [(model.index(r, 0).data(Roles.ThumbKeyRole), model.index(r, 0).data(Roles.SourcePathRole)) for r in range(model.rowCount())]
    return all(window.loader.pixmap(key, Path(source)) is not None for key, source in keys)


def dark_in_corner(window: MainWindow, image: QImage, index) -> int:
    """Dark pixels at the bottom right of a tile's thumbnail, where the photo count is marked (the shapes drawn are light there)."""
    square = window.catalog_view.visualRect(index).adjusted(10, 10, 0, 0)  # the card's inset and padding
    thumb = window.catalog_delegate.shown_size
    right, bottom = square.left() + thumb, square.top() + thumb
    return sum(1 for x in range(right - 44, right - 3) for y in range(bottom - 16, bottom - 3)
               if QColor(image.pixel(x, y)).lightness() < 140)


def test_a_product_of_two_photos_is_one_tile_with_its_photos_counted(qtbot, window, catalog, tmp_path):
    open_by_hand(qtbot, window, catalog)
    shown = tiles(window)
    assert sorted(name for name, _, _ in shown) == sorted({name for *_, name in PHOTOS})
    assert ("Linen Shirt", "shirts/linen-shirt-front.png", 2) in shown  # the first photo stands for the product
    assert all(count == 1 for name, _, count in shown if name != "Linen Shirt")
    assert window.count_label.text() == "6 products · 7 photos"
    shirt = tile_of(window, "Linen Shirt")
    assert "2 photos: shirts/linen-shirt-front.png, shirts/linen-shirt-side.png" in shirt.data(Qt.ItemDataRole.ToolTipRole)

    # the mark is painted on the tile: dark ink where the "2 photos" tag sits, at the thumbnail's bottom right
    qtbot.waitUntil(lambda: thumbnails_drawn(window, window.catalog_view), timeout=WAIT)
    window.catalog_view.viewport().repaint()
    image = window.catalog_view.viewport().grab().toImage()
    window.grab().save(str(tmp_path / "grid-two-photo-product.png"))
    assert dark_in_corner(window, image, shirt) > 30
    assert dark_in_corner(window, image, tile_of(window, "Canvas Tote")) == 0

    # a word of the second photo's file name finds the product's tile
    QTest.keyClicks(window.filter_edit, "side")
    qtbot.waitUntil(lambda: window.catalog_filter.rowCount() == 1, timeout=WAIT)
    assert tiles(window) == [("Linen Shirt", "shirts/linen-shirt-front.png", 2)]
    assert window.count_label.text() == "1 of 6 products · 7 photos"


def test_the_lookalikes_of_a_product_leave_its_other_photo_out(qtbot, window, catalog, tmp_path):
    open_by_hand(qtbot, window, catalog)
    window.k_spin.setValue(3)
    found = click_and_wait_results(qtbot, window, tile_of(window, "Linen Shirt"))
    qtbot.waitUntil(lambda: thumbnails_drawn(window, window.results_view), timeout=WAIT)
    window.grab().save(str(tmp_path / "lookalikes-of-two-photo-product.png"))
    assert len(found) == 3
    assert not {"shirts/linen-shirt-front.png", "shirts/linen-shirt-side.png"} & set(found)
    assert found[0] == "hats/coral-cap.png"  # the next disc: the shirt's other photo did not take its place

    # another product's lookalikes may list the shirt's photos
    found = click_and_wait_results(qtbot, window, tile_of(window, "Coral Cap"))
    assert "hats/coral-cap.png" not in found and found[0].startswith("shirts/linen-shirt-")

    # a query by one photo (pasted) may still find that product, once
    photo = QImage(str(catalog / "shirts/linen-shirt-side.png"))
    QGuiApplication.clipboard().setImage(photo)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        QTest.keyClick(window.catalog_view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert shown.args[0].label == "pasted picture"
    model = window.results_model
    pasted = [model.index(r, 0).data(Roles.PathRole) for r in range(model.rowCount())]
    assert len(pasted) == 3 and sum(path.startswith("shirts/linen-shirt-") for path in pasted) == 1


def test_the_products_list_is_one_and_never_holds_its_own_photo(qtbot, window, catalog):
    open_by_hand(qtbot, window, catalog)
    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, key(window, Qt.Key.Key_L, CTRL), press_return)
    ids = store_ids(window)
    click_and_wait_results(qtbot, window, tile_of(window, "Linen Shirt"))
    qtbot.waitUntil(lambda: window.curation_panel.item_id == ids["shirts/linen-shirt-front.png"], timeout=WAIT)
    panel = window.curation_panel.model
    listed = [panel.index(r, 0).data(Roles.PathRole) for r in range(panel.rowCount())]
    assert listed and not any(path.startswith("shirts/linen-shirt-") for path in listed)
    assert len(listed) == len(set(listed))

    # another product's list holds the shirt once, by its main photo
    click_and_wait_results(qtbot, window, tile_of(window, "Coral Cap"))
    qtbot.waitUntil(lambda: window.curation_panel.item_id == ids["hats/coral-cap.png"], timeout=WAIT)
    panel = window.curation_panel.model
    listed = [panel.index(r, 0).data(Roles.PathRole) for r in range(panel.rowCount())]
    names = [panel.index(r, 0).data(Roles.NameRole) for r in range(panel.rowCount())]
    assert "shirts/linen-shirt-front.png" in listed and "shirts/linen-shirt-side.png" not in listed
    assert len(names) == len(set(names)) and "Coral Cap" not in names


def shown_results(window: MainWindow) -> list[tuple[str, str, float]]:
    """The lookalikes as shown: each card's name, path and score."""
    model = window.results_model
    return [(model.index(r, 0).data(Roles.NameRole), model.index(r, 0).data(Roles.PathRole), model.index(r, 0).data(Roles.ScoreRole))
            for r in range(model.rowCount())]


def test_another_products_photos_are_one_card_its_best(qtbot, window, catalog):
    open_by_hand(qtbot, window, catalog)
    window.k_spin.lineEdit().selectAll()
    QTest.keyClicks(window.k_spin, "3")
    assert window.k_spin.value() == 3
    click_and_wait_results(qtbot, window, tile_of(window, "Coral Cap"))
    qtbot.waitUntil(lambda: thumbnails_drawn(window, window.results_view), timeout=WAIT)
    found = shown_results(window)
    shot(window, "lookalikes-of-coral-cap-one-card-per-product")
    names = [name for name, _, _ in found]
    assert len(found) == 3 and len(set(names)) == 3 and names[0] == "Linen Shirt"  # three products, the shirt once
    # the shirt's card is its photo most like the cap, at that photo's score
    ids, searcher = store_ids(window), window.session.searcher
    cap = ids["hats/coral-cap.png"]
    scores = {path: searcher.similarity(cap, ids[path]) for path in ("shirts/linen-shirt-front.png", "shirts/linen-shirt-side.png")}
    top = max(scores.values())
    assert found[0][1] in scores and scores[found[0][1]] == pytest.approx(top, abs=1e-4) and found[0][2] == pytest.approx(top, abs=1e-4)

    # a longer list asked for by keys: every other product, each once, and no more than there are
    for k in (4, 5, 6):
        with qtbot.waitSignal(window.query_shown, timeout=WAIT):
            QTest.keyClick(window.k_spin, Qt.Key.Key_Up)
        assert window.k_spin.value() == k
        names = [name for name, _, _ in shown_results(window)]
        assert len(names) == min(k, 5) == len(set(names)) and "Coral Cap" not in names
    assert set(names) == {name for *_, name in PHOTOS} - {"Coral Cap"}
    assert window.query_title.text().endswith(f"5 matches · best {found[0][2]:.3f}")

    # the shirt's card opened from the lookalikes: its own lookalikes, each product once, none of its photos
    click(window.results_view, window.results_model.index(0, 0))
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        QTest.keyClick(window.results_view, Qt.Key.Key_Return)
    assert shown.args[0].label == "Linen Shirt"
    again = shown_results(window)
    assert len(again) == 5 and len({name for name, _, _ in again}) == 5 and "Linen Shirt" not in {name for name, _, _ in again}


def test_a_dropped_or_pasted_photo_finds_each_product_once(qtbot, window, catalog):
    open_by_hand(qtbot, window, catalog)
    window.k_spin.lineEdit().selectAll()
    QTest.keyClicks(window.k_spin, "3")
    photo = catalog / "shirts/linen-shirt-side.png"

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    at = window.results_view.mapTo(window, window.results_view.rect().center())
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        QApplication.sendEvent(window, QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, NONE))
        QApplication.sendEvent(window, QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, NONE))
    assert shown.args[0].label == "linen-shirt-side.png"
    dropped = [name for name, _, _ in shown_results(window)]
    # the shirt's photos tie with the cap's (one shape): the shirt once, and its other photo's place to the next product
    assert len(dropped) == 3 == len(set(dropped)) and {"Linen Shirt", "Coral Cap"} < set(dropped)

    QGuiApplication.clipboard().setImage(QImage(str(photo)))
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        QTest.keyClick(window.catalog_view, Qt.Key.Key_V, CTRL)
    assert shown.args[0].label == "pasted picture"
    assert [name for name, _, _ in shown_results(window)] == dropped
