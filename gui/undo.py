"""Undo and redo for list edits: every edit is a before/after pair of stored list states."""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand

from core.curation import Curation, ListState


class ListEdit(QUndoCommand):
    """An edit already written to the store; undo writes `before` back, redo writes `after`."""

    def __init__(self, text: str, curation: Curation, before: ListState, after: ListState, changed: Callable[[ListState], None]) -> None:
        super().__init__(text)
        self._curation = curation
        self._before = before
        self._after = after
        self._changed = changed
        self._first = True

    def redo(self) -> None:
        if self._first:  # the edit itself already stored `after`
            self._first = False
        else:
            self._curation.restore(self._after)
        self._changed(self._after)

    def undo(self) -> None:
        self._curation.restore(self._before)
        self._changed(self._before)
