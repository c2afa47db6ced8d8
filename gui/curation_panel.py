"""The recommendation-list editor: one product's curated list, with undoable pin, block, move, add and notes."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.common import LookalikeError
from core.lists import LIST_KINDS, Curation, ListChange, ListState, edits
from gui.delegate import ThumbnailDelegate
from gui.models import CuratedListModel
from gui.session import CatalogSession
from gui.undo import BulkEdit, ListEdit

KIND_LABELS = {"related": "Related", "cross-sell": "Cross-sell", "upsell": "Upsell"}


class CurationPanel(QWidget):
    """Shows and edits the list of the product the window points it at."""

    step_requested = Signal(int)  # +1 next product, -1 previous
    list_changed = Signal(object)  # ListState, after every edit, undo and redo
    confirmed = Signal(str)  # what an edit of several entries did, for the status bar

    def __init__(self, session: CatalogSession, undo: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.undo = undo
        self.item_id: int | None = None
        self._shown_state: ListState | None = None  # the stored list as last shown
        self.model = CuratedListModel(self)
        self.model.drop_requested.connect(self._on_drop)

        self.title = QLabel("Select a product to see its recommendation list.")
        self.title.setWordWrap(True)
        # A long unbroken SKU or name is cut at the panel's edge (the full text is the tooltip)
        # rather than widening the panel and squeezing the catalog grid.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.kind = QComboBox()
        for kind in LIST_KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.kind.currentIndexChanged.connect(lambda _: (self._on_note(), self.refresh()))
        self.progress = QLabel()
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Snap)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(4)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.view.setDropIndicatorShown(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setModel(self.model)
        self.view.selectionModel().selectionChanged.connect(self._enable)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.note = QLineEdit(placeholderText="Note for this list (kept in exports)")
        self._note_owner: tuple[int, str] | None = None  # (item, kind) of the list the note field shows
        self.note.editingFinished.connect(self._on_note)
        self.reviewed = QCheckBox("Reviewed")
        self.reviewed.clicked.connect(lambda checked: self._apply("Mark reviewed" if checked else "Mark not reviewed", edits.reviewed(checked)))

        def button(text: str, tip: str, slot: Callable[[], object], shortcut: str | QKeySequence | None = None) -> QPushButton:
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            if shortcut is not None:
                act = QAction(text, self)
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                act.triggered.connect(slot)
                self.addAction(act)
            return b

        self.pin_button = button("Pin", "Keep the selected entry at its place (P)", self.toggle_pin, "P")
        self.block_button = button("Block", "Remove the selected entry and never suggest it again (B, Delete)", self.block_selected, "B")
        delete = QAction(self)
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        delete.triggered.connect(self.block_selected)
        self.addAction(delete)
        self.left_button = button("◀ Earlier", "Move the selected entry one place earlier and pin it (Ctrl+Left)", lambda: self.shift_selected(-1), "Ctrl+Left")
        self.right_button = button("Later ▶", "Move the selected entry one place later and pin it (Ctrl+Right)", lambda: self.shift_selected(1), "Ctrl+Right")
        self.prev_button = button("◀ Previous", "Previous product (Alt+Left)", lambda: self.step_requested.emit(-1))
        self.next_button = button("Reviewed, next ▶", "Mark this list reviewed and go to the next product (Alt+Right)", self.review_and_next)
        for key, slot in (("Alt+Left", lambda: self.step_requested.emit(-1)), ("Alt+Right", self.review_and_next)):
            act = QAction(self)
            act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(QLabel("List"))
        top.addWidget(self.kind)
        # Rows kept narrow: the panel sits beside the lookalikes, and both beside the catalog.
        edits = QHBoxLayout()
        for b in (self.pin_button, self.block_button, self.left_button, self.right_button):
            edits.addWidget(b)
        edits.addStretch(1)
        walk = QHBoxLayout()
        walk.addWidget(self.prev_button)
        walk.addWidget(self.next_button)
        walk.addWidget(self.reviewed)
        walk.addStretch(1)
        about = QHBoxLayout()
        about.addWidget(self.hint, 1)
        about.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(about)
        layout.addLayout(edits)
        layout.addWidget(self.note)
        layout.addLayout(walk)
        self._enable()

    def set_delegate(self, delegate: ThumbnailDelegate) -> None:
        delegate.attach(self.view)

    @property
    def current_kind(self) -> str:
        return str(self.kind.currentData())

    # showing -----------------------------------------------------------------------------
    def show_item(self, item_id: int | None) -> None:
        if item_id != self.item_id:
            self._on_note()  # a note still being typed belongs to the list it was typed for
        self.item_id = item_id
        self.refresh()

    def refresh(self) -> None:
        """Re-read the shown list from the store."""
        curation, store, ws = self.session.curation, self.session.store, self.session.ws
        if self.item_id is None or curation is None or store is None or ws is None:
            self.model.reset(Path(), [])
            self.title.setText("Select a product to see its recommendation list.")
            self._enable()
            return
        state = curation.state(self.item_id, self.current_kind)
        self._shown_state = state
        items = store.items_by_id([self.item_id] + [e.target_id for e in state.shown])
        source = items.get(self.item_id)
        name = source.title if source else str(self.item_id)
        sku = f" · {source.sku}" if source and source.sku else ""
        self.title.setText(f"<b>{name}</b>{sku}")
        self.title.setToolTip(f"{name}{sku}")
        selected = self._selected_target()
        self.model.reset(ws.catalog, [(e, items[e.target_id]) for e in state.shown if e.target_id in items])
        if selected is not None:
            for row in range(self.model.rowCount()):
                if self.model.entry(row).target_id == selected:
                    self.view.setCurrentIndex(self.model.index(row, 0))
        owner = (self.item_id, self.current_kind)
        if owner != self._note_owner or not self.note.hasFocus():  # a refresh never undoes typing in progress
            self.note.setText(state.note)
            self._note_owner = owner
        self.reviewed.setChecked(state.reviewed)
        blocked = len(state.blocked)
        if not state.entries and curation.has_lists(self.current_kind):
            self.hint.setText("Nothing matched the rules for this product. Drag products here to add them.")
        elif not state.entries:
            self.hint.setText("No list yet: use Lists › Make Lists…, or drag products here.")
        else:
            pinned = sum(e.pinned for e in state.shown)
            self.hint.setText(f"{len(state.shown)} entries · {pinned} pinned · {blocked} blocked. Drag products in to add them.")
        self._show_counts()
        self._enable()

    def refresh_if_changed(self) -> None:
        """Show what another window, a command-line run or a background job changed (nothing else is redrawn)."""
        curation = self.session.curation
        if curation is None or self.item_id is None:
            return
        if curation.state(self.item_id, self.current_kind) != self._shown_state:
            self.refresh()
        else:
            self._show_counts()

    def _show_counts(self) -> None:
        curation = self.session.curation
        if curation is None:
            return
        reviewed, total = curation.review_counts(self.current_kind)
        self.progress.setText(f"{reviewed} of {total} lists reviewed")

    def _enable(self) -> None:
        has_item = self.item_id is not None
        has_selection = self._selected_target() is not None
        for b in (self.pin_button, self.block_button, self.left_button, self.right_button):
            b.setEnabled(has_selection)
        for w in (self.note, self.reviewed, self.next_button, self.prev_button):
            w.setEnabled(has_item)
        if has_selection:
            self.pin_button.setText("Unpin" if self.model.entry(self.view.currentIndex().row()).pinned else "Pin")

    def _selected_target(self) -> int | None:
        index = self.view.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.entry(index.row()).target_id

    # editing -----------------------------------------------------------------------------
    def _apply(self, text: str, edit: edits.Edit, owner: tuple[int, str] | None = None) -> bool:
        """Run one edit on the stored list (the shown one, or `owner`'s) and put it on the undo stack."""
        return self._record(text, lambda c, i, k: c.change(i, k, edit), owner)

    def _record(self, text: str, make: Callable[[Curation, int, str], ListChange], owner: tuple[int, str] | None = None) -> bool:
        """Make one change through the store and put it on the undo stack; a refusal is said, and the list shown as it is."""
        curation = self.session.curation
        if curation is None or self.item_id is None:
            return False
        item_id, kind = owner if owner is not None else (self.item_id, self.current_kind)
        try:
            change = make(curation, item_id, kind)
        except LookalikeError as exc:
            self.session.error.emit(str(exc))
            self.refresh()
            return False
        if not change.changed:
            return False
        self.undo.push(ListEdit(text, curation, change, self._on_state, self.session.error.emit))
        return True

    def _on_state(self, state: ListState) -> None:
        self.session.note_edit()
        if state.item_id == self.item_id and state.kind == self.current_kind:
            self.refresh()
        self.list_changed.emit(state)

    def _on_states(self, states: Sequence[ListState]) -> None:
        """After a step of several entries: shown as the store has it now."""
        self.session.note_edit()
        self.refresh()
        for state in states:
            self.list_changed.emit(state)

    def toggle_pin(self) -> None:
        target = self._selected_target()
        if target is None:
            return
        pinned = not self.model.entry(self.view.currentIndex().row()).pinned
        self._apply("Pin" if pinned else "Unpin", edits.pin(target, pinned))

    def block_selected(self) -> None:
        target = self._selected_target()
        if target is not None:
            row = self.view.currentIndex().row()
            searcher = self.session.searcher
            if self._record("Block", lambda c, i, k: c.block_and_refill_change(searcher, i, k, target)) and self.model.rowCount():
                self.view.setCurrentIndex(self.model.index(min(row, self.model.rowCount() - 1), 0))
                self._enable()

    def shift_selected(self, step: int) -> None:
        target = self._selected_target()
        if target is None:
            return
        row = max(0, self.view.currentIndex().row() + step)
        self._apply("Move", edits.move(target, row))

    def add(self, target_ids: list[int], row: int) -> int:
        """Put dragged-in or chosen products at `row` on, pinned, as one undo step; returns how many it added.

        Among several, the product itself is left out (said on the status bar); alone, it is refused.
        """
        if self.item_id is None or self.session.curation is None:
            return 0
        wanted = list(dict.fromkeys(target_ids))
        others = [t for t in wanted if t != self.item_id]
        if not others:
            if wanted:
                self.session.error.emit("a product cannot recommend itself")
            return 0
        searcher, item_id = self.session.searcher, self.item_id
        scored = [(t, searcher.similarity(item_id, t) if searcher is not None else None) for t in others]
        if len(scored) == 1:
            return 1 if self._apply("Add", edits.move(scored[0][0], row, scored[0][1])) else 0
        kind = self.current_kind
        curation = self.session.curation
        try:
            change = curation.change(item_id, kind, edits.add_many(scored, row))
        except LookalikeError as exc:
            self.session.error.emit(str(exc))
            self.refresh()
            return 0
        added = len(others)
        if change.changed:
            self.undo.push(BulkEdit(f"Add {added} products", curation, [change], self._on_states, self.session.error.emit))
        left_out = " (not the product itself)" if len(others) < len(wanted) else ""
        source = self.session.store.item(item_id) if self.session.store is not None else None
        self.confirmed.emit(f"Added {added} products to the list of {source.title if source else item_id}{left_out}")
        return added

    def _on_drop(self, ids: list[int], row: int) -> None:
        self.add(ids, row)

    def _on_note(self) -> None:
        curation, owner = self.session.curation, self._note_owner
        if curation is None or owner is None:
            return
        text = self.note.text().strip()
        if text != curation.state(*owner).note:
            self._apply("Edit note", edits.note(text), owner)

    def review_and_next(self) -> None:
        if self.item_id is None:
            return
        if not self.reviewed.isChecked():
            self._apply("Mark reviewed", edits.reviewed(True))
        self.step_requested.emit(1)
