"""A grid of product cards whose cards can be dragged out without changing what is selected.

In the catalog grid the selection is the product whose list is being edited. Qt selects a card
as soon as it is pressed, so dragging a card to that list would first make the card the edited
product, and the drop would be refused as the product recommending itself. Here a plain press on
a card that is not selected selects it on release, unless the press became a drag: the card is
then dragged alone and the selection, and the keyboard's place, stay as they were.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QListView, QWidget

_Flag = QItemSelectionModel.SelectionFlag


class ProductGrid(QListView):
    """A QListView whose plain press on an unselected card selects on release, and whose right press selects nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pressed = QPersistentModelIndex()  # the card of a press whose selecting waits for the release
        self._pressed_button = Qt.MouseButton.NoButton
        self._pressed_at = QPoint()
        self._current_before = QPersistentModelIndex()  # where the keyboard was before the press

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        plain = not event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier)
        waits = plain and index.isValid() and not self.selectionModel().isSelected(index)
        # Right: the context menu names the card it acts on, and may add it to the list being edited.
        waits = waits and (event.button() == Qt.MouseButton.RightButton or (event.button() == Qt.MouseButton.LeftButton and self.dragEnabled()))
        self._pressed = QPersistentModelIndex(index) if waits else QPersistentModelIndex()
        self._pressed_button = event.button()
        self._pressed_at = event.position().toPoint()
        self._current_before = QPersistentModelIndex(self.currentIndex())
        super().mousePressEvent(event)
        if waits and event.button() == Qt.MouseButton.RightButton:
            self._restore_current()

    def selectionCommand(self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None) -> _Flag:
        if self._pressed.isValid() and event is not None:
            if event.type() == QEvent.Type.MouseButtonPress:
                return _Flag.NoUpdate
            if event.type() == QEvent.Type.MouseButtonRelease:
                clicked = self._pressed_button == Qt.MouseButton.LeftButton and index == self._pressed
                return _Flag.ClearAndSelect | _Flag.Rows if clicked else _Flag.NoUpdate
        return super().selectionCommand(index, event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pressed.isValid() and self._pressed_button == Qt.MouseButton.LeftButton and event.buttons() & Qt.MouseButton.LeftButton:
            # Qt's own drag would carry the selection, not the pressed card: it must not start.
            if (event.position().toPoint() - self._pressed_at).manhattanLength() >= QApplication.startDragDistance():
                pressed, self._pressed = QModelIndex(self._pressed), QPersistentModelIndex()
                self._drag(pressed)
                self._restore_current()
                self._forget_press()
                # The drag took the pointer away without a Leave: the card would stay lit as if hovered.
                QApplication.sendEvent(self.viewport(), QEvent(QEvent.Type.Leave))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self._forget_press()

    def _forget_press(self) -> None:
        """Let go of the press's indexes: a persistent index kept past the gesture would outlive the
        model when the window closes (it is freed with its parent first) and touch freed memory."""
        self._pressed = QPersistentModelIndex()
        self._current_before = QPersistentModelIndex()

    def _drag(self, index: QModelIndex) -> Qt.DropAction:
        """Drag one card's product, shown as the card; returns once it is dropped or given up."""
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData([index]))
        card = self.visualRect(index)
        drag.setPixmap(self.viewport().grab(card))
        drag.setHotSpot(self._pressed_at - card.topLeft())
        return drag.exec(self.model().supportedDragActions(), Qt.DropAction.CopyAction)

    def _restore_current(self) -> None:
        """Put the keyboard's place back where it was before the press, without scrolling to it."""
        scrolls = self.hasAutoScroll()
        self.setAutoScroll(False)
        try:
            self.selectionModel().setCurrentIndex(QModelIndex(self._current_before), _Flag.NoUpdate)
        finally:
            self.setAutoScroll(scrolls)
