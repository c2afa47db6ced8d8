"""Undo and redo for list edits: every edit is a before/after pair of stored list states."""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand

from core.common import LookalikeError
from core.lists import Curation, ListState


class ListEdit(QUndoCommand):
    """An edit already written to the store; undo writes `before` back, redo writes `after`.

    A write the disk refuses (full, read-only) is reported through `failed`; the stored list
    is then still the one shown before the step.
    """

    def __init__(
        self,
        text: str,
        curation: Curation,
        before: ListState,
        after: ListState,
        changed: Callable[[ListState], None],
        failed: Callable[[str], None] = lambda message: None,
    ) -> None:
        super().__init__(text)
        self._curation = curation
        self._before = before
        self._after = after
        self._changed = changed
        self._failed = failed
        self._first = True

    def redo(self) -> None:
        if self._first:  # the edit itself already stored `after`
            self._first = False
            self._changed(self._after)
            return
        self._write(self._after, self._before, "redo")

    def undo(self) -> None:
        self._write(self._before, self._after, "undo")

    def _write(self, state: ListState, otherwise: ListState, what: str) -> None:
        try:
            self._curation.restore(state)
        except LookalikeError as exc:
            self._failed(f"could not {what} {self.text().lower()}: {exc}")
            state = otherwise
        self._changed(state)
