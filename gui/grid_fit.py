"""Cards sized to the grid that shows them: a row of cards fills the grid's width, a few matches fill their pane.

The user chooses a thumbnail size. A grid shows as many columns as cards of about that size fit, then
widens or narrows its cards a little so that the columns fill the row. A grid of few cards (the
lookalikes of a query, a product's list) grows them further, up to the thumbnails' stored size, while
they all still fit without scrolling: a large screen shows the matches larger, not a pane left empty.
"""
from __future__ import annotations

from math import ceil
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtWidgets import QListView, QStyle

from core.catalog import APP_THUMB_SIZE
from gui.delegate import MIN_THUMB, ThumbnailDelegate


def fitted_thumb(room: QSize, chosen: int, chrome: QSize, spacing: int, count: int = 0, largest: int = APP_THUMB_SIZE) -> int:
    """The thumbnail side for cards in a grid whose items are laid out in `room` (as QListView lays out icons).

    `chrome` is what a card adds to its thumbnail; with `count` > 0 the cards grow, up to `largest`,
    as long as all `count` of them fit in `room` without scrolling.
    """
    across = room.width() - 1 - spacing  # QListView starts a row after `spacing` and wraps a card that would reach the last pixel

    def side(columns: int) -> int:
        return across // columns - spacing - chrome.width()

    columns = max(1, round(across / (chosen + chrome.width() + spacing)))
    thumb = min(side(columns), max(chosen, largest))
    for columns in range(1, count + 1):  # larger cards in fewer columns, while every card fits the height
        rows = ceil(count / columns)
        tallest = (room.height() - 2 - spacing) // rows - spacing - chrome.height()
        thumb = max(thumb, min(side(columns), tallest, largest))
    return max(MIN_THUMB, thumb)


class GridFit(QObject):
    """Keeps the cards of `view` fitted to it: when it is resized, when the chosen size changes and, with
    `fill`, when the number of cards does."""

    def __init__(self, view: QListView, delegate: ThumbnailDelegate, fill: bool = False) -> None:
        super().__init__(view)
        self._view, self._delegate, self._fill = view, delegate, fill
        view.installEventFilter(self)
        delegate.sizeHintChanged.connect(self.refit)  # a new chosen size (a refit that changes nothing says nothing)
        model = view.model()
        if fill and model is not None:
            for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
                signal.connect(self.refit)
        self.refit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view and event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.refit()
        return False

    def refit(self, *_: Any) -> None:
        view, delegate = self._view, self._delegate
        room = view.maximumViewportSize()
        style = view.style()
        # QListView lays out icons as if the vertical scroll bar were there, so that it never blinks.
        frame = 0
        if style.styleHint(QStyle.StyleHint.SH_ScrollView_FrameOnlyAroundContents, None, view):
            frame = 2 * style.pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, view)
        if not style.pixelMetric(QStyle.PixelMetric.PM_ScrollView_ScrollBarOverlap, None, view.verticalScrollBar()):
            room.setWidth(room.width() - style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view.verticalScrollBar()) - frame)
        if room.width() <= 0 or room.height() <= 0:
            return
        probe = delegate.card_size(view.font(), 100)
        chrome = QSize(probe.width() - 100, probe.height() - 100)
        model = view.model()
        count = model.rowCount() if self._fill and model is not None else 0
        delegate.fit(fitted_thumb(room, delegate.thumb_size, chrome, view.spacing(), count))
