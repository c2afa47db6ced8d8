"""Edits in the real window while its own Make Lists runs, and edits made in another window: none is lost.

Driven with real input events on the shown window: a click on an entry, P to pin it, Ctrl+L
and Enter for Make Lists, Ctrl+Z to undo.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.demo import write_demo_catalog
from core.lists import Curation, Rules, edits
from core.similarity import CatalogSearcher, index_catalog
from core.storage import CatalogStore, Workspace
from gui.main_window import MainWindow

WAIT = 120_000


@pytest.fixture(scope="module")
def listed_template(tmp_path_factory) -> Path:
    """A demo catalog, indexed and with lists made, large enough that Make Lists takes a while.

    Indexed with the small built-in encoder: what is tested is edits made at once, not matching,
    and the default would take 30 s of the suite to index the 1,000 photos.
    """
    from core.common import SMALL_ENCODER

    root = tmp_path_factory.mktemp("listed") / "catalog"
    write_demo_catalog(root, count=1000, seed=3)
    ws = Workspace.locate(root)
    index_catalog(ws, model=SMALL_ENCODER)
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        Curation(store).generate(searcher, Rules(k=8))
    return root


@pytest.fixture
def window(qtbot, tmp_path, listed_template, default_encoder):
    import shutil

    catalog = tmp_path / "catalog"
    shutil.copytree(listed_template, catalog)
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        win.open_catalog(catalog)
    qtbot.waitUntil(lambda: win.session.searcher is not None, timeout=WAIT)
    first = win.catalog_filter.index(0, 0)
    QTest.mouseClick(win.catalog_view.viewport(), Qt.MouseButton.LeftButton, pos=win.catalog_view.visualRect(first).center())
    qtbot.waitUntil(lambda: win.curation_panel.model.rowCount() > 0, timeout=WAIT)
    assert win.curation_panel.isVisible()  # beside the lookalikes, no tab to choose
    yield win
    win.session.shutdown()


def _ask_for_long_lists() -> None:
    """In the Make Lists dialog once it shows: the same category only, 100 products a list (a long run
    that ranks the whole catalog for each product), then Enter."""
    dialog = QApplication.activeModalWidget()
    if dialog is None:
        QTimer.singleShot(20, _ask_for_long_lists)
        return
    QTest.mouseClick(dialog.category, Qt.MouseButton.LeftButton)  # opens its list of choices
    choices = dialog.category.view()
    while choices.currentIndex().data(Qt.ItemDataRole.UserRole) != "same":
        QTest.keyClick(choices, Qt.Key.Key_Down)
    QTest.keyClick(choices, Qt.Key.Key_Return)
    assert dialog.category.currentData() == "same"
    field = dialog.k.lineEdit()
    QTest.mouseDClick(field, Qt.MouseButton.LeftButton)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, "100")
    QTest.keyClick(field, Qt.Key.Key_Return)


def _pin_row(panel, row: int) -> int | None:
    """Click the entry at `row`, then press P to pin it; returns its target once the panel shows it pinned
    (None if the click met a pinned entry, or the run took the suggestion out of the list before the key).

    The run redraws the list as it rewrites it, so what is under the pointer is read after the click,
    and what the key did is read from what the panel shows after it: the acknowledgement a person sees.
    """
    index = panel.model.index(row, 0)
    QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=panel.view.visualRect(index).center())
    chosen = panel.view.currentIndex()
    if not chosen.isValid() or panel.model.entry(chosen.row()).pinned:
        return None  # P would unpin it
    target = panel.model.entry(chosen.row()).target_id
    QTest.keyClick(panel.view, Qt.Key.Key_P)
    shown = [panel.model.entry(r) for r in range(panel.model.rowCount())]
    return target if any(e.target_id == target and e.pinned for e in shown) else None


def _pinned_on_disk(window, item_id: int) -> set[int]:
    """The pinned entries of a related list as committed, read through a read-only connection of its own."""
    db = sqlite3.connect(f"{window.session.ws.database.as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT target_id FROM list_entries WHERE item_id = ? AND kind = 'related' AND state = 'pinned'", (item_id,))
        return {target for (target,) in rows}
    finally:
        db.close()


def _stored(window, item_id: int):
    with CatalogStore(window.session.ws.database) as store:  # a connection of its own: what is on disk
        return Curation(store).state(item_id, "related")


def test_pins_made_while_the_windows_own_make_lists_runs_stay_and_can_be_undone(qtbot, window):
    panel = window.curation_panel
    QTimer.singleShot(0, _ask_for_long_lists)
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session.job is not None and window.session.job.running
    window.activateWindow()  # the window manager's part, once the dialog is gone; offscreen has none
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    pinned: dict[int, set[int]] = {}
    order: list[tuple[int, int]] = []
    during = 0
    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        while window.session.job is not None and window.session.job.running:
            row = next((r for r in range(panel.model.rowCount()) if not panel.model.entry(r).pinned), None)
            if row is None:  # every entry pinned: on to the next product (Alt+Right marks it reviewed)
                QTest.keyClick(panel.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
                continue
            target = _pin_row(panel, row)
            if target is None:
                continue
            if window.session.job is not None and window.session.job.running:
                during += 1
            assert target in _pinned_on_disk(window, panel.item_id), window.banner.label.text()  # acknowledged: on disk at once
            pinned.setdefault(panel.item_id, set()).add(target)
            order.append((panel.item_id, target))
            QApplication.processEvents()  # the job's progress and the redraws of the list it rewrites
    print(f"{during} pins while the run went on, {len(order)} in all")
    assert during >= 5, "pins must be made while the run is going"
    for item_id, targets in pinned.items():
        state = _stored(window, item_id)
        assert targets <= {e.target_id for e in state.shown if e.pinned}, (item_id, targets)
        with CatalogStore(window.session.ws.database) as store:  # made by the run, with the rules chosen in the dialog
            items = store.items_by_id([item_id] + [e.target_id for e in state.shown])
        suggested = [items[e.target_id].category for e in state.shown if not e.pinned]
        assert len(state.shown) > 50 and set(suggested) == {items[item_id].category}
    assert window.undo.count() >= sum(map(len, pinned.values()))  # the run left the history alone
    while window.undo.undoText() != "Pin":  # a review mark made by Alt+Right after the last pin
        QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    item_id, target = order[-1]
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    state = _stored(window, item_id)
    assert target not in {e.target_id for e in state.shown if e.pinned}
    assert pinned[item_id] - {target} <= {e.target_id for e in state.shown if e.pinned}


def test_edits_made_in_another_window_show_within_two_seconds_and_undo_keeps_them(qtbot, window):
    panel = window.curation_panel
    source = panel.item_id
    target = _pin_row(panel, 1)
    assert target is not None
    with CatalogStore(window.session.ws.database) as other:  # the other window's connection
        elsewhere = Curation(other)
        blocked = panel.model.entry(3).target_id
        elsewhere.change(source, "related", edits.block(blocked))
        elsewhere.change(source, "related", edits.note("from the other window"))
        qtbot.waitUntil(lambda: panel.note.text() == "from the other window", timeout=2000)
        assert blocked not in [panel.model.entry(r).target_id for r in range(panel.model.rowCount())]
        QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # takes back this window's pin only
        state = elsewhere.state(source, "related")
    assert not next(e for e in state.shown if e.target_id == target).pinned
    assert state.note == "from the other window" and blocked in {e.target_id for e in state.blocked}
