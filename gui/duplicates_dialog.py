"""Catalog › Find Duplicates: the groups of copies and colourways side by side, to confirm or dismiss.

A group marked "not duplicates" is remembered (the next finding leaves its photos apart); the
member chosen to stay is the one lists show of its group; a colourway group counts in lists only once
confirmed "same design". Each is undoable here (Ctrl+Z). Below the photos, why the group was made:
the first photo and the one selected (else the second) registered onto each other, their matched
points and the aligned overlay.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut, QUndoCommand, QUndoStack
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

import numpy as np

from core.catalog import catalog_file
from core.common import ImageError
from core.duplicates import DuplicateGroup, photo_evidence
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
        self.design_button = QPushButton("Same Design")
        self.design_button.setCheckable(True)
        self.design_button.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.dismiss_button = QPushButton("Not Duplicates")
        self.dismiss_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.undo_button = QPushButton("Undo")
        self.close_button = QPushButton("Close")
        QShortcut(QKeySequence.StandardKey.Undo, self, self.undo.undo)
        QShortcut(QKeySequence.StandardKey.Redo, self, self.undo.redo)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why_matches, self.why_overlay = QLabel(), QLabel()
        self.why_matches.setToolTip("The matched points: each line joins two points one map carries onto each other")
        self.why_overlay.setToolTip("The second photo moved onto the first: red off, yellow under an overlay, blue another colour")

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_kind)
        top.addWidget(self.find_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.members, 1)
        right_layout.addWidget(self.hint)
        pictures = QHBoxLayout()
        pictures.addWidget(self.why_matches)
        pictures.addWidget(self.why_overlay)
        pictures.addStretch(1)
        right_layout.addLayout(pictures)
        right_layout.addWidget(self.why)
        split = QSplitter()
        split.addWidget(self.groups)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        buttons = QHBoxLayout()
        for button in (self.keep_button, self.best_button, self.design_button, self.dismiss_button, self.undo_button):
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
        self.members.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.keep_button.clicked.connect(self.keep_selected)
        self.best_button.clicked.connect(lambda: self._set_keeper(None))
        self.dismiss_button.clicked.connect(self.dismiss_current)
        self.design_button.clicked.connect(self.confirm_current)
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
            self.summary.setText(f"{len(groups):,} groups ({parts}). Lists keep each group's copies apart, "
                                 "and colour variants once you confirm them.")
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
        if group.kind == "variant" and memory.is_confirmed(group):
            self.hint.setText("Confirmed one design in other colours: a product's list leaves out its own colourways "
                              "and shows one of any other design (unless the rules include colourways).")
        elif group.kind == "variant":
            self.hint.setText("Looks like one design in other colours. Lists show these products as they come until "
                              "you confirm it: Same Design.")
        elif keeper is None:
            self.hint.setText("One photo: a list shows at most one of them, the best match. Choose one to show instead.")
        else:
            self.hint.setText("One photo: lists show only the one marked, wherever a member of the group would be.")
        self._update_buttons()
        self._show_why()

    def _selection_changed(self) -> None:
        self._update_buttons()
        self._show_why()

    def _update_buttons(self) -> None:
        group, memory = self.current_group(), self.session.duplicates()
        photo_group = group is not None and group.kind != "variant"
        self.keep_button.setEnabled(photo_group and bool(self.members.selectionModel().selectedIndexes()))
        self.best_button.setEnabled(photo_group)
        self.dismiss_button.setEnabled(group is not None)
        variant = group is not None and group.kind == "variant"
        self.design_button.setEnabled(variant)
        self.design_button.setChecked(variant and memory is not None and memory.is_confirmed(group))

    def _show_why(self) -> None:
        """The group's first photo and the selected one (else its second) registered: matched points and overlay."""
        group, ws = self.current_group(), self.session.ws
        self.why_matches.clear()
        self.why_overlay.clear()
        if group is None or ws is None or group.kind == "exact":
            self.why.setText("The same bytes: the files are copies." if group is not None else "")
            return
        selected = self.members.selectionModel().selectedIndexes()
        first = group.members[0]
        other = self.members_model.member(selected[0].row()) if selected else group.members[1]
        if other.item_id == first.item_id:
            other = group.members[1]
        try:
            found = photo_evidence(catalog_file(ws.catalog, first.path), catalog_file(ws.catalog, other.path))
        except (ImageError, OSError) as exc:
            self.why.setText(f"Why: the photos cannot be read now ({exc}).")
            return
        self.why.setText(f"Why, {first.sku or first.path} and {other.sku or other.path}: {found.summary}")
        self.why_matches.setPixmap(_pixmap(found.matches, 150))
        self.why_overlay.setPixmap(_pixmap(found.overlay, 150))

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

    def confirm_current(self) -> None:
        """Same Design: confirm the colourway group (lists then keep it apart), or take that back."""
        group, memory = self.current_group(), self.session.duplicates()
        if group is None or memory is None or group.kind != "variant":
            return
        row = self.groups.currentRow()
        if memory.is_confirmed(group):
            do, undo, text = (lambda: memory.unconfirm(group.item_ids)), (lambda: memory.confirm(group)), "Take back same design"
        else:
            do, undo, text = (lambda: memory.confirm(group)), (lambda: memory.unconfirm(group.item_ids)), "Confirm same design"
        if self.session.duplicate_edit(do):
            self.undo.push(_Change(text, self.session, do, undo, lambda: self.reload(row)))
        else:
            self._update_buttons()

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


def _pixmap(pixels: np.ndarray, height: int) -> QPixmap:
    """An RGB array as a pixmap `height` pixels high."""
    pixels = np.ascontiguousarray(pixels)
    image = QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy()).scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
