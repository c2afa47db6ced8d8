"""Catalog › Find Duplicates: the groups of copies and colourways side by side, to confirm or dismiss.

A group marked "not duplicates" is remembered (the next finding leaves its photos apart); the
member chosen to stay is the one lists show of its group. Both are undoable here (Ctrl+Z).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.duplicates import DuplicateGroup
from gui.delegate import ThumbnailDelegate
from gui.models import DuplicateMembersModel
from gui.session import CatalogSession
from gui.thumbnails import ThumbnailLoader

KIND_LABELS = {"exact": "Exact copies", "near": "Near-duplicates", "variant": "Colour variants"}
KIND_COUNTED = {"exact": ("exact copy", "exact copies"), "near": ("near-duplicate", "near-duplicates"),
                "variant": ("colour variant", "colour variants")}  # a group of each kind, one and many
SHOW_CHOICES = (("all", "All groups"), ("exact", "Exact copies"), ("near", "Near-duplicates"), ("variant", "Colour variants"))
GroupRole = Qt.ItemDataRole.UserRole + 1


class _Change(QUndoCommand):
    """A change already made to what is remembered; undo and redo run the given steps."""

    def __init__(self, text: str, session: CatalogSession, do: Callable[[], None], undo: Callable[[], None],
                 after: Callable[[], None]) -> None:
        super().__init__(text)
        self._session, self._do, self._undo, self._after = session, do, undo, after
        self._first = True

    def redo(self) -> None:
        if not self._first:
            self._session.duplicate_edit(self._do)
        self._first = False
        self._after()

    def undo(self) -> None:
        self._session.duplicate_edit(self._undo)
        self._after()


class DuplicatesDialog(QDialog):
    def __init__(self, session: CatalogSession, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Duplicates")
        self.resize(980, 620)
        self.session = session
        self.undo = QUndoStack(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.show_kind = QComboBox()
        for value, label in SHOW_CHOICES:
            self.show_kind.addItem(label, value)
        self.find_button = QPushButton("Find Again")
        self.groups = QListWidget()
        self.groups.setMinimumWidth(300)
        self.members_model = DuplicateMembersModel(self)
        self.members = QListView()
        self.members.setViewMode(QListView.ViewMode.IconMode)
        self.members.setResizeMode(QListView.ResizeMode.Adjust)
        self.members.setMovement(QListView.Movement.Static)
        self.members.setSpacing(4)
        self.members.setModel(self.members_model)
        self.delegate = ThumbnailDelegate(loader, self, pinned_tag="STAYS")
        self.delegate.attach(self.members)
        self.keep_button = QPushButton("Keep This One in Lists")
        self.keep_button.setShortcut(QKeySequence("Ctrl+K"))
        self.best_button = QPushButton("Best Match Stays")
        self.dismiss_button = QPushButton("Not Duplicates")
        self.dismiss_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.undo_button = QPushButton("Undo")
        self.close_button = QPushButton("Close")
        QShortcut(QKeySequence.StandardKey.Undo, self, self.undo.undo)
        QShortcut(QKeySequence.StandardKey.Redo, self, self.undo.redo)
        self.hint = QLabel()
        self.hint.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_kind)
        top.addWidget(self.find_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.members, 1)
        right_layout.addWidget(self.hint)
        split = QSplitter()
        split.addWidget(self.groups)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        buttons = QHBoxLayout()
        for button in (self.keep_button, self.best_button, self.dismiss_button, self.undo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)

        self.show_kind.currentIndexChanged.connect(lambda _: self.reload())
        self.find_button.clicked.connect(self.find_again)
        self.groups.currentRowChanged.connect(lambda _: self._show_group())
        self.members.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.keep_button.clicked.connect(self.keep_selected)
        self.best_button.clicked.connect(lambda: self._set_keeper(None))
        self.dismiss_button.clicked.connect(self.dismiss_current)
        self.undo_button.clicked.connect(self.undo.undo)
        self.undo.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_button.setEnabled(False)
        self.close_button.clicked.connect(self.close)
        session.duplicates_found.connect(self._on_found)
        self.reload()

    # what is shown -----------------------------------------------------------------------
    def reload(self, keep_row: int | None = None) -> None:
        memory = self.session.duplicates()
        groups = memory.groups() if memory is not None else []
        found = memory is not None and memory.found()
        counts = {kind: sum(g.kind == kind for g in groups) for kind in KIND_LABELS}
        if not found:
            self.summary.setText("Duplicates have not been looked for in this catalog yet: <b>Find Again</b> looks now.")
        elif not groups:
            self.summary.setText("No duplicates: no two photos are copies or colourways of each other.")
        else:
            parts = ", ".join(f"{counts[k]:,} {KIND_COUNTED[k][counts[k] != 1]}" for k in KIND_LABELS if counts[k])
            self.summary.setText(f"{len(groups):,} groups ({parts}). Lists keep each group's copies apart.")
        shown_kind = self.show_kind.currentData()
        self.groups.clear()
        for group in groups:
            if shown_kind != "all" and group.kind != shown_kind:
                continue
            first = group.members[0]
            text = f"{KIND_LABELS[group.kind]} · {len(group.members)} photos · {group.score:.3f}\n{first.sku or first.path}"
            entry = QListWidgetItem(text)
            entry.setData(GroupRole, group)
            self.groups.addItem(entry)
        if self.groups.count():
            self.groups.setCurrentRow(min(keep_row or 0, self.groups.count() - 1))
        self._show_group()

    def current_group(self) -> DuplicateGroup | None:
        entry = self.groups.currentItem()
        return entry.data(GroupRole) if entry is not None else None

    def _show_group(self) -> None:
        group, memory, store = self.current_group(), self.session.duplicates(), self.session.store
        if group is None or memory is None or store is None or self.session.ws is None:
            self.members_model.reset(self.session.ws.catalog if self.session.ws else Path(), [])
            self.hint.setText("")
            self._update_buttons()
            return
        keeper = memory.keeper_of(group)
        items = store.items_by_id(group.item_ids)
        rows = [((m, m.item_id == keeper), items[m.item_id]) for m in group.members if m.item_id in items]
        self.members_model.reset(self.session.ws.catalog, rows)
        if group.kind == "variant":
            self.hint.setText("One design in other colours: by default a product's list leaves out its own colourways "
                              "and shows one of any other design.")
        elif keeper is None:
            self.hint.setText("One photo: a list shows at most one of them, the best match. Choose one to show instead.")
        else:
            self.hint.setText("One photo: lists show only the one marked, wherever a member of the group would be.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        group = self.current_group()
        photo_group = group is not None and group.kind != "variant"
        self.keep_button.setEnabled(photo_group and bool(self.members.selectionModel().selectedIndexes()))
        self.best_button.setEnabled(photo_group)
        self.dismiss_button.setEnabled(group is not None)

    # changes -----------------------------------------------------------------------------
    def find_again(self) -> None:
        if self.session.find_duplicates():
            self.find_button.setEnabled(False)
            self.summary.setText("Looking for duplicates…")

    def _on_found(self, _groups: list) -> None:
        self.find_button.setEnabled(True)
        self.undo.clear()  # a new finding is the new starting point
        self.reload()

    def keep_selected(self) -> None:
        selected = self.members.selectionModel().selectedIndexes()
        if selected:
            self._set_keeper(self.members_model.member(selected[0].row()).item_id)

    def _set_keeper(self, item_id: int | None) -> None:
        group, memory = self.current_group(), self.session.duplicates()
        if group is None or memory is None or group.kind == "variant":
            return
        before = memory.keeper_of(group)
        row = self.groups.currentRow()
        if self.session.duplicate_edit(lambda: memory.choose_keeper(group, item_id)):
            text = "Choose the photo that stays" if item_id is not None else "Let the best match stay"
            self.undo.push(_Change(text, self.session, lambda: memory.choose_keeper(group, item_id),
                                   lambda: memory.choose_keeper(group, before), lambda: self.reload(row)))

    def dismiss_current(self) -> None:
        group, memory = self.current_group(), self.session.duplicates()
        if group is None or memory is None:
            return
        row = self.groups.currentRow()

        def put_back() -> None:
            memory.undismiss(group.item_ids)
            memory.add_group(group)

        if self.session.duplicate_edit(lambda: memory.dismiss(group)):
            self.undo.push(_Change("Mark not duplicates", self.session, lambda: memory.dismiss(group), put_back,
                                   lambda: self.reload(row)))
