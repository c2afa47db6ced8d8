"""Curating lists in the real window: make, pin, block, move, add by drag, notes, undo/redo, review, export."""
from __future__ import annotations

import csv
import json
import shutil

import pytest
from PySide6.QtCore import QSettings, Qt

from core.lists.curation import Curation, Rules
from core.storage.store import CatalogStore
from gui.main_window import MainWindow
from gui.models import encode_item_ids
from gui.roles import Roles

WAIT = 60_000


@pytest.fixture
def window(qtbot, tmp_path, demo_source, default_encoder):
    catalog = tmp_path / "catalog"
    shutil.copytree(demo_source, catalog)
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        win.open_catalog(catalog)
    with qtbot.waitSignal(win.session.generated, timeout=WAIT):
        assert win.make_lists(Rules(k=5))
    with qtbot.waitSignal(win.query_shown, timeout=WAIT):
        win.catalog_view.setCurrentIndex(win.catalog_filter.index(0, 0))
    yield win
    win.session.shutdown()


def shown(panel) -> list[int]:
    return [panel.model.entry(r).target_id for r in range(panel.model.rowCount())]


def stored(window) -> list[int]:
    """What is on disk, through a connection of its own."""
    with CatalogStore(window.session.ws.database) as store:
        return [e.target_id for e in Curation(store).state(window.curation_panel.item_id, "related").shown]


def select(panel, row: int) -> None:
    panel.view.setCurrentIndex(panel.model.index(row, 0))


def test_lists_are_made_for_every_product_and_shown_for_the_selected_one(window):
    panel = window.curation_panel
    source = window.catalog_filter.index(0, 0).data(Roles.ItemIdRole)
    assert panel.item_id == source
    assert panel.model.rowCount() == 5 and source not in shown(panel)
    assert panel.progress.text() == "0 of 30 lists reviewed"
    assert panel.isVisible() and window.results_view.isVisible()  # the list beside the lookalikes


def test_pin_block_and_move_with_undo_and_redo(window):
    panel = window.curation_panel
    original = shown(panel)
    select(panel, 2)
    panel.toggle_pin()
    assert panel.model.index(2, 0).data(Roles.PinnedRole)
    select(panel, 0)
    panel.block_selected()
    after_block = shown(panel)
    assert after_block[:4] == original[1:] and len(after_block) == 5  # the place is refilled by the list's rules
    assert after_block[4] not in original and stored(window) == after_block
    select(panel, 0)
    panel.shift_selected(1)
    assert shown(panel)[:2] == [original[2], original[1]]
    assert stored(window) == shown(panel)

    window.undo_action.trigger()  # the move
    assert shown(panel) == after_block
    window.undo_action.trigger()  # the block and its refill
    assert shown(panel) == original and stored(window) == original
    window.undo_action.trigger()  # the pin
    assert not any(panel.model.index(r, 0).data(Roles.PinnedRole) for r in range(5))
    for _ in range(3):
        window.redo_action.trigger()
    assert shown(panel)[:2] == [original[2], original[1]] and stored(window) == shown(panel)
    assert window.undo.count() == 3


def test_dragging_a_product_in_adds_it_pinned_where_it_was_dropped(window):
    panel = window.curation_panel
    outsider = next(
        window.catalog_filter.index(r, 0).data(Roles.ItemIdRole)
        for r in range(window.catalog_filter.rowCount())
        if window.catalog_filter.index(r, 0).data(Roles.ItemIdRole) not in shown(panel) + [panel.item_id]
    )
    mime = window.catalog_filter.mimeData([window.catalog_filter.index(r, 0) for r in range(window.catalog_filter.rowCount()) if window.catalog_filter.index(r, 0).data(Roles.ItemIdRole) == outsider])
    assert not panel.model.dropMimeData(mime, Qt.DropAction.CopyAction, 1, 0, panel.model.index(-1, 0))
    assert shown(panel)[1] == outsider and panel.model.index(1, 0).data(Roles.PinnedRole)
    assert panel.model.index(1, 0).data(Roles.ScoreRole) is not None
    assert stored(window)[1] == outsider
    # a product dropped on its own list is refused with a message
    panel.model.dropMimeData(encode_item_ids([panel.item_id]), Qt.DropAction.CopyAction, 0, 0, panel.model.index(-1, 0))
    assert "cannot recommend itself" in window.banner.label.text()
    window.undo_action.trigger()
    assert outsider not in shown(panel)


