"""Open in Shop and Compare, driven by real clicks, right-clicks, menus and keys on the shown window."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListView, QMenu

from core.demo import write_demo_catalog
from gui.main_window import MainWindow
from gui.roles import Roles

WAIT = 60_000
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier
NO_LINK_ROW = 4  # of products.csv, in its order: these rows' products have no web link
OTHER_LINK_ROW = 5


def shop_link(sku: str) -> str:
    return f"https://shop.example.com/products/{sku.lower()}?variant=2"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory) -> Path:
    """The 30-product demo catalog, its products.csv given a link column: web links, one empty, one not on the web."""
    folder = tmp_path_factory.mktemp("demo-links") / "demo"
    write_demo_catalog(folder, count=30)
    listing = folder / "products.csv"
    with listing.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for number, row in enumerate(rows):
        row["link"] = "" if number == NO_LINK_ROW else "ftp://files.example.com/x.html" if number == OTHER_LINK_ROW else shop_link(row["sku"])
    with listing.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


class Browser(QObject):
    """Stands in for the system's browser: QDesktopServices hands it every web address opened."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open_url(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def browser(qapp) -> Iterator[Browser]:
    receiver = Browser()
    for scheme in ("https", "http", "ftp"):
        QDesktopServices.setUrlHandler(scheme, receiver, "open_url")
    yield receiver
    for scheme in ("https", "http", "ftp"):
        QDesktopServices.unsetUrlHandler(scheme)


def open_and_index(qtbot, window: MainWindow, catalog: Path) -> None:
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(catalog)
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=WAIT)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # shortcuts reach the active window only


def click(view: QListView, index: QModelIndex, button: Qt.MouseButton = Qt.MouseButton.LeftButton,
          modifiers: Qt.KeyboardModifier = NONE) -> None:
    """A click on a card through the window, as the platform delivers it (a right click asks for the context menu)."""
    view.scrollTo(index)
    QTest.qWait(20)
    window, at = view.window(), view.visualRect(index).center()
    QTest.mouseClick(window.windowHandle(), button, modifiers, view.viewport().mapTo(window, at))


def choose_product(qtbot, window: MainWindow, row: int) -> QModelIndex:
    """Click a product in the catalog grid; returns its card once its lookalikes are on screen."""
    index = window.catalog_filter.index(row, 0)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(window.catalog_view, index)
    return index


def context_menu(qtbot, view: QListView, index: QModelIndex) -> QMenu:
    click(view, index, Qt.MouseButton.RightButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    return menu


def action_named(menu: QMenu, prefix: str) -> QAction:
    found = [a for a in menu.actions() if a.text().startswith(prefix)]
    assert len(found) == 1, [a.text() for a in menu.actions()]
    return found[0]


def click_action(menu: QMenu, action: QAction) -> None:
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, NONE, menu.actionGeometry(action).center())


def key_to_action(menu: QMenu, action: QAction) -> None:
    """Walk the menu with Down until `action` is lit, then press Return."""
    for _ in range(len(menu.actions()) + 1):
        if menu.activeAction() is action:
            break
        QTest.keyClick(menu, Qt.Key.Key_Down)
    assert menu.activeAction() is action
    QTest.keyClick(menu, Qt.Key.Key_Return)


def row_in_listing(window: MainWindow, number: int) -> QModelIndex:
    """The catalog card of products.csv's row `number`."""
    with (window.session.ws.catalog / "products.csv").open(newline="") as fh:
        path = list(csv.DictReader(fh))[number]["path"]
    rows = [window.catalog_filter.index(r, 0) for r in range(window.catalog_filter.rowCount())]
    return next(i for i in rows if i.data(Roles.PathRole) == path)


def card_of(window: MainWindow, item_id: int) -> QModelIndex:
    rows = [window.catalog_filter.index(r, 0) for r in range(window.catalog_filter.rowCount())]
    return next(i for i in rows if i.data(Roles.ItemIdRole) == item_id)


# Open in Shop -----------------------------------------------------------------------------
def test_open_in_shop_from_a_catalog_card_opens_its_exact_link(qtbot, window, catalog, browser):
    open_and_index(qtbot, window, catalog)
    card = window.catalog_filter.index(7, 0)
    menu = context_menu(qtbot, window.catalog_view, card)
    shop = action_named(menu, "Open in Shop")
    assert shop.isEnabled() and menu.toolTipsVisible()
    assert shop.toolTip() == shop_link(card.data(Roles.SkuRole))
    click_action(menu, shop)
    qtbot.waitUntil(lambda: browser.opened != [], timeout=5000)
    assert browser.opened == [shop_link(card.data(Roles.SkuRole))]
    assert window.last_error == ""


