"""Curating by hand in the real window on a real X server: products dragged into the list being edited.

Qt's offscreen platform cannot drag (its QDrag.exec gives up at once), so test_on_x_server.py
runs each test here in a pytest of its own, on Xvfb with the xcb platform. The events are QTest's
real mouse and key events on the shown widgets; the drag is Qt's own, with its own event loop.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QListView

from core.lists import Curation
from core.storage import CatalogStore
from gui.main_window import MainWindow
from gui.roles import Roles
from tests.gui.hands import click, curating, drag, screenshot_folder

pytestmark = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on an X server by test_on_x_server.py")

WAIT = 60_000
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
SIZES = [(1280, 800), (1024, 700)]


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def window(request, qtbot, shown_window, catalog):
    """The window at a size, on a demo catalog with lists made, the first product chosen by a click."""
    win = shown_window(request.param)
    curating(qtbot, win, catalog)
    return win


def stored(window: MainWindow, item_id: int) -> list[int]:
    """The stored list of `item_id`, read through a connection of its own."""
    with CatalogStore(window.session.ws.database) as store:
        return [e.target_id for e in Curation(store).state(item_id, "related").shown]


def item_at(view: QListView, row: int) -> int:
    return int(view.model().index(row, 0).data(Roles.ItemIdRole))


def shot(window: MainWindow, name: str) -> Path:
    folder = screenshot_folder()
    path = folder / f"{name}-{window.width()}x{window.height()}.png"
    assert window.grab().save(str(path))
    return path


def visible_outsider(view: QListView, keep_out: set[int]) -> QModelIndex:
    """The first card in `view` whose product is none of `keep_out`, scrolled into view (the wheel would do as well)."""
    for row in range(view.model().rowCount()):
        if item_at(view, row) not in keep_out:
            index = view.model().index(row, 0)
            view.scrollTo(index)
            QTest.qWait(50)
            assert view.viewport().rect().contains(view.visualRect(index).center())
            return index
    pytest.fail("every card is of a product kept out")


def free_spot(view: QListView) -> QPoint:
    """A point of `view` after its last card, where no card is (scrolled to the end first)."""
    view.scrollToBottom()
    QTest.qWait(50)
    last = view.visualRect(view.model().index(view.model().rowCount() - 1, 0))
    for spot in (QPoint(last.right() + 30, last.center().y()), QPoint(last.left() + 10, last.bottom() + 20)):
        if view.viewport().rect().contains(spot) and not view.indexAt(spot).isValid():
            return spot
    pytest.fail("no room after the last card")


def test_a_product_dragged_from_the_catalog_joins_the_list_being_edited(qtbot, window):
    panel, grid = window.curation_panel, window.catalog_view
    edited = panel.item_id
    assert edited == item_at(grid, 0)
    listed = stored(window, edited)
    card = visible_outsider(grid, {edited, *listed})
    product = item_at(grid, card.row())
    # dropped on the second entry: it goes in at that place
    drag(qtbot, grid, card, panel.view, panel.view.visualRect(panel.model.index(1, 0)).center())
    qtbot.waitUntil(lambda: product in stored(window, edited), timeout=10_000)

    assert stored(window, edited).index(product) == 1
    assert panel.item_id == edited and window._selected_item() == edited
    assert [e.target_id for e in map(panel.model.entry, range(panel.model.rowCount()))][1] == product
    assert window.banner.isHidden() and window.last_error == ""
    assert grid.currentIndex().row() == 0  # the keyboard's place stays on the edited product
    shot(window, "drag-from-catalog")

    # Keyboard users: the arrow keys still choose the product whose list is edited.
    grid.setFocus()
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        QTest.keyClick(grid, Qt.Key.Key_Right)
    assert panel.item_id == item_at(grid, 1) and window._selected_item() == item_at(grid, 1)


def test_a_lookalike_dragged_beside_joins_the_list(qtbot, window):
    panel, results = window.curation_panel, window.results_view
    assert panel.isVisible() and results.isVisible()  # side by side: both in view at once
    edited = panel.item_id
    card = visible_outsider(results, {edited, *stored(window, edited)})
    product = item_at(results, card.row())
    drag(qtbot, results, card, panel.view, free_spot(panel.view))
    qtbot.waitUntil(lambda: product in stored(window, edited), timeout=10_000)

    assert stored(window, edited)[-1] == product  # dropped beside the entries: added last
    assert panel.item_id == edited and window._selected_item() == edited
    assert window.banner.isHidden() and window.last_error == ""
    shot(window, "drag-from-lookalikes")


def test_a_click_chooses_the_product_and_a_right_click_does_not(qtbot, window):
    panel, grid = window.curation_panel, window.catalog_view
    edited = panel.item_id
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(grid, grid.model().index(2, 0))
    assert panel.item_id == item_at(grid, 2) and window._selected_item() == item_at(grid, 2)
    assert edited != panel.item_id

    grid.customContextMenuRequested.connect(lambda _: QTimer.singleShot(0, lambda: window._menu.close()))
    click(grid, grid.model().index(3, 0), Qt.MouseButton.RightButton)
    qtbot.waitUntil(lambda: getattr(window, "_menu", None) is not None, timeout=5000)
    names = [a.text() for a in window._menu.actions()]
    assert any(n.startswith("Add to the List of ") for n in names)  # the list edited is still the one chosen by the click
    assert panel.item_id == item_at(grid, 2) and window._selected_item() == item_at(grid, 2)
