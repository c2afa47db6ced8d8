"""Splitter panes that keep their shares of the width as the window grows and shrinks.

QSplitter grows its panes in proportion to their sizes of the moment: a window once made small squeezes a
pane to its least width, and that pane keeps the squeezed share however large the window becomes again.
Here each pane is given its share of the room on every resize; dragging a handle sets new shares.
"""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QSplitter


class SplitterShares(QObject):
    """Keeps the panes of `splitter` at `shares` of its room (in any unit: they are normalised)."""

    def __init__(self, splitter: QSplitter, shares: Sequence[float]) -> None:
        super().__init__(splitter)
        self._splitter = splitter
        self.shares = _normalised(shares) or [1.0 / splitter.count()] * splitter.count()
        splitter.splitterMoved.connect(self._on_moved)
        splitter.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._splitter and event.type() == QEvent.Type.Resize:
            self._apply()
        return False

    def _on_moved(self, _pos: int, _index: int) -> None:
        self.shares = _normalised(self._splitter.sizes()) or self.shares

    def _apply(self) -> None:
        splitter = self._splitter
        handles = sum(splitter.handleWidth() for i in range(1, splitter.count()) if splitter.widget(i).isVisibleTo(splitter))
        rect = splitter.contentsRect()
        room = (rect.width() if splitter.orientation() == Qt.Orientation.Horizontal else rect.height()) - handles
        if room > 0:
            splitter.setSizes([round(room * share) for share in self.shares])


def _normalised(sizes: Sequence[float]) -> list[float]:
    total = float(sum(sizes))
    return [size / total for size in sizes] if total > 0 and all(size >= 0 for size in sizes) else []
