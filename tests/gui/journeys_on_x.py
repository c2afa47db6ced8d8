"""A merchandiser's day in the real window on a real X server, every step by mouse and keyboard.

Each journey starts from a fresh window on a fresh copy of a drawn catalog and goes where a hand
goes: menus and shortcuts, file dialogs typed into, clicks on cards, drags, the clipboard. What
each step changed is then read from the catalog's database through a connection of its own.
test_on_x_server.py runs each test here in a pytest of its own on Xvfb (xcb platform); every
journey saves screenshots to LOOKALIKE_SCREENSHOTS, to be looked at.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QDialog, QListView, QListWidget, QListWidgetItem

from core.lists import Curation
from core.storage import CatalogStore
from gui.main_window import MainWindow
from gui.roles import Roles
from tests.core.duplicates.conftest import plant
from tests.gui.hands import click, ctrl, drag, fill_file_dialog, press_return, screenshot_folder, wait_active, with_modal

pytestmark = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on an X server by test_on_x_server.py")

WAIT = 60_000
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(shown_window):
    """A fresh window at 1280 x 800, shown and active, with settings of its own; no catalog yet."""
    win = shown_window()
    win.activateWindow()
    wait_active(win)
    return win


def shot(window, name: str) -> Path:
    folder = screenshot_folder()
    path = folder / f"journey-{name}.png"
    QTest.qWait(100)  # thumbnails loaded in the background are drawn
    assert window.grab().save(str(path))
    return path


def open_by_menu(qtbot, window: MainWindow, folder: Path) -> None:
    """Ctrl+Shift+O, the folder's path put in the dialog, Choose; then wait for the index."""
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_O, shift=True), fill_file_dialog(folder))


def make_lists(qtbot, window: MainWindow, k: int) -> None:
    """Ctrl+L, k typed, Enter; then wait for the lists."""
    def drive(dialog: QDialog) -> None:
        QTest.mouseClick(dialog.k.lineEdit(), Qt.MouseButton.LeftButton)
        QTest.keyClick(dialog.k.lineEdit(), Qt.Key.Key_A, CTRL)
        QTest.keyClicks(dialog.k.lineEdit(), str(k))
        press_return(dialog)

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_L), drive)


def choose(qtbot, window: MainWindow, row: int) -> int:
    """Click the catalog's card at `row`; its lookalikes and its list come up. Returns its product."""
    grid = window.catalog_view
    index = grid.model().index(row, 0)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        click(grid, index)
    return int(index.data(Roles.ItemIdRole))


def stored(window: MainWindow, item_id: int):
    with CatalogStore(window.session.ws.database) as store:
        return Curation(store).state(item_id, "related")


def shown_ids(view: QListView) -> list[int]:
    model = view.model()
    return [int(model.index(r, 0).data(Roles.ItemIdRole)) for r in range(model.rowCount())]


def test_open_a_catalog_from_the_menu_then_click_a_product_to_see_its_lookalikes(qtbot, window, catalog):
    open_by_menu(qtbot, window, catalog)
    grid = window.catalog_view
    qtbot.waitUntil(lambda: grid.model().rowCount() == 30, timeout=WAIT)
    product = choose(qtbot, window, 4)
    results = shown_ids(window.results_view)
    assert results and product not in results  # its lookalikes, not itself
    name = grid.model().index(4, 0).data(Qt.ItemDataRole.DisplayRole)
    assert name in window.query_title.text()
    assert window.curation_panel.item_id == product
    shot(window, "opened-and-clicked")

    # The keyboard goes on from there: the next card's lookalikes follow the arrow key.
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        QTest.keyClick(grid, Qt.Key.Key_Right)
    assert window.curation_panel.item_id == int(grid.model().index(5, 0).data(Roles.ItemIdRole))


