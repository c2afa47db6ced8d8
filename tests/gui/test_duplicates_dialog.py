"""Catalog › Find Duplicates in the real window, offscreen: found, shown, a keeper chosen, a group dismissed, undone."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel

from core.demo import write_demo_catalog
from core.duplicates import DuplicateMemory
from core.storage import CatalogStore
from gui.duplicates_dialog import KIND_COUNTED, GroupRole
from tests.core.duplicates.conftest import plant
from tests.gui.test_main_window import WAIT, open_and_index


@pytest.fixture
def planted(tmp_path):
    catalog = tmp_path / "catalog"
    write_demo_catalog(catalog, count=30)
    return catalog, plant(catalog)


def _open_dialog(qtbot, window):
    with qtbot.waitSignal(window.session.duplicates_found, timeout=WAIT):
        window.duplicates_action.trigger()
    dialog = window.duplicates_dialog
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=WAIT)
    return dialog


def _near_row(dialog, planted) -> int:
    for row in range(dialog.groups.count()):
        dialog.groups.setCurrentRow(row)
        group = dialog.current_group()
        if group.kind == "near" and planted.altered[0] in {m.path for m in group.members}:
            return row
    raise AssertionError("the altered copies are in no near group")


def test_the_finding_is_shown_and_a_keeper_chosen_and_undone(qtbot, window, planted):
    catalog, found = planted
    open_and_index(qtbot, window, catalog)
    dialog = _open_dialog(qtbot, window)
    with CatalogStore(window.session.ws.database) as store:
        stored = DuplicateMemory(store).groups()
    said = dialog.summary.text()
    assert said.startswith(f"{len(stored):,} groups (")
    for kind, (one, many) in KIND_COUNTED.items():  # "1 exact copy", "3 near-duplicates"
        count = sum(g.kind == kind for g in stored)
        assert (f"{count} {one}" if count == 1 else f"{count} {many}") in said or count == 0
    kinds = {dialog.groups.item(r).text().split(" · ")[0] for r in range(dialog.groups.count())}
    assert {"Exact copies", "Near-duplicates", "Colour variants"} <= kinds
    dialog.groups.setCurrentRow(_near_row(dialog, found))
    group = dialog.current_group()
    assert dialog.members_model.rowCount() == len(group.members)
    assert not dialog.keep_button.isEnabled()  # nothing selected yet
    row = [m.path for m in group.members].index(found.altered[1])
    dialog.members.selectionModel().select(dialog.members_model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    dialog.keep_button.click()
    with CatalogStore(window.session.ws.database) as store:
        assert DuplicateMemory(store).keeper_of(group) == group.members[row].item_id
    from gui.roles import PinnedRole
    assert dialog.members_model.index(row, 0).data(PinnedRole) is True
    if os.environ.get("LOOKALIKE_SCREENSHOTS"):
        dialog.grab().save(str(Path(os.environ["LOOKALIKE_SCREENSHOTS"]) / "duplicates.png"))
    dialog.undo.undo()
    with CatalogStore(window.session.ws.database) as store:
        assert DuplicateMemory(store).keeper_of(group) is None


def test_a_dismissed_group_is_gone_remembered_and_back_on_undo(qtbot, window, planted):
    catalog, found = planted
    open_and_index(qtbot, window, catalog)
    dialog = _open_dialog(qtbot, window)
    dialog.groups.setCurrentRow(_near_row(dialog, found))
    group = dialog.current_group()
    count = dialog.groups.count()
    dialog.dismiss_button.click()
    shown = [dialog.groups.item(r).data(GroupRole) for r in range(dialog.groups.count())]
    assert len(shown) == count - 1 and group not in shown
    dialog.undo.undo()
    assert group in [dialog.groups.item(r).data(GroupRole) for r in range(dialog.groups.count())]
    dialog.undo.redo()
    with qtbot.waitSignal(window.session.duplicates_found, timeout=WAIT):  # found again: the mark holds
        dialog.find_again()
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=WAIT)
    assert group not in [dialog.groups.item(r).data(GroupRole) for r in range(dialog.groups.count())]


def _click_row(dialog, row: int) -> None:
    """A click on the groups list's row, through the dialog's window."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    view = dialog.groups
    view.scrollToItem(view.item(row))
    QTest.qWait(20)
    at = view.viewport().mapTo(dialog, view.visualItemRect(view.item(row)).center())
    QTest.mouseClick(dialog.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)


def test_why_a_group_was_made_is_shown_and_a_colourway_confirmed_by_hand(qtbot, window, planted):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tests.gui.hands import activate, shot

    catalog, found = planted
    open_and_index(qtbot, window, catalog)
    activate(window)
    with qtbot.waitSignal(window.session.duplicates_found, timeout=WAIT):
        QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # Catalog › Find Duplicates
    dialog = window.duplicates_dialog
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=WAIT)
    activate(dialog)
    rows = {dialog.groups.item(r).data(GroupRole).kind: r for r in reversed(range(dialog.groups.count()))}
    _click_row(dialog, rows["near"])
    assert dialog.current_group().kind == "near"
    assert "matched points on one map" in dialog.why.text() and ": one photo." in dialog.why.text()
    assert not dialog.why_matches.pixmap().isNull() and not dialog.why_overlay.pixmap().isNull()
    assert not dialog.design_button.isEnabled()  # copies are kept apart as found; only colourways wait to be confirmed
    shot(dialog, "duplicates-why-near")

    _click_row(dialog, rows["variant"])
    group = dialog.current_group()
    assert group.kind == "variant" and dialog.design_button.isEnabled() and not dialog.design_button.isChecked()
    assert "until you confirm it" in dialog.hint.text()
    with CatalogStore(window.session.ws.database) as store:
        assert not DuplicateMemory(store).known().design_of  # found, not confirmed: lists leave it alone
    QTest.mouseClick(dialog.design_button, Qt.MouseButton.LeftButton)
    with CatalogStore(window.session.ws.database) as store:
        memory = DuplicateMemory(store)
        assert memory.is_confirmed(group) and set(group.item_ids) <= set(memory.known().design_of)
    qtbot.waitUntil(lambda: dialog.design_button.isChecked(), timeout=WAIT)
    assert dialog.hint.text().startswith("Confirmed one design")
    shot(dialog, "duplicates-why-variant")
    QTest.keyClick(dialog, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo
    with CatalogStore(window.session.ws.database) as store:
        assert not DuplicateMemory(store).is_confirmed(group)
    qtbot.waitUntil(lambda: not dialog.design_button.isChecked(), timeout=WAIT)
