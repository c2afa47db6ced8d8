"""Undo and redo for list edits: each step takes one edit back, or makes it again, on the list as it is now."""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QUndoCommand

from core.common import LookalikeError
from core.lists import Curation, EditConflict, ListChange, ListState


class ListEdit(QUndoCommand):
    """An edit already written to the store; undo takes its change back, redo makes it again.

    Neither writes back a copy read earlier: an entry changed since by another edit (in this
    window, another window or a command-line run) makes the step refuse, said through `failed`,
    and the list is shown as it is now.
    """

    def __init__(
        self,
        text: str,
        curation: Curation,
        change: ListChange,
        changed: Callable[[ListState], None],
        failed: Callable[[str], None] = lambda message: None,
    ) -> None:
        super().__init__(text)
        self._curation = curation
        self._change = change
        self._changed = changed
        self._failed = failed
        self._first = True

    def redo(self) -> None:
        if self._first:  # the edit itself already stored its change
            self._first = False
            self._changed(self._change.after)
            return
        self._step(self._curation.redo, "redo")

    def undo(self) -> None:
        self._step(self._curation.undo, "undo")

    def _step(self, step: Callable[[ListChange, str], ListState], what: str) -> None:
        try:
            state = step(self._change, f"{what} {self.text().lower()}")
        except EditConflict as exc:
            self._failed(str(exc))
            self.setObsolete(True)  # it can never be made again: it leaves the history instead of blocking it
            state = self._curation.state(self._change.before.item_id, self._change.before.kind)
        except LookalikeError as exc:  # the disk refused (full, read-only): the step stays, to try again
            self._failed(f"could not {what} {self.text().lower()}: {exc}")
            state = self._curation.state(self._change.before.item_id, self._change.before.kind)
        self._changed(state)
