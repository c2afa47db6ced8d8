"""Bulk list edits and the review filters in the real window, driven by real clicks, ctrl-clicks,
right-click menus walked with keys, combo boxes and shortcuts; another connection edits meanwhile."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QListView, QMenu

from core.lists import Curation, ListState, Rules, edits, review
from core.storage import CatalogStore
from gui.main_window import MainWindow
from gui.roles import Roles

WAIT = 60_000
NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot, tmp_path, demo_source, default_encoder):
    """The window on a demo catalog with related lists made (five entries each), the first product clicked."""
    catalog = tmp_path / "catalog"
    shutil.copytree(demo_source, catalog)
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        assert win.open_catalog(catalog)
    with qtbot.waitSignal(win.session.generated, timeout=WAIT):
        assert win.make_lists(Rules(k=5))
    qtbot.waitUntil(lambda: not win.cancel_button.isVisible(), timeout=WAIT)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)  # shortcuts reach the active window only
    with qtbot.waitSignal(win.query_shown, timeout=WAIT):
        click(win.catalog_view, win.catalog_filter.index(0, 0))
    yield win
    win.session.shutdown()


@pytest.fixture
def other(window):
    """Another window's connection to the same catalog."""
    with CatalogStore(window.session.ws.database) as store:
        yield Curation(store)


# a hand on the window --------------------------------------------------------------------------
def click(view: QListView, index: QModelIndex, button: Qt.MouseButton = Qt.MouseButton.LeftButton, modifiers=NONE) -> None:
    """A click on a card through the window, as the platform delivers it (a right click asks for the context menu)."""
    view.scrollTo(index)
    QTest.qWait(20)
    win, at = view.window(), view.visualRect(index).center()
    QTest.mouseClick(win.windowHandle(), button, modifiers, view.viewport().mapTo(win, at))


