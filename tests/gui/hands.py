"""A hand on the real window: clicks, drags, keys and dialogs driven by real input events.

Shared by the tests of the window, offscreen and on a real X server. Nothing here calls a slot:
each helper presses, moves, types or clicks on the shown widgets, as a person would.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QDrag, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QLineEdit, QListView, QWidget

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def wait_active(window: QWidget) -> None:
    for _ in range(500):
        if window.isActiveWindow():
            return
        QTest.qWait(10)
    raise AssertionError("the window never became active")


def with_modal(window: QWidget, open_it: Callable[[], None], drive: Callable[[QDialog], None]) -> None:
    """Open a modal dialog by `open_it` (real input) and drive it with `drive` once it is up."""
    seen: list[QWidget] = []
    failures: list[BaseException] = []
    stopped: list[bool] = []
    wait_active(window)  # shortcuts reach the active window only

    def poll() -> None:
        if stopped:
            return
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        try:
            drive(dialog)
        except BaseException as exc:  # said after the dialog is closed, not left open for ever
            failures.append(exc)
        if dialog.isVisible() and failures:
            dialog.reject()

    QTimer.singleShot(0, poll)
    open_it()  # returns when the dialog has closed
    stopped.append(True)
    window.activateWindow()  # no window manager offscreen to give it back
    wait_active(window)
    if failures:
        raise failures[0]
    assert seen, "no dialog opened"


def ctrl(window: QWidget, key: Qt.Key, shift: bool = False) -> Callable[[], None]:
    modifiers = Qt.KeyboardModifier.ControlModifier | (Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier)
    return lambda: QTest.keyClick(window, key, modifiers)


def fill_file_dialog(path: Path, file_type: str = "") -> Callable[[QDialog], None]:
    """Drive a Qt file dialog: pick the file type by arrow keys, paste the path, click Save (or Choose)."""

    def drive(dialog: QDialog) -> None:
        assert isinstance(dialog, QFileDialog)
        if file_type:
            combo = dialog.findChild(QComboBox, "fileTypeCombo")
            for _ in range(combo.count()):
                if combo.currentText().startswith(file_type):
                    break
                QTest.keyClick(combo, Qt.Key.Key_Down)
            assert combo.currentText().startswith(file_type)
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        # Pasted, as a path copied from elsewhere is: typed a key at a time, the dialog selects each
        # folder on the way in its list, and those stay selected beside the file.
        QGuiApplication.clipboard().setText(str(path))
        QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert dialog.selectedFiles() == [str(path)]
        box = dialog.findChild(QDialogButtonBox, "buttonBox")
        accept = next(b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
        QTest.mouseClick(accept, Qt.MouseButton.LeftButton)  # Save, Choose
        assert not dialog.isVisible()

    return drive


def press_return(dialog: QDialog) -> None:
    QTest.keyClick(dialog, Qt.Key.Key_Return)


def drawn_message(window: QWidget) -> str:
    """The status bar's message, checked to be drawn: nothing covers where it is painted, and ink is there."""
    bar = window.statusBar()  # a QMainWindow
    text = bar.currentMessage()
    assert text
    width = bar.fontMetrics().horizontalAdvance(text)
    area = QRect(6, 0, width, bar.height())  # where QStatusBar paints its message
    assert area.right() < bar.width() - 12
    covering = [w for w in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                if w.isVisible() and w.geometry().intersects(area)]
    assert not covering, f"{text!r} is under {covering}"
    image = bar.grab().toImage()
    ink = sum(1 for x in range(area.left(), area.right()) for y in range(image.height())
              if QColor(image.pixel(x, y)).lightness() < 110)
    assert ink > width // 2, f"{text!r} is not drawn"
    return text


def click(view: QListView, index: QModelIndex, button: Qt.MouseButton = LEFT) -> None:
    """A click through the window, as the X server delivers it (a right click also asks for the context menu)."""
    view.scrollTo(index)
    QTest.qWait(20)
    window, at = view.window(), view.visualRect(index).center()
    QTest.mouseClick(window.windowHandle(), button, NONE, view.viewport().mapTo(window, at))


def drag(qtbot, source: QListView, index: QModelIndex, target: QListView, at: QPoint) -> None:
    """Press on a card, move past the drag distance, then on over `target` to `at` and release there.

    The move that starts the drag runs Qt's drag loop until the release; the rest of the moves and
    the release are sent from a timer inside that loop, once the drag is under way.
    """
    viewport, start = source.viewport(), source.visualRect(index).center()
    drags_before = len(source.findChildren(QDrag))
    waited = []

    def over_the_target() -> None:
        if len(source.findChildren(QDrag)) == drags_before:  # not started yet
            if len(waited) < 200:
                waited.append(1)
                QTimer.singleShot(10, over_the_target)
            return
        end = target.viewport()
        here = end.mapFromGlobal(viewport.mapToGlobal(start))
        for step in range(1, 9):
            QTest.mouseMove(end, here + (at - here) * step / 8)
            QTest.qWait(20)
        QTest.mouseRelease(end, LEFT, NONE, at)

    QTest.mouseMove(viewport, start)
    QTest.mousePress(viewport, LEFT, NONE, start)
    QTimer.singleShot(10, over_the_target)
    step = max(2, QApplication.startDragDistance() // 2)
    for n in range(1, 5):  # past startDragDistance in steps
        QTest.mouseMove(viewport, start + QPoint(n * step, n))
    qtbot.waitUntil(lambda: len(waited) >= 200 or len(source.findChildren(QDrag)) > drags_before, timeout=5000)
    assert len(source.findChildren(QDrag)) > drags_before, "the drag did not start"
