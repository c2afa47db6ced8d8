"""A hand on the real window: clicks, drags, keys and dialogs driven by real input events.

Shared by the tests of the window, offscreen and on a real X server. Nothing here calls a slot:
each helper presses, moves, types or clicks on the shown widgets, as a person would.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QDrag, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QLineEdit, QListView, QWidget

from core.lists import Rules

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def wait_active(window: QWidget) -> None:
    for _ in range(500):
        if window.isActiveWindow():
            return
        QTest.qWait(10)
    raise AssertionError("the window never became active")


def activate(window: QWidget) -> None:
    """Make `window` the active one, as a window manager would on a click: shortcuts reach the active window only."""
    window.activateWindow()
    wait_active(window)


def with_modal(window: QWidget, open_it: Callable[[], None], *drives: Callable[[QDialog], None]) -> None:
    """Open a modal dialog by `open_it` (real input) and drive it with the first of `drives` once it is up;
    a dialog its answer opens, with the next. `open_it` returns when the last one closed."""
    seen: list[QWidget] = []
    failures: list[BaseException] = []
    stopped: list[bool] = []
    activate(window)

    def poll() -> None:
        if stopped or len(seen) == len(drives):
            return
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible() or dialog in seen:
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        try:
            activate(dialog)  # as a window manager gives a new modal dialog the keys
            drives[len(seen) - 1](dialog)
        except BaseException as exc:  # raised after the dialog is closed, not left open for ever
            failures.append(exc)
        if dialog.isVisible() and failures:
            dialog.reject()
        if not failures:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    open_it()
    stopped.append(True)
    activate(window)
    if failures:
        raise failures[0]
    assert len(seen) == len(drives), f"{len(seen)} of {len(drives)} dialogs opened"


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


def key(window: QWidget, code: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> Callable[[], None]:
    return lambda: QTest.keyClick(window, code, modifiers)


@dataclass(frozen=True)
class Opened:
    """Where a file dialog opened, and what it offered."""

    folder: Path
    selected: tuple[Path, ...]
    title: str


def note(dialog: QDialog, seen: list[Opened] | None) -> None:
    assert isinstance(dialog, QFileDialog), type(dialog)
    if seen is not None:
        seen.append(Opened(Path(dialog.directory().absolutePath()), tuple(Path(f) for f in dialog.selectedFiles()), dialog.windowTitle()))


def type_name(text: str, seen: list[Opened] | None = None) -> Callable[[QDialog], None]:
    """Drive a Qt file dialog: note where it opened (into `seen`), type `text` into its name field, press Enter."""

    def drive(dialog: QDialog) -> None:
        note(dialog, seen)
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        # Typed with the field focused, as a hand does: the dialog picks the folders met on the way in its
        # list as the name grows, and drops each again only while the field has the focus.
        activate(dialog)  # a window manager would
        QTest.mouseClick(edit, Qt.MouseButton.LeftButton)
        assert edit.hasFocus()
        QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(edit, Qt.Key.Key_Delete)
        QTest.keyClicks(edit, text)
        assert [Path(f) for f in dialog.selectedFiles()] == [Path(dialog.directory().absolutePath(), text)], dialog.selectedFiles()
        QTest.keyClick(edit, Qt.Key.Key_Return)
        if edit.completer() is not None and edit.completer().popup().isVisible():
            QTest.keyClick(edit, Qt.Key.Key_Return)  # the first Enter closed the completions offered
        assert not dialog.isVisible(), f"the dialog stayed open on {dialog.selectedFiles()}"

    return drive


def press_enter(seen: list[Opened] | None = None) -> Callable[[QDialog], None]:
    """Accept a file dialog with what it offers as it opened, noting it into `seen`."""

    def drive(dialog: QDialog) -> None:
        note(dialog, seen)
        activate(dialog)
        QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)
        assert not dialog.isVisible()

    return drive


def press_escape(seen: list[Opened] | None = None) -> Callable[[QDialog], None]:
    """Close a file dialog without choosing, noting where it opened into `seen`."""

    def drive(dialog: QDialog) -> None:
        note(dialog, seen)
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        assert not dialog.isVisible()

    return drive


def screenshot_folder() -> Path:
    """Where tests save what they show: LOOKALIKE_SCREENSHOTS when set (to be looked at), else a temporary folder."""
    folder = Path(os.environ.get("LOOKALIKE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lookalike-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(widget: QWidget, name: str) -> Path:
    """Save what `widget` shows as NAME.png in the screenshot folder, after pending layout and paints."""
    path = screenshot_folder() / f"{name}.png"
    QApplication.sendPostedEvents()
    QApplication.processEvents()
    assert widget.grab().save(str(path))
    return path


def menu_entry(window: QWidget, title: str, action: object) -> Callable[[], None]:
    """Open the menu bar's menu `title` by its Alt key, walk down to `action` and press Enter."""

    def choose() -> None:
        menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)  # type: ignore[attr-defined]
        mnemonic = next(a.text() for a in window.menuBar().actions() if a.text().replace("&", "") == title).split("&")[1][0]  # type: ignore[attr-defined]
        QTest.keyClick(window, Qt.Key(ord(mnemonic.upper())), Qt.KeyboardModifier.AltModifier)
        for _ in range(100):
            if menu.isVisible():
                break
            QTest.qWait(10)
        for _ in range(len(menu.actions())):
            if menu.activeAction() is action:
                break
            QTest.keyClick(menu, Qt.Key.Key_Down)
        assert menu.activeAction() is action, f"{title} › {action.text()} not reached"  # type: ignore[attr-defined]
        QTest.keyClick(menu, Qt.Key.Key_Return)

    return choose


def curating(qtbot, window: QWidget, catalog: Path, k: int = 5, wait: int = 60_000) -> None:
    """The catalog opened and indexed, lists of `k` made, the first product chosen by a click."""
    with qtbot.waitSignal(window.session.indexed, timeout=wait):
        window.open_catalog(catalog)
    with qtbot.waitSignal(window.session.generated, timeout=wait):
        assert window.make_lists(Rules(k=k))
    with qtbot.waitSignal(window.query_shown, timeout=wait):
        click(window.catalog_view, window.catalog_filter.index(0, 0))