def test_notes_and_review_walk(window, qtbot):
    panel = window.curation_panel
    first = panel.item_id
    panel.note.setText("Hero product")
    panel.note.editingFinished.emit()
    with CatalogStore(window.session.ws.database) as store:
        assert Curation(store).state(first, "related").note == "Hero product"
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        panel.next_button.click()
    assert panel.item_id != first
    assert panel.item_id == window.catalog_filter.index(1, 0).data(Roles.ItemIdRole)
    assert panel.progress.text() == "1 of 30 lists reviewed"
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        panel.prev_button.click()
    assert panel.item_id == first and panel.reviewed.isChecked() and panel.note.text() == "Hero product"
    window.undo_action.trigger()  # not reviewed
    window.undo_action.trigger()  # no note
    assert not panel.reviewed.isChecked() and panel.note.text() == ""


def test_a_note_still_being_typed_is_kept_for_its_own_list_when_moving_on(window, qtbot):
    panel = window.curation_panel
    first = panel.item_id
    window.activateWindow()
    panel.note.setFocus()
    qtbot.keyClicks(panel.note, "only for the first product")
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        qtbot.keyClick(panel.note, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # Reviewed, next
    second = panel.item_id
    assert second != first and panel.note.text() == ""
    panel.view.setFocus()  # leaving the field must not give the text to the second list
    with CatalogStore(window.session.ws.database) as store:
        curation = Curation(store)
        assert curation.state(first, "related").note == "only for the first product"
        assert curation.state(first, "related").reviewed
        assert curation.state(second, "related").note == ""


def test_regeneration_keeps_edits_and_export_writes_them(window, qtbot, tmp_path):
    panel = window.curation_panel
    select(panel, 3)
    panel.toggle_pin()
    pinned = shown(panel)[3]
    select(panel, 0)
    blocked = shown(panel)[0]
    panel.block_selected()
    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        window.make_lists(Rules(k=5))
    assert blocked not in shown(panel)
    assert shown(panel)[2] == pinned  # the block moved it up one place; regeneration kept it there

    out = tmp_path / "shop" / "magento.csv"
    with qtbot.waitSignal(window.session.exported, timeout=WAIT):
        assert window.export_lists(out, "magento")
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["sku", "related_skus", "related_position", "crosssell_skus", "crosssell_position", "upsell_skus", "upsell_position"]
    assert len(rows) == 30
    out_json = tmp_path / "lists.json"
    with qtbot.waitSignal(window.session.exported, timeout=WAIT):
        window.export_lists(out_json, "json")
    entries = json.loads(out_json.read_text())
    mine = next(e for e in entries if e["path"] == window.catalog_filter.index(0, 0).data(Roles.PathRole))
    assert [r["pinned"] for r in mine["recommendations"]][2] is True
    assert window.statusBar().currentMessage().startswith("Wrote ")
    refused = window.session.ws.catalog / "products.csv"
    assert not window.export_lists(refused, "csv")
    assert "refusing to overwrite" in window.banner.label.text()
    assert window.statusBar().currentMessage() == ""  # the last success is not left beside the error


def test_dragging_an_entry_within_the_list_reorders_and_pins_it(window):
    panel = window.curation_panel
    original = shown(panel)
    mime = panel.model.mimeData([panel.model.index(4, 0)])
    panel.model.dropMimeData(mime, Qt.DropAction.MoveAction, 1, 0, panel.model.index(-1, 0))
    assert shown(panel) == [original[0], original[4], original[1], original[2], original[3]]
    assert panel.model.index(1, 0).data(Roles.PinnedRole)
    assert stored(window) == shown(panel)
    window.undo_action.trigger()
    assert shown(panel) == original


def test_a_long_unbroken_sku_does_not_widen_the_window(window):
    panel = window.curation_panel
    assert panel.isVisible()
    narrowest = window.minimumSizeHint().width()
    window.session.store.set_metadata([(panel.item_id, {"sku": "SKU-" + "X" * 120, "name": "Backpack"})])
    panel.refresh()
    assert "X" * 120 in panel.title.toolTip()
    assert window.minimumSizeHint().width() <= narrowest
