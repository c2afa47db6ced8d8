"""List models for the catalog grid and the results grid (plain core data in, Qt roles out)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from core.catalog import inside_catalog, item_key
from core.lists import Entry
from core.similarity import Match
from core.storage import Item
from gui.roles import Roles

AnyIndex = QModelIndex | QPersistentModelIndex

ITEM_IDS_MIME = "application/x-lookalike-item-ids"


def encode_item_ids(ids: Sequence[int]) -> QMimeData:
    """Catalog items being dragged (to add them to a recommendation list)."""
    mime = QMimeData()
    mime.setData(ITEM_IDS_MIME, QByteArray(",".join(str(int(i)) for i in ids).encode()))
    return mime


def decode_item_ids(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(ITEM_IDS_MIME):
        return []
    text = bytes(mime.data(ITEM_IDS_MIME).data()).decode(errors="replace")
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


class _DraggableItems:
    """Rows that can be dragged out as catalog item ids."""

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return encode_item_ids([int(i.data(Roles.ItemIdRole)) for i in indexes if i.isValid()])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class CatalogModel(_DraggableItems, QAbstractListModel):
    """Every catalog item, in path order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Item] = []
        self._catalog = Path()
        self._row_of: dict[int, int] = {}
        self._search_text: list[str] | None = None

    def reset(self, catalog: Path, items: Sequence[Item]) -> None:
        self.beginResetModel()
        self._catalog = catalog
        self._items = list(items)
        self._row_of = {item.id: row for row, item in enumerate(self._items)}
        self._search_text: list[str] | None = None
        self.endResetModel()

    def search_text(self, row: int) -> str:
        """Lower-case name, sku, category and path of a row (built on first use, for filtering)."""
        if self._search_text is None:
            self._search_text = [_search_text(item) for item in self._items]
        return self._search_text[row]

    def item(self, row: int) -> Item:
        return self._items[row]

    def row_of(self, item_id: int) -> int | None:
        return self._row_of.get(item_id)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._items[index.row()]
        return _item_data(item, self._catalog, role)


def _item_data(item: Item, catalog: Path, role: int) -> Any:
    if role == Qt.ItemDataRole.DisplayRole or role == Roles.NameRole:
        return item.title
    if role == Roles.ItemIdRole:
        return item.id
    if role == Roles.PathRole:
        return item.path
    if role == Roles.SkuRole:
        return item.sku
    if role == Roles.CategoryRole:
        return item.category
    if role == Roles.ThumbKeyRole:
        return item_key(item)
    if role == Roles.SourcePathRole:
        source = inside_catalog(catalog, item.path)  # never a file outside the catalog
        return str(source) if source is not None else None
    if role == Roles.MissingRole:
        return item.missing
    if role == Qt.ItemDataRole.ToolTipRole:
        lines = [item.path] + [f"{k}: {v}" for k, v in (("SKU", item.sku), ("Category", item.category)) if v]
        if item.missing is not None:
            lines.append(f"Missing since {item.missing_since}: {item.missing}; kept with its lists (Catalog › Forget Missing Photos)")
        elif item.status == "error":
            lines.append(f"Unreadable: {item.error}")
        return "\n".join(lines)
    return None


def _search_text(item: Item) -> str:
    return " ".join(v for v in (item.name, item.sku, item.category, item.path) if v).lower()


class CatalogFilter(QSortFilterProxyModel):
    """Filters the catalog by words found in name, sku, category or path (all words must match)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if not self._words:
            return True
        text = self.sourceModel().search_text(source_row)
        return all(word in text for word in self._words)


class _ItemRowsModel(_DraggableItems, QAbstractListModel):
    """Rows of (something about an item, the item): `_extra` answers the roles that are not the item's own."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[Any, Item]] = []
        self._catalog = Path()

    def reset(self, catalog: Path, rows: Sequence[tuple[Any, Item]]) -> None:
        self.beginResetModel()
        self._catalog = catalog
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        extra, item = self._rows[index.row()]
        answer = self._extra(extra, role)
        return answer if answer is not None else _item_data(item, self._catalog, role)

    def _extra(self, extra: Any, role: int) -> Any:
        return None


class ResultsModel(_ItemRowsModel):
    """The matches of the current query, best first."""

    def match(self, row: int) -> Match:
        return self._rows[row][0]

    def matches(self) -> list[Match]:
        return [m for m, _ in self._rows]

    def _extra(self, match: Match, role: int) -> Any:
        return match.score if role == Roles.ScoreRole else None


class CuratedListModel(_ItemRowsModel):
    """One product's curated list, in order; drops ask (via a signal) for entries to be placed."""

    drop_requested = Signal(object, int)  # list of item ids, the row to put them at

    def entry(self, row: int) -> Entry:
        return self._rows[row][0]

    def _extra(self, entry: Entry, role: int) -> Any:
        return _score_and_mark(entry.score, entry.pinned, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        return bool(decode_item_ids(data))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        ids = decode_item_ids(data)
        if not ids:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._rows)
        self.drop_requested.emit(ids, row)
        return False  # the list is rebuilt from the store; the view must not remove anything


class DuplicateMembersModel(_ItemRowsModel):
    """The photos of one duplicate group, the member that stays in lists marked as pinned."""

    def member(self, row: int) -> Any:
        return self._rows[row][0][0]

    def _extra(self, extra: Any, role: int) -> Any:
        member, stays = extra
        return _score_and_mark(member.score, stays, role)


def _score_and_mark(score: float | None, marked: bool, role: int) -> Any:
    """A row's score, and the mark the delegate draws for a pinned entry."""
    if role == Roles.ScoreRole:
        return score
    if role == Roles.PinnedRole:
        return marked
    return None