class FileManager(QListWidget):
    """A window of files a person drags photos from, as from a file manager: the drag carries file URLs."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        for path in files:
            item = QListWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.addItem(item)

    def mimeData(self, items):  # noqa: N802 (Qt's name)
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(i.data(Qt.ItemDataRole.UserRole)) for i in items])
        return mime


def test_query_by_pasting_a_picture_and_by_dropping_a_photo_file(qtbot, window, catalog, tmp_path):
    open_by_menu(qtbot, window, catalog)
    source = sorted(p for p in catalog.rglob("*.jpg") if ".lookalike" not in p.parts)[0]

    # A picture copied in another program: Ctrl+V in the window.
    QGuiApplication.clipboard().setImage(QImage(str(source)))
    qtbot.waitUntil(lambda: not QGuiApplication.clipboard().image().isNull(), timeout=5000)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as pasted:
        QTest.keyClick(window, Qt.Key.Key_V, CTRL)
    assert pasted.args[0].image is not None
    same = window.results_model.index(0, 0)
    assert same.data(Roles.PathRole) == str(source.relative_to(catalog)) or float(same.data(Roles.ScoreRole)) > 0.95
    shot(window, "pasted")

    # A photo from outside the catalog dragged in from a file manager, dropped on the lookalikes.
    outside = tmp_path / "from-the-supplier.png"
    Image.open(source).convert("RGB").resize((300, 300)).save(outside)
    files = FileManager([outside])
    qtbot.addWidget(files)
    files.resize(300, 200)
    files.move(1300, 0)
    files.show()
    qtbot.waitExposed(files)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as dropped:
        drag(qtbot, files, files.model().index(0, 0), window.results_view, window.results_view.viewport().rect().center())
    assert dropped.args[0].image is not None and "from-the-supplier" in window.query_title.text()
    assert window.results_model.rowCount() > 0
    assert window.banner.isHidden(), window.banner.label.text()
    shot(window, "dropped")


def test_curate_a_list_pin_block_reorder_note_undo_and_review_next(qtbot, window, catalog):
    open_by_menu(qtbot, window, catalog)
    make_lists(qtbot, window, 6)
    product = choose(qtbot, window, 0)
    panel = window.curation_panel
    before = [e.target_id for e in stored(window, product).shown]
    assert len(before) == 6 and shown_ids(panel.view) == before

    click(panel.view, panel.model.index(1, 0))
    QTest.keyClick(panel.view, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: stored(window, product).shown[1].pinned, timeout=5000)

    click(panel.view, panel.model.index(2, 0))
    QTest.keyClick(panel.view, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: before[2] in [e.target_id for e in stored(window, product).blocked], timeout=5000)
    assert before[2] not in shown_ids(panel.view)

    # Reordered by a drag inside the list: the last entry dropped on the first.
    last = panel.model.index(panel.model.rowCount() - 1, 0)
    moved = int(last.data(Roles.ItemIdRole))
    drag(qtbot, panel.view, last, panel.view, panel.view.visualRect(panel.model.index(0, 0)).center())
    qtbot.waitUntil(lambda: stored(window, product).shown[0].target_id == moved, timeout=5000)

    QTest.mouseClick(panel.note, Qt.MouseButton.LeftButton)
    QTest.keyClicks(panel.note, "Summer picks")
    QTest.keyClick(panel.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: stored(window, product).note == "Summer picks", timeout=5000)
    shot(window, "curated")

    # Ctrl+Z takes back the note, then the move; the pin and the block stay.
    window.catalog_view.setFocus()
    QTest.keyClick(window, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: stored(window, product).note == "", timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: stored(window, product).shown[0].target_id != moved, timeout=5000)
    after = stored(window, product)
    assert before[1] in [e.target_id for e in after.shown if e.pinned]
    assert before[2] in [e.target_id for e in after.blocked]

    # Reviewed, next: the list is marked and the next product's list is shown.
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        QTest.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert stored(window, product).reviewed
    assert panel.item_id == int(window.catalog_view.model().index(1, 0).data(Roles.ItemIdRole))
    shot(window, "reviewed-next")


def test_make_lists_by_rules_and_find_them_remembered_after_a_restart(qtbot, window, catalog, shown_window):
    open_by_menu(qtbot, window, catalog)

    def same_category_four(dialog: QDialog) -> None:
        QTest.mouseClick(dialog.k.lineEdit(), Qt.MouseButton.LeftButton)
        QTest.keyClick(dialog.k.lineEdit(), Qt.Key.Key_A, CTRL)
        QTest.keyClicks(dialog.k.lineEdit(), "4")
        dialog.category.setFocus()
        for _ in range(dialog.category.count()):
            if dialog.category.currentText().startswith("Same category"):
                break
            QTest.keyClick(dialog.category, Qt.Key.Key_Down)
        assert dialog.category.currentText().startswith("Same category")
        shot(dialog, "make-lists-dialog")
        press_return(dialog)

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_L), same_category_four)
    product = choose(qtbot, window, 0)
    with CatalogStore(window.session.ws.database) as store:
        categories = {item.id: item.category for item in store.items()}
        entries = Curation(store).state(product, "related").shown
    assert 0 < len(entries) <= 4
    assert {categories[e.target_id] for e in entries} == {categories[product]}
    settings = window.settings.fileName()
    window.close()

    again = shown_window(settings=Path(settings))
    again.activateWindow()
    with qtbot.waitSignal(again.session.indexed, timeout=WAIT):
        again.open_catalog(catalog)
    seen = {}

    def read_and_close(dialog: QDialog) -> None:
        seen.update(k=dialog.k.value(), category=dialog.category.currentText())
        shot(dialog, "make-lists-remembered")
        QTest.keyClick(dialog, Qt.Key.Key_Escape)

    with_modal(again, ctrl(again, Qt.Key.Key_L), read_and_close)
    assert seen["k"] == 4 and seen["category"].startswith("Same category")


def test_export_for_shopify_and_read_its_warning_in_the_window(qtbot, window, catalog, tmp_path):
    open_by_menu(qtbot, window, catalog)
    make_lists(qtbot, window, 5)
    out = tmp_path / "exports" / "shopify.csv"
    out.parent.mkdir()
    with qtbot.waitSignal(window.session.exported, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_E), fill_file_dialog(out, "Shopify"))
    assert out.exists() and out.read_text().startswith("Handle")
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    text = window.banner.label.text()
    assert "Wrote 30 products' lists" in text and "handle" in text.lower()
    shot(window, "shopify-warning")


def test_find_duplicates_and_see_a_planted_copy_grouped(qtbot, window, catalog):
    found = plant(catalog)
    open_by_menu(qtbot, window, catalog)
    with qtbot.waitSignal(window.session.duplicates_found, timeout=WAIT):
        QTest.keyClick(window, Qt.Key.Key_D, CTRL)
    dialog = window.duplicates_dialog
    wait_active(dialog)
    qtbot.waitUntil(dialog.find_button.isEnabled, timeout=WAIT)
    groups = dialog.groups
    assert groups.count() > 0
    wanted = None
    for row in range(groups.count()):
        groups.scrollToItem(groups.item(row))
        QTest.mouseClick(groups.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, groups.visualItemRect(groups.item(row)).center())
        members = {m.path for m in dialog.current_group().members}
        if found.altered[0] in members:
            wanted = row
            break
    assert wanted is not None, "the altered copy is in no group"
    assert dialog.members_model.rowCount() >= 2
    shot(dialog, "duplicates")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
