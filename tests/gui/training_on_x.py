"""Training an encoder in the real window on a real X server: one time-left figure, the verdict kept.

test_on_x_server.py runs each test here in a pytest of its own, on Xvfb with the xcb platform.
The events are QTest's real mouse and key events on the shown widgets: the Model menu opened
with the mouse, the dialog's buttons clicked, Ctrl+T typed to open the dialog again.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from core.common import TrainSettings
from gui.main_window import MainWindow
from tests.gui.hands import screenshot_folder

pytestmark = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on an X server by test_on_x_server.py")

WAIT = 300_000  # a busy two-core machine trains a few steps, checks and indexes in minutes at worst
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def shot(window: MainWindow, name: str) -> Path:
    """The screen under the window, as a person sees it: the window and the dialog over it."""
    folder = screenshot_folder()
    path = folder / f"training-{name}.png"
    QTest.qWait(150)  # the last repaint reaches the X server
    frame = window.frameGeometry()
    image = QGuiApplication.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    assert image.save(str(path))
    return path


def click(button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), f"{button.text()} cannot be clicked"
    QTest.mouseClick(button, LEFT)


def wait_active(qtbot, widget: QWidget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=5000)


def test_train_with_the_dialog_closed_and_see_the_verdict_kept(qtbot, tmp_path, catalog):
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.move(0, 0)
    window.show()
    qtbot.waitExposed(window)
    try:
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
            window.open_catalog(catalog)
        window.session.train_defaults = replace(TrainSettings(), batch_size=8, warmup_steps=2)  # seconds, not minutes
        wait_active(qtbot, window)

        # Model › Train on Catalog…, with the mouse.
        bar = window.menuBar()
        model_menu = next(a for a in bar.actions() if a.text() == "&Model")
        QTest.mouseClick(bar, LEFT, NONE, bar.actionGeometry(model_menu).center())
        menu: QMenu = model_menu.menu()
        qtbot.waitUntil(menu.isVisible, timeout=5000)
        QTest.mouseClick(menu, LEFT, NONE, menu.actionGeometry(window.train_action).center())
        qtbot.waitUntil(lambda: getattr(window, "train_dialog", None) is not None and window.train_dialog.isVisible(), timeout=5000)
        dialog = window.train_dialog
        dialog.move(window.frameGeometry().right() - dialog.frameGeometry().width() - 20, 60)
        assert not dialog.use_new_button.isEnabled()
        qtbot.waitUntil(lambda: dialog.estimate.text().startswith("Takes about ") or
                        dialog.estimate.text().startswith("Takes less than"), timeout=WAIT)
        dialog.steps.setMinimum(1)  # a test trains for seconds: four steps, typed
        edit = dialog.steps.lineEdit()
        QTest.mouseClick(edit, LEFT)
        QTest.keyClick(edit, Qt.Key.Key_A, CTRL)
        QTest.keyClicks(edit, "4")
        shot(window, "before-start")

        with qtbot.waitSignal(window.session.trained, timeout=WAIT):
            click(dialog.start_button)
            assert dialog.steps.value() == 4
            qtbot.waitUntil(lambda: dialog.status.text().startswith("Step ") and window.progress_label.text().startswith("Training"),
                            timeout=WAIT)
            in_dialog, in_status_bar = dialog.status.text(), window.progress_label.text()
            words = in_dialog.split(" · ")[-1]
            assert words.endswith(" left") and in_status_bar.endswith(" · " + words), (in_dialog, in_status_bar)
            shot(window, "progress")
            click(dialog.close_button)
            assert not dialog.isVisible()

        qtbot.waitUntil(window.banner.isVisible, timeout=WAIT)
        assert window.banner.label.text().startswith("Training done. The encoder in use stays. 30 photos are too few")
        assert [b.text() for b in window.banner.buttons] == ["Use the New One Anyway"]
        shot(window, "verdict-in-window")

        wait_active(qtbot, window)
        QTest.keyClick(window, Qt.Key.Key_T, CTRL)
        qtbot.waitUntil(lambda: window.train_dialog is not dialog and window.train_dialog.isVisible(), timeout=5000)
        again = window.train_dialog
        again.move(window.frameGeometry().right() - again.frameGeometry().width() - 20, 60)
        assert again.verdict.isVisible() and again.verdict.text().startswith("The encoder in use stays. 30 photos are too few")
        assert again.use_new_button.isEnabled()
        shot(window, "verdict-reopened")
        click(again.close_button)
    finally:
        window.session.shutdown()
