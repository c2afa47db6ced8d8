"""The window on a real screen (Xvfb, 2560 x 1440): it opens inside the screen, remembered or not, and
maximised its panes share the room: the catalog in many columns, the lookalikes large enough to fill theirs.

Run by test_on_x_server.py, each test in a pytest of its own with the xcb platform. Xvfb has no window
manager: what one does on maximising, giving the window the screen's free area, the test does itself.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListView, QWidget

from core.demo import write_demo_catalog
from core.lists import Rules
from gui.main_window import MainWindow
from tests.gui.hands import screenshot_folder

pytestmark = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on an X server by test_on_x_server.py")

WAIT = 60_000


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    write_demo_catalog(folder, count=30)
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def opened(qtbot, settings, catalog, default_encoder) -> Iterator[MainWindow]:
    """A first window, shown where it opens, on the demo catalog with lists made and the first product clicked."""
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        win.open_catalog(catalog)
    with qtbot.waitSignal(win.session.generated, timeout=WAIT):
        assert win.make_lists(Rules(k=8))
    grid = win.catalog_view
    with qtbot.waitSignal(win.query_shown, timeout=WAIT):
        at = grid.visualRect(grid.model().index(0, 0)).center()
        QTest.mouseClick(win.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grid.viewport().mapTo(win, at))
    yield win
    win.session.shutdown()


def on_screen(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def shot(window: QWidget, name: str) -> Path:
    folder = screenshot_folder()
    path = folder / f"{name}-{window.width()}x{window.height()}.png"
    assert window.grab().save(str(path))
    return path


def settle(qtbot, window: MainWindow) -> None:
    QApplication.processEvents()
    window.grab()
    qtbot.waitUntil(lambda: window.loader.pending_count() == 0, timeout=10_000)
    QTest.qWait(200)


def columns(view: QListView) -> int:
    model = view.model()
    tops = [view.visualRect(model.index(row, 0)).top() for row in range(model.rowCount())]
    return tops.count(min(tops))


def fills(view: QListView) -> float:
    """The share of the view's height its cards take, all of them in view (0 if it must scroll)."""
    model = view.model()
    if view.verticalScrollBar().maximum() > 0:
        return 0.0
    bottom = max(view.visualRect(model.index(row, 0)).bottom() for row in range(model.rowCount()))
    return bottom / view.viewport().height()


def test_the_first_window_fits_and_maximised_its_panes_share_the_screen(qtbot, opened):
    win = opened
    room = win.screen().availableGeometry()
    assert room.contains(win.frameGeometry()) and room.contains(on_screen(win.statusBar()))
    settle(qtbot, win)
    assert columns(win.catalog_view) >= 3
    shot(win, "first-window")

    win.showMaximized()
    if win.geometry() != room:  # no window manager to do it
        win.setGeometry(room)
    qtbot.waitUntil(lambda: win.geometry() == room, timeout=5000)
    settle(qtbot, win)
    assert win.statusBar().isVisible() and room.contains(on_screen(win.statusBar()))
    assert columns(win.catalog_view) >= 6
    results, chosen = win.results_view, win.results_delegate.thumb_size
    assert results.model().rowCount() == 12
    assert win.results_delegate.shown_size > chosen * 1.3  # the lookalikes larger, not a pane left mostly empty
    assert fills(results) > 0.75, "the twelve lookalikes, all in view, fill most of their pane"
    assert fills(win.curation_panel.view) > 0.35  # eight entries in a pane as tall: larger too, all in view
    assert win.list_delegate.shown_size > chosen
    # the panes share the width: none of the three is starved or sprawling
    widths = [win.catalog_view.width(), results.width(), win.curation_panel.view.width()]
    assert min(widths) > 0.2 * sum(widths) and max(widths) < 0.5 * sum(widths), widths
    shot(win, "maximised")


def test_a_window_remembered_larger_than_the_screen_comes_back_inside_it(qtbot, settings, default_encoder):
    big = MainWindow(settings=settings)
    qtbot.addWidget(big)
    big.show()
    qtbot.waitExposed(big)
    big.setGeometry(400, 300, 3200, 1900)  # from a larger screen, or one since turned to a lower resolution
    qtbot.waitUntil(lambda: big.width() == 3200, timeout=5000)
    big.close()

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    QTest.qWait(100)
    room = win.screen().availableGeometry()
    assert room.contains(win.frameGeometry()), (win.frameGeometry(), room)
    assert win.statusBar().isVisible() and room.contains(on_screen(win.statusBar()))
    win.session.shutdown()


def test_at_1024_by_700_the_catalog_shows_two_columns(qtbot, opened):
    win = opened
    win.resize(1024, 700)
    qtbot.waitUntil(lambda: (win.width(), win.height()) == (1024, 700), timeout=5000)
    settle(qtbot, win)
    assert columns(win.catalog_view) >= 2 and columns(win.results_view) >= 2
    assert win.screen().availableGeometry().contains(on_screen(win.statusBar()))
    shot(win, "small-window")
