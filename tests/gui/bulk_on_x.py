"""Several lookalikes chosen by ctrl-click and dragged into the list at once: one drag, one undo step.

Run on a real X server by test_on_x_server.py (the offscreen platform cannot drag).
"""
from __future__ import annotations


import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.lists import Curation
from core.storage import CatalogStore
from gui.main_window import MainWindow
from gui.roles import Roles
from tests.gui.hands import click, curating, drag, wait_active

WAIT = 60_000


@pytest.fixture
def window(qtbot, shown_window, catalog):
    win = shown_window()
    curating(qtbot, win, catalog)
    return win


def stored(window: MainWindow, item_id: int) -> list[int]:
    with CatalogStore(window.session.ws.database) as store:
        return [e.target_id for e in Curation(store).state(item_id, "related").shown]


def test_several_lookalikes_dragged_together_join_the_list_as_one_step(qtbot, window):
    panel, results = window.curation_panel, window.results_view
    edited = panel.item_id
    before = stored(window, edited)
    rows = [r for r in range(results.model().rowCount())
            if results.model().index(r, 0).data(Roles.ItemIdRole) not in {edited, *before}][:3]
    chosen = [int(results.model().index(r, 0).data(Roles.ItemIdRole)) for r in rows]
    click(results, results.model().index(rows[0], 0))
    for row in rows[1:]:
        index = results.model().index(row, 0)
        results.scrollTo(index)
        QTest.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                         results.visualRect(index).center())
    assert len(results.selectionModel().selectedIndexes()) == 3
    steps = window.undo.count()
    drag(qtbot, results, results.model().index(rows[2], 0), panel.view, panel.view.visualRect(panel.model.index(1, 0)).center())
    qtbot.waitUntil(lambda: set(chosen) <= set(stored(window, edited)), timeout=10_000)

    assert stored(window, edited)[1:4] == chosen  # in the grid's order, where they were dropped
    assert window.undo.count() == steps + 1
    assert window.statusBar().currentMessage().startswith("Added 3 products to the list of ")
    window.activateWindow()
    wait_active(window)  # shortcuts reach the active window only
    QTest.keyClick(panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: stored(window, edited) == before, timeout=5000)
