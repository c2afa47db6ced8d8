"""Undo and redo for list edits: each step takes one edit back, or makes it again, on the list as it is now;
a bulk edit of many lists is one step, taken back list by list and entry by entry."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtGui import QUndoCommand

from core.common import LookalikeError
from core.lists import BulkStep, Curation, EditConflict, ListChange, ListState


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


class BulkEdit(QUndoCommand):
    """Changes of many lists (or several entries of one) already written to the store, undone and redone as one step.

    Each step carries the changes over onto the lists as they are now, a few hundred lists a
    transaction: entries changed since by another edit (this window's, another window's or a
    command-line run's) stay as they are, are said through `failed`, and leave the step; the
    step goes obsolete only when nothing of it is left.
    """

    def __init__(
        self,
        text: str,
        curation: Curation,
        changes: Sequence[ListChange],
        changed: Callable[[Sequence[ListState]], None],
        failed: Callable[[str], None] = lambda message: None,
    ) -> None:
        super().__init__(text)
        self._curation = curation
        self._changes = tuple(changes)
        self._changed = changed
        self._failed = failed
        self._first = True

    def redo(self) -> None:
        if self._first:  # the edit itself already stored its changes
            self._first = False
            self._changed([change.after for change in self._changes])
            return
        self._step(True, "redo")

    def undo(self) -> None:
        self._step(False, "undo")

    def _step(self, forward: bool, what: str) -> None:
        named = self.text()[:1].lower() + self.text()[1:]  # "block Red cap from every list": the product's name as it is
        try:
            step: BulkStep = self._curation.step_many(self._changes, forward)
        except LookalikeError as exc:  # the disk refused (full, read-only): the step stays, to try again
            self._failed(f"could not {what} {named}: {exc}")
            self._changed([])
            return
        self._changes = step.done
        if step.refused:
            places = "entry was" if step.refused == 1 else "entries were"
            self._failed(f"{what} {named}: {step.refused:,} {places} changed since, in this window or another, and left as they are now")
        if not step.done:
            self.setObsolete(True)  # nothing of it is left to take back or make again
        self._changed(list(step.states))
