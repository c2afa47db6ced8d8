"""Edits of many lists at once for the window: a product blocked from every list, the lists shown marked reviewed.

Each is written a few hundred lists a transaction (core.lists.Curation.change_many), is one step
on the window's undo stack, and is confirmed in words for the status bar.
"""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from core.common import LookalikeError
from core.lists import LIST_KINDS, BulkInterrupted, Curation, ListChange, ListState
from gui.session import CatalogSession
from gui.undo import BulkEdit


def lists_in_words(count: int) -> str:
    return f"{count:,} list" if count == 1 else f"{count:,} lists"


class BulkEditor(QObject):
    """Runs bulk list edits through the session's store and puts each on the undo stack as one step."""

    confirmed = Signal(str)  # what was done, for the status bar
    lists_changed = Signal(object)  # list[ListState]: the lists after a bulk edit, its undo or its redo

    def __init__(self, session: CatalogSession, undo: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.undo = undo

    def block_everywhere(self, target_id: int, name: str) -> int:
        """Block the product from every list of every kind (its own excepted); returns how many lists it changed."""
        changes = self._run(lambda curation: curation.block_everywhere(target_id, LIST_KINDS))
        if changes is None:
            return 0
        self._push(f"Block {name} from every list", changes)
        already = "" if changes else " (it was blocked from every list already)"
        self.confirmed.emit(f"Blocked {name} from {lists_in_words(len(changes))}{already}")
        return len(changes)

    def mark_reviewed(self, item_ids: Sequence[int], kind: str) -> int:
        """Mark the lists of these products reviewed; returns how many were not reviewed before."""
        changes = self._run(lambda curation: curation.mark_reviewed(item_ids, kind))
        if changes is None:
            return 0
        self._push("Mark shown lists reviewed", changes)
        count = len(dict.fromkeys(item_ids))
        rest = f" ({count - len(changes):,} of the {count:,} shown were already)" if len(changes) < count else ""
        self.confirmed.emit(f"Marked {lists_in_words(len(changes))} reviewed{rest}")
        return len(changes)

    def _run(self, work: Callable[[Curation], list[ListChange]]) -> list[ListChange] | None:
        curation = self.session.curation
        if curation is None:
            self.session.error.emit("open a catalog first")
            return None
        try:
            return work(curation)
        except BulkInterrupted as exc:  # the lists written before the refusal stay written, and can be undone
            self._push("Bulk edit stopped part-way", exc.done)
            self.session.error.emit(str(exc))
            self.lists_changed.emit([change.after for change in exc.done])
            return None
        except LookalikeError as exc:
            self.session.error.emit(str(exc))
            return None

    def _push(self, text: str, changes: list[ListChange]) -> None:
        curation = self.session.curation
        if not changes or curation is None:
            return
        self.undo.push(BulkEdit(text, curation, changes, self._on_states, self.session.error.emit))

    def _on_states(self, states: Sequence[ListState]) -> None:
        self.session.note_edit()
        self.lists_changed.emit(list(states))