def test_open_in_shop_from_a_lookalike_by_the_keyboard_opens_the_lookalikes_link(qtbot, window, catalog, browser):
    open_and_index(qtbot, window, catalog)
    chosen = choose_product(qtbot, window, 2)
    lookalike = window.results_model.index(1, 0)
    assert lookalike.data(Roles.ItemIdRole) != chosen.data(Roles.ItemIdRole)
    menu = context_menu(qtbot, window.results_view, lookalike)
    key_to_action(menu, action_named(menu, "Open in Shop"))
    qtbot.waitUntil(lambda: browser.opened != [], timeout=5000)
    assert browser.opened == [shop_link(lookalike.data(Roles.SkuRole))]


def test_the_shortcut_and_the_catalog_menu_open_the_chosen_products_page(qtbot, window, catalog, browser):
    open_and_index(qtbot, window, catalog)
    chosen = choose_product(qtbot, window, 11)
    QTest.keyClick(window, Qt.Key.Key_B, CTRL_SHIFT)
    qtbot.waitUntil(lambda: len(browser.opened) == 1, timeout=5000)
    assert browser.opened == [shop_link(chosen.data(Roles.SkuRole))]

    lookalike = window.results_model.index(0, 0)
    click(window.results_view, lookalike)  # the grid last used: its chosen card is the one opened
    qtbot.waitUntil(lambda: window.shop_page_action.toolTip() == f"Open {shop_link(lookalike.data(Roles.SkuRole))}", timeout=5000)
    bar = window.menuBar()
    catalog_menu = next(a for a in bar.actions() if a.text() == "&Catalog")
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, NONE, bar.actionGeometry(catalog_menu).center())
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is catalog_menu.menu(), timeout=5000)
    click_action(catalog_menu.menu(), window.shop_page_action)
    qtbot.waitUntil(lambda: len(browser.opened) == 2, timeout=5000)
    assert browser.opened[1] == shop_link(lookalike.data(Roles.SkuRole))


def test_without_a_web_link_open_in_shop_is_off_and_says_why(qtbot, window, catalog, browser):
    open_and_index(qtbot, window, catalog)
    bare = row_in_listing(window, NO_LINK_ROW)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(window.catalog_view, bare)
    assert not window.shop_page_action.isEnabled()
    assert window.shop_page_action.toolTip().startswith(f"No shop link for {bare.data(Roles.NameRole)}")
    QTest.keyClick(window, Qt.Key.Key_B, CTRL_SHIFT)
    menu = context_menu(qtbot, window.catalog_view, bare)
    shop = action_named(menu, "Open in Shop")
    assert not shop.isEnabled() and shop.toolTip().startswith("No shop link") and menu.toolTipsVisible()
    click_action(menu, shop)  # a click on what is off does nothing
    menu.close()

    elsewhere = row_in_listing(window, OTHER_LINK_ROW)
    menu = context_menu(qtbot, window.catalog_view, elsewhere)
    shop = action_named(menu, "Open in Shop")
    assert not shop.isEnabled()
    assert "only http:// and https:// links are opened" in shop.toolTip() and "ftp://files.example.com/x.html" in shop.toolTip()
    menu.close()
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(window.catalog_view, elsewhere)
    assert not window.shop_page_action.isEnabled() and "only http:// and https://" in window.shop_page_action.toolTip()
    QTest.keyClick(window, Qt.Key.Key_B, CTRL_SHIFT)
    QTest.qWait(100)
    assert browser.opened == []


def test_the_shortcuts_are_the_windows_own(qtbot, window):
    taken = [a.shortcut() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    for action in (window.shop_page_action, window.compare_action):
        assert taken.count(action.shortcut()) == 1, action.shortcut().toString()


# Compare ------------------------------------------------------------------------------------
def lookalike_score(window: MainWindow, item_id: int) -> float:
    return next(m.score for m in window.results_model.matches() if m.item_id == item_id)


def test_compare_with_on_a_lookalike_splits_the_score_the_grid_shows(qtbot, window, catalog, browser, tmp_path):
    open_and_index(qtbot, window, catalog)
    window.colour_slider.setFocus()
    for _ in range(2):  # two page steps: half by colour
        QTest.keyClick(window.colour_slider, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: window.session.colour_weight == 0.5, timeout=5000)
    chosen = choose_product(qtbot, window, 5)
    chosen_id, chosen_name = chosen.data(Roles.ItemIdRole), chosen.data(Roles.NameRole)
    lookalike = window.results_model.index(2, 0)
    lookalike_id = lookalike.data(Roles.ItemIdRole)
    menu = context_menu(qtbot, window.results_view, lookalike)
    compare = action_named(menu, "Compare With ")
    assert compare.text() == f"Compare With {chosen_name}…"
    click_action(menu, compare)
    qtbot.waitUntil(lambda: window.compare_dialog is not None and window.compare_dialog.isVisible(), timeout=5000)
    dialog = window.compare_dialog
    assert (dialog.first.id, dialog.second.id) == (chosen_id, lookalike_id)

    shown = lookalike_score(window, lookalike_id)
    parts = dialog.parts
    assert parts is not None and parts.weight_used == 0.5
    assert parts.shape + parts.colour == pytest.approx(shown, abs=1e-5)
    assert parts.shape == pytest.approx(0.5 * parts.shape_similarity) and parts.colour == pytest.approx(0.5 * parts.colour_similarity)
    assert f"Score {shown:.3f}" in dialog.score_label.text()
    assert f"{parts.shape:.3f}" in dialog.shape_label.text() and f"{parts.colour:.3f}" in dialog.colour_label.text()
    for column, item_id in zip(dialog.columns, (chosen_id, lookalike_id)):
        item = window.session.store.item(item_id)
        assert item.name in column.title.text() and item.sku in column.details.text() and item.category in column.details.text()
        assert column.photo.pixmap().width() >= 250  # large, not a thumbnail
    qtbot.waitUntil(lambda: all(c.swatches.swatches for c in dialog.columns), timeout=WAIT)
    for column in dialog.columns:
        assert sum(s.share for s in column.swatches.swatches) <= 1.0 + 1e-9
        assert column.colours_caption.text() == "Main colours"
    assert dialog.grab().save(str(tmp_path / "compare.png"))
    button = dialog.columns[1].shop_button
    assert button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: browser.opened != [], timeout=5000)
    assert browser.opened == [shop_link(lookalike.data(Roles.SkuRole))]


