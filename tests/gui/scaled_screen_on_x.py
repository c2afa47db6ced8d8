"""The window at twice the scale (QT_SCALE_FACTOR=2, as on a high-density laptop): on Xvfb's 2560 x 1440
screen that leaves 1280 x 720 to lay out in. The window opens inside it, first time or remembered, with the
status bar and its Cancel button in sight.

Run by test_on_x_server.py, each test in a pytest of its own with the xcb platform; the scale is set here,
before the application is made (by pytest-qt's qapp, once the first test asks for it).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

if os.environ.get("QT_QPA_PLATFORM") == "xcb":
    os.environ["QT_SCALE_FACTOR"] = "2"

from PySide6.QtCore import QEvent, QRect, QSettings  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from core.demo import write_demo_catalog  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from tests.gui.hands import screenshot_folder

pytestmark = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on an X server by test_on_x_server.py")

WAIT = 60_000


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def on_screen(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def shown(qtbot, settings: QSettings) -> MainWindow:
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    QTest.qWait(100)
    return win


@pytest.fixture
def first(qtbot, settings, default_encoder) -> Iterator[MainWindow]:
    win = shown(qtbot, settings)
    yield win
    win.session.shutdown()


def shot(window: QWidget, name: str) -> Path:
    folder = screenshot_folder()
    path = folder / f"{name}-{window.width()}x{window.height()}-scale2.png"
    assert window.grab().save(str(path))
    return path


def test_at_twice_the_scale_the_first_window_fits_with_its_cancel_button(qtbot, first, tmp_path):
    win = first
    screen = win.screen()
    assert screen.devicePixelRatio() == 2 and screen.geometry().size().toTuple() == (1280, 720)
    room = screen.availableGeometry()
    assert room.contains(win.frameGeometry()), (win.frameGeometry(), room)
    assert win.statusBar().isVisible() and room.contains(on_screen(win.statusBar()))

    seen: list[QRect] = []

    def where_cancel_is(job) -> None:  # looked at while the job runs, once the bar is laid out
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        if win.cancel_button.isVisible():
            seen.append(on_screen(win.cancel_button))

    catalog = tmp_path / "catalog"
    write_demo_catalog(catalog, count=30)
    win.session.job_started.connect(where_cancel_is)
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        win.open_catalog(catalog)
    assert seen and all(room.contains(rect) for rect in seen), (seen, room)
    win.grab()  # a paint asks for the visible thumbnails
    qtbot.waitUntil(lambda: win.loader.pending_count() == 0, timeout=10_000)
    QTest.qWait(200)
    shot(win, "first-window")


def test_at_twice_the_scale_a_window_remembered_larger_comes_back_inside_the_screen(qtbot, settings, default_encoder):
    big = shown(qtbot, settings)
    big.setGeometry(40, 30, 2400, 1400)  # as large as it was at scale 1
    qtbot.waitUntil(lambda: big.width() == 2400, timeout=5000)
    big.close()
    big.session.shutdown()

    win = shown(qtbot, settings)
    room = win.screen().availableGeometry()
    assert room.contains(win.frameGeometry()), (win.frameGeometry(), room)
    assert win.statusBar().isVisible() and room.contains(on_screen(win.statusBar()))
    shot(win, "remembered")
    win.session.shutdown()
