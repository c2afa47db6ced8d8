"""List models for the catalog grid and the results grid (plain core data in, Qt roles out)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractProxyModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from core.catalog import inside_catalog, item_key
from core.lists import Entry, Products
from core.similarity import Match
from core.storage import Item
from gui.catalog_items import SearchTexts, search_texts
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
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else Qt.ItemFlag.NoItemFlags  # the root is no item

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return encode_item_ids([int(i.data(Roles.ItemIdRole)) for i in indexes if i.isValid()])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class CatalogModel(_DraggableItems, QAbstractListModel):
    """The catalog's products, a row each (its main photo), in path order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Item] = []
        self._catalog = Path()
        self._row_of: dict[int, int] | None = None
        self._search: SearchTexts | None = None
        self._products: Products | None = None
        self._ids: np.ndarray | None = None

    def reset(self, catalog: Path, items: Sequence[Item], search: SearchTexts | None = None, products: Products | None = None) -> None:
        """Show these items, a row each; `search`, if given, is their search texts made already (off the GUI thread).

        With `products` (of which each item is the main photo), a row stands for its product's
        photos: it is found by any of them, counts them, and is searched by their texts.
        """
        self.beginResetModel()
        self._catalog = catalog
        self._items = list(items)
        self._products = products
        self._row_of = None
        self._ids = None
        self._search = search if search is not None and len(search.texts) == len(self._items) else None
        self.endResetModel()

    def search_index_made(self) -> SearchTexts | None:
        """The rows' search texts if they are made already (None: search_index would make them now)."""
        return self._search

    def search_index(self) -> SearchTexts:
        """Every row's search text, in row order (made on first use unless given with the items)."""
        if self._search is None:
            self._search = search_texts(self._items, self._products)
        return self._search

    def item(self, row: int) -> Item:
        return self._items[row]

    def items(self) -> list[Item]:
        """Every row's item, in row order."""
        return self._items

    def item_ids(self) -> np.ndarray:
        """Every row's item id, in row order (int64)."""
        if self._ids is None:
            self._ids = np.fromiter((item.id for item in self._items), np.int64, len(self._items))
        return self._ids

    def photos(self, row: int) -> list[Item]:
        """The photos of the product on `row`, its main photo first."""
        item = self._items[row]
        if self._products is None or item.id not in self._products.by_id:
            return [item]
        return [self._products.by_id[i] for i in self._products.photos_of(item.id)]

    def photo(self, item_id: int) -> Item | None:
        """The photo `item_id`, main or not, of a product shown (None if none has it)."""
        if self._products is not None and item_id in self._products.by_id:
            return self._products.by_id[item_id]
        row = self.row_of(item_id)
        return self._items[row] if row is not None else None

    def row_of(self, item_id: int) -> int | None:
        """The row of the product `item_id` is a photo of (None if it has none)."""
        if self._row_of is None:
            self._row_of = {item.id: row for row, item in enumerate(self._items)}
        row = self._row_of.get(item_id)
        if row is None and self._products is not None and item_id in self._products.by_id:
            row = self._row_of.get(self._products.main(item_id))
        return row

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._items[index.row()]
        if role == Roles.PhotoCountRole:
            return len(self._products.photos_of(item.id)) if self._products is not None and item.id in self._products.by_id else 1
        if role == Qt.ItemDataRole.ToolTipRole:
            photos = self.photos(index.row())
            tip = _item_data(item, self._catalog, role)
            if len(photos) > 1:
                tip += f"\n{len(photos)} photos: " + ", ".join(photo.path for photo in photos)
            return tip
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
    if role == Roles.LinkRole:
        return item.link
    if role == Roles.ThumbKeyRole:
        return item_key(item)
    if role == Roles.SourcePathRole:
        source = inside_catalog(catalog, item.path)  # never a file outside the catalog
        return str(source) if source is not None else None
    if role == Roles.MissingRole:
        return item.missing
    if role == Qt.ItemDataRole.ToolTipRole:
        # The name first: the card cuts a long one short.
        lines = ([item.name] if item.name else []) + [item.path] + [f"{k}: {v}" for k, v in (("SKU", item.sku), ("Category", item.category)) if v]
        if item.missing is not None:
            lines.append(f"Missing since {item.missing_since}: {item.missing}; kept with its lists (Catalog › Forget Missing Photos)")
        elif item.status == "error":
            lines.append(f"Unreadable: {item.error}")
        return "\n".join(lines)
    return None


PREPARE_AFTER_MS = 1000