def test_two_cards_ctrl_clicked_and_the_key_compare_them(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    first = choose_product(qtbot, window, 9)
    first_id = first.data(Roles.ItemIdRole)
    second_id = window.results_model.index(3, 0).data(Roles.ItemIdRole)
    shown = lookalike_score(window, second_id)
    click(window.catalog_view, card_of(window, second_id), modifiers=CTRL)
    assert len(window.catalog_view.selectionModel().selectedIndexes()) == 2
    QTest.keyClick(window, Qt.Key.Key_C, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.compare_dialog is not None and window.compare_dialog.isVisible(), timeout=5000)
    dialog = window.compare_dialog
    assert (dialog.first.id, dialog.second.id) == (first_id, second_id)
    assert dialog.parts.weight_used == 0.0 and dialog.parts.colour == 0.0
    assert dialog.parts.shape + dialog.parts.colour == pytest.approx(shown, abs=1e-5)
    assert f"Score {shown:.3f}" in dialog.score_label.text()


def test_compare_with_on_another_catalog_card_compares_it_with_the_chosen_product(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    chosen = choose_product(qtbot, window, 3)
    other = window.catalog_filter.index(20, 0)
    menu = context_menu(qtbot, window.catalog_view, other)
    compare = action_named(menu, "Compare With ")
    assert compare.text() == f"Compare With {chosen.data(Roles.NameRole)}…"
    key_to_action(menu, compare)
    qtbot.waitUntil(lambda: window.compare_dialog is not None and window.compare_dialog.isVisible(), timeout=5000)
    dialog = window.compare_dialog
    assert (dialog.first.id, dialog.second.id) == (chosen.data(Roles.ItemIdRole), other.data(Roles.ItemIdRole))
    assert dialog.parts.score == pytest.approx(window.session.searcher.similarity(dialog.first.id, dialog.second.id))
    assert window.catalog_view.selectionModel().selectedIndexes() == [chosen]  # the right click chose nothing


def test_the_key_on_a_chosen_lookalike_compares_it_and_follows_the_slider(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    chosen = choose_product(qtbot, window, 14)
    lookalike_id = window.results_model.index(1, 0).data(Roles.ItemIdRole)
    click(window.results_view, window.results_model.index(1, 0))
    QTest.keyClick(window, Qt.Key.Key_C, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.compare_dialog is not None and window.compare_dialog.isVisible(), timeout=5000)
    dialog = window.compare_dialog
    assert (dialog.first.id, dialog.second.id) == (chosen.data(Roles.ItemIdRole), lookalike_id)

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.colour_slider.setFocus()
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        QTest.keyClick(window.colour_slider, Qt.Key.Key_End)  # colour alone
    assert dialog.parts.weight_used == 1.0 and dialog.parts.shape == 0.0
    if any(m.item_id == lookalike_id for m in window.results_model.matches()):  # still among the lookalikes by colour
        assert dialog.parts.score == pytest.approx(lookalike_score(window, lookalike_id), abs=1e-5)
    assert dialog.parts.score == pytest.approx(window.session.searcher.similarity(chosen.data(Roles.ItemIdRole), lookalike_id, 1.0))
    assert "100%" in dialog.colour_label.text()


def test_compare_without_a_pair_says_what_to_choose(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    QTest.keyClick(window, Qt.Key.Key_C, CTRL_SHIFT)
    assert window.compare_dialog is None
    assert window.last_error.startswith("choose two products to compare")