def context_menu(qtbot, view: QListView, index: QModelIndex) -> QMenu:
    click(view, index, Qt.MouseButton.RightButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    return QApplication.activePopupWidget()


def choose_in_menu(menu: QMenu, prefix: str) -> None:
    """Walk the menu with Down until the action whose text starts with `prefix` is lit, then press Return."""
    found = [a for a in menu.actions() if a.text().startswith(prefix)]
    assert len(found) == 1, [a.text() for a in menu.actions()]
    action: QAction = found[0]
    for _ in range(len(menu.actions()) + 1):
        if menu.activeAction() is action:
            break
        QTest.keyClick(menu, Qt.Key.Key_Down)
    assert menu.activeAction() is action
    QTest.keyClick(menu, Qt.Key.Key_Return)


def choose_in_combo(combo: QComboBox, data: object) -> None:
    """Give the combo box the keyboard (a click on it, then Escape to close its list) and press Down until `data` is chosen."""
    QTest.mouseClick(combo, Qt.MouseButton.LeftButton)
    QTest.keyClick(QApplication.activePopupWidget() or combo, Qt.Key.Key_Escape)
    combo.window().activateWindow()  # the window manager's part once the list is gone; offscreen has none
    for _ in range(500):
        if combo.window().isActiveWindow():
            break
        QTest.qWait(10)
    assert combo.window().isActiveWindow()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentData() == data:
            break
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == data


def keys(window: MainWindow, key: Qt.Key, modifiers=CTRL) -> None:
    QTest.keyClick(window, key, modifiers)


def shown_ids(window: MainWindow) -> list[int]:
    return [int(window.catalog_filter.index(r, 0).data(Roles.ItemIdRole)) for r in range(window.catalog_filter.rowCount())]


def card_of(window: MainWindow, item_id: int) -> QModelIndex:
    return window.catalog_filter.index(shown_ids(window).index(item_id), 0)


def lists(curation: Curation) -> dict[int, ListState]:
    return {state.item_id: state for state in curation.all_states("related")}


def shot(widget, name: str) -> Path:
    folder = Path(os.environ.get("LOOKALIKE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lookalike-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


# the journeys ----------------------------------------------------------------------------------
def test_block_from_every_list_by_the_card_menu_then_undo_keeps_an_edit_made_elsewhere(qtbot, window, other):
    panel = window.curation_panel
    before = lists(other)
    product = next(t for t in (e.target_id for e in before[panel.item_id].shown))  # in the list being edited
    name = window.catalog_model.photo(product).title
    holding = [s for s, state in before.items() if product in {e.target_id for e in state.shown} and s != panel.item_id]
    assert len(holding) >= 2

    choose_in_menu(context_menu(qtbot, window.catalog_view, card_of(window, product)), "Block From Every List")
    assert window.statusBar().currentMessage() == f"Blocked {name} from 29 lists"
    shot(window, "bulk-block-confirmation")
    after = lists(other)
    assert all(product in {e.target_id for e in state.blocked} for s, state in after.items() if s != product)
    assert product not in [panel.model.entry(r).target_id for r in range(panel.model.rowCount())]
    assert window.undo.undoText() == f"Block {name} from every list"

    # Meanwhile another window pins an entry of one list, and takes the product back into another.
    kept_pin_in, taken_back_in = holding[0], holding[1]
    pinned = next(e.target_id for e in after[kept_pin_in].shown)
    other.change(kept_pin_in, "related", edits.pin(pinned))
    other.change(taken_back_in, "related", edits.move(product, 0))

    keys(window, Qt.Key.Key_Z)  # the whole bulk edit, carried over onto the lists as they are now
    undone = lists(other)
    assert "1 entry was changed since" in window.banner.label.text()
    for source, state in undone.items():
        if source in (kept_pin_in, taken_back_in):
            continue
        assert state == before[source], source
    assert {e.target_id: e.pinned for e in undone[kept_pin_in].shown}[pinned]  # the other window's pin stays
    assert product in {e.target_id for e in undone[kept_pin_in].shown}  # and the product is back around it
    assert undone[taken_back_in].shown[0].target_id == product and undone[taken_back_in].shown[0].pinned
    assert product in [panel.model.entry(r).target_id for r in range(panel.model.rowCount())]

    keys(window, Qt.Key.Key_Y)  # redo: blocked again where it was taken back
    redone = lists(other)
    assert product in {e.target_id for e in redone[kept_pin_in].blocked}
    assert redone[taken_back_in].shown[0].target_id == product  # the other window's choice still stands


def test_the_filters_narrow_the_grid_and_mark_reviewed_marks_what_is_shown_as_one_step(qtbot, window, other):
    items = {item.id: item for item in other.store.items()}
    category = sorted({i.category for i in items.values()})[2]
    choose_in_combo(window.category_filter, category)
    in_category = shown_ids(window)
    assert len(in_category) == 3 and all(items[i].category == category for i in in_category)
    assert window.count_label.text() == "3 of 30 products"
    other.set_reviewed(in_category[0], "related", True)  # reviewed already, in another window

    keys(window, Qt.Key.Key_R, CTRL_SHIFT)  # Lists › Mark Shown Lists Reviewed
    assert window.statusBar().currentMessage() == "Marked 2 lists reviewed (1 of the 3 shown were already)"
    stored = lists(other)
    assert {s for s, state in stored.items() if state.reviewed} == set(in_category)
    assert window.curation_panel.progress.text() == "3 of 30 lists reviewed"

    choose_in_combo(window.review_filter, "unreviewed")
    assert shown_ids(window) == []  # every list of the category is reviewed now
    assert window.count_label.text() == "0 of 30 products"
    shot(window, "review-filter-unreviewed-in-category")
    keys(window, Qt.Key.Key_Z)  # takes back the two marks, not the one made elsewhere
    assert shown_ids(window) == in_category[1:]
    stored = lists(other)
    assert stored[in_category[0]].reviewed and not any(stored[i].reviewed for i in in_category[1:])

    choose_in_combo(window.category_filter, None)  # any category: every list but the one reviewed
    assert len(shown_ids(window)) == 29 and in_category[0] not in shown_ids(window)


def test_reviewed_next_walks_the_filtered_products_and_passes_over_lists_reviewed_elsewhere(qtbot, window, other):
    panel = window.curation_panel
    every = shown_ids(window)
    other.set_reviewed(every[1], "related", True)
    other.set_reviewed(every[2], "related", True)
    choose_in_combo(window.review_filter, "unreviewed")
    walk = shown_ids(window)
    assert walk == [every[0]] + every[3:]
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(window.catalog_view, card_of(window, walk[0]))
    assert panel.item_id == walk[0]

    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        keys(window, Qt.Key.Key_Right, ALT)  # Reviewed, next
    assert panel.item_id == walk[1] and other.state(walk[0], "related").reviewed
    other.set_reviewed(walk[2], "related", True)  # reviewed in another window while this one walks
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        QTest.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.item_id == walk[3]  # the one reviewed elsewhere is passed over
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        keys(window, Qt.Key.Key_Left, ALT)  # Previous: the grid as filtered
    assert panel.item_id == walk[2]


def test_empty_or_weak_lists_are_shown_with_the_rule_in_the_tooltip(qtbot, window, other):
    every = shown_ids(window)
    short = every[4]
    for entry in other.state(short, "related").shown[:3]:  # two entries left: weak
        other.change(short, "related", edits.block(entry.target_id))
    empty = every[6]
    for entry in other.state(empty, "related").shown:
        other.change(empty, "related", edits.block(entry.target_id))
    choose_in_combo(window.review_filter, "weak")
    weak = shown_ids(window)
    summaries = review.summarise(other.store, "related")
    expected = {int(i) for i in summaries.item_ids[review.weak(summaries)]}
    assert set(weak) == expected and {short, empty} <= set(weak) and len(weak) < 30
    tip = window.review_filter.toolTip()
    assert "fewer than 3 entries" in tip and "lowest 10%" in tip
    shot(window.catalog_stack.parentWidget(), "review-filter-weak")  # the catalog pane: filters, grid, count

    QTest.mouseClick(window.mark_shown_button, Qt.MouseButton.LeftButton)  # Mark Reviewed: the weak lists shown
    assert window.statusBar().currentMessage() == f"Marked {len(weak)} lists reviewed"
    assert {s for s, state in lists(other).items() if state.reviewed} == set(weak)
    assert shown_ids(window) == weak  # marked, still weak


def test_several_lookalikes_chosen_by_ctrl_click_are_added_by_the_menu_as_one_step(qtbot, window, other):
    panel = window.curation_panel
    owner = panel.item_id
    before = other.state(owner, "related")
    listed = {e.target_id for e in before.entries} | {owner}
    results = window.results_view
    rows = [r for r in range(results.model().rowCount()) if results.model().index(r, 0).data(Roles.ItemIdRole) not in listed][:3]
    assert len(rows) == 3
    chosen = [int(results.model().index(r, 0).data(Roles.ItemIdRole)) for r in rows]
    click(results, results.model().index(rows[0], 0))
    for row in rows[1:]:
        click(results, results.model().index(row, 0), modifiers=CTRL)
    assert len(results.selectionModel().selectedIndexes()) == 3
    steps = window.undo.count()
    choose_in_menu(context_menu(qtbot, results, results.model().index(rows[1], 0)), "Add 3 Products to the List of")
    state = other.state(owner, "related")
    assert [e.target_id for e in state.shown][5:8] == chosen and all(e.pinned for e in state.shown[5:8])
    assert window.undo.count() == steps + 1
    assert window.statusBar().currentMessage().startswith("Added 3 products to the list of ")
    assert [panel.model.entry(r).target_id for r in range(panel.model.rowCount())] == [e.target_id for e in state.shown]
    keys(window, Qt.Key.Key_Z)
    assert other.state(owner, "related") == before


def test_products_ctrl_clicked_in_the_catalog_join_the_list_of_the_product_clicked_first(qtbot, window, other):
    panel = window.curation_panel
    owner = panel.item_id
    listed = {e.target_id for e in other.state(owner, "related").entries}
    outsiders = [i for i in shown_ids(window) if i not in listed and i != owner][:2]
    for item_id in outsiders:
        click(window.catalog_view, card_of(window, item_id), modifiers=CTRL)
    assert len(window.catalog_view.selectionModel().selectedIndexes()) == 3
    assert panel.item_id == owner  # the list edited stays that of the product clicked first
    choose_in_menu(context_menu(qtbot, window.catalog_view, card_of(window, outsiders[1])), "Add 2 Products to the List of")
    shown = [e.target_id for e in other.state(owner, "related").shown]
    assert shown[-2:] == outsiders
    keys(window, Qt.Key.Key_Z)
    assert not set(outsiders) & {e.target_id for e in other.state(owner, "related").entries}