class CatalogFilter(QAbstractProxyModel):
    """The catalog rows whose name, sku, category or path hold every word typed (all rows with none),
    among the items allowed (`set_allowed`: the review filters and the category chosen; all by default).

    Each word is looked for in all rows' texts at once: the texts joined into one byte array,
    where candidate positions for the word's first byte are narrowed byte by byte with NumPy.
    While the text only grows, only the rows the shorter text kept can still match, and a few of
    them are searched directly. So a keystroke costs tens of milliseconds at a million items,
    where asking Python about each row costs seconds. The source model only ever resets; any
    other change to its rows is taken as a reset too.
    """

    FEW_ROWS = 50_000  # up to this many rows left to search, they are searched one by one (in NumPy)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._words: list[str] = []
        self._rows = np.zeros(0, np.int64)  # the source row of each row shown
        self._shown_at: np.ndarray | None = None  # the row shown for each source row (-1: hidden), made when asked
        self._search: SearchTexts | None = None  # every row's search text, taken on the first search after a reset
        self._allowed: np.ndarray | None = None  # sorted item ids the rows are kept among (None: every item)

    def setSourceModel(self, model: CatalogModel) -> None:  # type: ignore[override]
        self.beginResetModel()
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self.beginResetModel)
        model.modelReset.connect(self._source_reset)
        for signal in (model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self._source_rows_changed)
        model.dataChanged.connect(self._source_data_changed)
        self._source_reset()

    def set_text(self, text: str) -> None:
        text = text.lower()
        words = text.split()
        # Typing on: every word is one typed before, grown, or new, so nothing hidden can match again.
        narrower = bool(self._words) and text.startswith(self._text)
        self.beginResetModel()
        self._text, self._words = text, words
        every = np.arange(self.sourceModel().rowCount(), dtype=np.int64)
        self._rows = self._matching(self._rows if narrower else every)
        self._shown_at = None
        self.endResetModel()

    def set_allowed(self, item_ids: np.ndarray | None) -> None:
        """Keep only the rows of these items (None: every item), the words typed still applying."""
        self.beginResetModel()
        self._allowed = None if item_ids is None else np.unique(np.asarray(item_ids, np.int64))
        self._rows = self._matching(np.arange(self.sourceModel().rowCount(), dtype=np.int64))
        self._shown_at = None
        self.endResetModel()

    def restricted(self) -> bool:
        """Whether rows are kept among some items only (see `set_allowed`)."""
        return self._allowed is not None

    def _matching(self, rows: np.ndarray) -> np.ndarray:
        if self._allowed is not None and len(rows):
            rows = rows[np.isin(self.sourceModel().item_ids()[rows], self._allowed)]
        if not self._words or not len(rows):
            return rows
        search = self.prepare()
        for word in self._words:
            if len(rows) <= self.FEW_ROWS:
                rows = rows[np.strings.find(search.texts[rows], word) >= 0]
            else:
                holding = np.zeros(len(search.starts), bool)
                holding[self._rows_holding(word)] = True
                rows = rows[holding[rows]]
        return rows

    def prepared(self) -> bool:
        """Whether what searching needs is at hand (a keystroke now costs only its search)."""
        return self._search is not None

    def prepare(self) -> SearchTexts:
        """Take what searching needs now rather than at the first keystroke (a second at a million items, unless given)."""
        if self._search is None:
            self._search = self.sourceModel().search_index()
        return self._search

    def _rows_holding(self, word: str) -> np.ndarray:
        """The rows whose text holds `word` somewhere (a row more than once)."""
        search = self.prepare()
        joined, pattern = search.joined, np.frombuffer(word.encode(), np.uint8)
        hits = np.flatnonzero(joined[: len(joined) - len(pattern) + 1] == pattern[0])
        for offset in range(1, len(pattern)):
            hits = hits[joined[hits + offset] == pattern[offset]]
        return np.searchsorted(search.starts, hits, side="right") - 1

    def _source_reset(self) -> None:
        self._search = self.sourceModel().search_index_made()
        self._rows = self._matching(np.arange(self.sourceModel().rowCount(), dtype=np.int64))
        self._shown_at = None
        self.endResetModel()
        if self._search is None:
            QTimer.singleShot(PREPARE_AFTER_MS, self, self.prepare)  # once the grid has shown, before anyone types

    def _source_rows_changed(self, *_: object) -> None:
        self.beginResetModel()
        self._source_reset()

    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Sequence[int] = ()) -> None:
        shown = self._shown()[top_left.row() : bottom_right.row() + 1]
        shown = shown[shown >= 0]
        if len(shown):
            self.dataChanged.emit(self.index(int(shown.min()), 0), self.index(int(shown.max()), 0), roles)

    def _shown(self) -> np.ndarray:
        if self._shown_at is None:
            self._shown_at = np.full(self.sourceModel().rowCount(), -1, np.int64)
            self._shown_at[self._rows] = np.arange(len(self._rows))
        return self._shown_at

    # QAbstractProxyModel ------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1

    def index(self, row: int, column: int = 0, parent: AnyIndex = QModelIndex()) -> QModelIndex:
        if parent.isValid() or column != 0 or not 0 <= row < len(self._rows):
            return QModelIndex()
        return self.createIndex(row, 0)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        return QModelIndex()

    def mapToSource(self, proxy: AnyIndex) -> QModelIndex:
        if not proxy.isValid() or not 0 <= proxy.row() < len(self._rows):
            return QModelIndex()
        return self.sourceModel().index(int(self._rows[proxy.row()]), 0)

    def mapFromSource(self, source: AnyIndex) -> QModelIndex:
        if not source.isValid() or not 0 <= source.row() < len(self._shown()):
            return QModelIndex()
        row = int(self._shown()[source.row()])
        return self.createIndex(row, 0) if row >= 0 else QModelIndex()


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

