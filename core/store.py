"""The workspace database (SQLite): items, their embeddings, and facts about the index.

Every change is one transaction, so a crash leaves the last committed state. Embeddings are
kept as float32 blobs tagged with the id of the model that made them.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence

import numpy as np

from core.errors import CatalogError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL UNIQUE,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    hash      TEXT,
    status    TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')),
    error     TEXT,
    sku       TEXT,
    name      TEXT,
    category  TEXT,
    link      TEXT,
    attrs     TEXT
);
CREATE INDEX IF NOT EXISTS items_sku ON items(sku);
CREATE TABLE IF NOT EXISTS embeddings (
    item_id   INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    model_id  TEXT NOT NULL,
    vector    BLOB NOT NULL,
    colour    BLOB
);
CREATE TABLE IF NOT EXISTS index_map (
    position  INTEGER PRIMARY KEY,
    item_id   INTEGER NOT NULL
);
-- Items embedded since the Annoy index was built: searched exactly until the next rebuild.
CREATE TABLE IF NOT EXISTS index_pending (
    item_id   INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS history (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('item', 'image')),
    ref       TEXT NOT NULL,
    label     TEXT NOT NULL,
    created   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (kind, ref)
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Item:
    """One catalog photo as the workspace knows it."""

    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    error: str | None = None
    sku: str | None = None
    name: str | None = None
    category: str | None = None
    link: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """What the merchandiser calls it: the product's name, else its photo's file name."""
        return self.name or PurePosixPath(self.path).name


@dataclass(frozen=True)
class HistoryEntry:
    """A past query: kind 'item' (ref is the item id) or 'image' (ref is a saved photo's path)."""

    kind: str
    ref: str
    label: str
    created: str


_ITEM_COLUMNS = "id, path, size, mtime_ns, hash, status, error, sku, name, category, link, attrs"


def _colour_matrix(blobs: Sequence[bytes | None], dims: int) -> np.ndarray | None:
    """(N, dims) float32 colour descriptors from their blobs; None if any is missing or of another size."""
    if any(blob is None or len(blob) != 4 * dims for blob in blobs):
        return None
    return np.frombuffer(b"".join(blobs), np.float32).reshape(len(blobs), dims)  # type: ignore[arg-type]


def _item(row: Sequence) -> Item:
    return Item(*row[:11], attrs=json.loads(row[11]) if row[11] else {})


class CatalogStore:
    """The SQLite file of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            with self._db:
                self._db.executescript(_SCHEMA)
                version = self.get_meta("schema_version")
                if version is None:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                elif int(version) > SCHEMA_VERSION:
                    raise CatalogError(f"workspace {self.path.parent} was made by a newer Lookalike")
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"workspace database is unreadable: {self.path} ({exc})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "CatalogStore":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # items -----------------------------------------------------------------------------
    def items(self, status: str | None = None) -> list[Item]:
        sql = f"SELECT {_ITEM_COLUMNS} FROM items"
        args: tuple = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        return [_item(row) for row in self._db.execute(sql + " ORDER BY path", args)]

    def item(self, item_id: int) -> Item | None:
        row = self._db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        return _item(row) if row else None

    def item_by_path(self, path: str) -> Item | None:
        row = self._db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE path = ?", (path,)).fetchone()
        return _item(row) if row else None

    def items_by_id(self, ids: Iterable[int]) -> dict[int, Item]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id IN ({marks})", chunk):
                found[row[0]] = _item(row)
        return found

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM items WHERE status = ?", (status,)).fetchone()[0]

    def add_items(self, rows: Iterable[tuple[str, int, int, str | None]]) -> None:
        """Insert new (path, size, mtime_ns, hash) items as pending."""
        with self._db:
            self._db.executemany(
                "INSERT INTO items (path, size, mtime_ns, hash, status) VALUES (?, ?, ?, ?, 'pending')", rows
            )

    def update_files(self, rows: Iterable[tuple[int, int, int, str | None, bool]]) -> None:
        """Record (id, size, mtime_ns, hash, content_changed); changed content goes back to pending."""
        with self._db:
            for item_id, size, mtime_ns, digest, changed in rows:
                if changed:
                    self._db.execute(
                        "UPDATE items SET size=?, mtime_ns=?, hash=?, status='pending', error=NULL WHERE id=?",
                        (size, mtime_ns, digest, item_id),
                    )
                    self._db.execute("DELETE FROM embeddings WHERE item_id = ?", (item_id,))
                else:
                    self._db.execute("UPDATE items SET size=?, mtime_ns=?, hash=? WHERE id=?", (size, mtime_ns, digest, item_id))

    def remove_items(self, ids: Iterable[int]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM items WHERE id = ?", ((int(i),) for i in ids))

    def mark_errors(self, rows: Iterable[tuple[int, str]]) -> None:
        """Record (id, reason) for files that could not be decoded."""
        rows = list(rows)
        with self._db:
            self._db.executemany("UPDATE items SET status='error', error=? WHERE id=?", ((r, i) for i, r in rows))
            self._db.executemany("DELETE FROM embeddings WHERE item_id = ?", ((i,) for i, _ in rows))

    def set_metadata(self, rows: Iterable[tuple[int, dict[str, str | None]]]) -> None:
        """Set sku/name/category/link and extra attributes from an imported product list."""
        with self._db:
            for item_id, fields in rows:
                extra = {k: v for k, v in fields.items() if k not in ("sku", "name", "category", "link") and v}
                self._db.execute(
                    "UPDATE items SET sku=?, name=?, category=?, link=?, attrs=? WHERE id=?",
                    (
                        fields.get("sku") or None,
                        fields.get("name") or None,
                        fields.get("category") or None,
                        fields.get("link") or None,
                        json.dumps(extra, ensure_ascii=False) if extra else None,
                        item_id,
                    ),
                )

    # embeddings ------------------------------------------------------------------------
    def save_embeddings(
        self,
        model_id: str,
        ids: Sequence[int],
        vectors: np.ndarray,
        errors: Sequence[tuple[int, str]] = (),
        digests: Sequence[tuple[int, str | None]] = (),
        colours: np.ndarray | None = None,
    ) -> None:
        """Store one batch's embeddings (and colour descriptors), content hashes and decode failures in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        colour_blobs = [None] * len(ids) if colours is None else [c.tobytes() for c in np.asarray(colours, np.float32)]
        with self._db:
            self._db.executemany("UPDATE items SET hash=? WHERE id=?", ((d, i) for i, d in digests if d))
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (item_id, model_id, vector, colour) VALUES (?, ?, ?, ?)",
                ((int(i), model_id, v.tobytes(), c) for i, v, c in zip(ids, vectors, colour_blobs)),
            )
            self._db.executemany("UPDATE items SET status='ok', error=NULL WHERE id=?", ((int(i),) for i in ids))
            self._db.executemany("UPDATE items SET status='error', error=? WHERE id=?", ((r, i) for i, r in errors))

    def ids_needing_embedding(self, model_id: str) -> list[int]:
        """Items with no embedding from this model that are not known-bad for unchanged content."""
        rows = self._db.execute(
            """SELECT items.id FROM items LEFT JOIN embeddings ON embeddings.item_id = items.id
               WHERE items.status != 'error' AND (embeddings.model_id IS NULL OR embeddings.model_id != ?)
               ORDER BY items.path""",
            (model_id,),
        )
        return [row[0] for row in rows]

    def embeddings(self, model_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64, vectors float32 (N,D)) of every ok item embedded by this model."""
        ids: list[int] = []
        blobs: list[bytes] = []
        for item_id, blob in self._db.execute(
            "SELECT item_id, vector FROM embeddings JOIN items ON items.id = item_id "
            "WHERE model_id = ? AND items.status = 'ok' ORDER BY item_id",
            (model_id,),
        ):
            ids.append(item_id)
            blobs.append(blob)
        if not blobs:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        return np.asarray(ids, np.int64), np.frombuffer(b"".join(blobs), np.float32).reshape(len(ids), -1)

    def colours(self, model_id: str, dims: int) -> np.ndarray | None:
        """(N, dims) colour descriptors in the same order as `embeddings(model_id)`; None if any is missing."""
        rows = self._db.execute(
            "SELECT colour FROM embeddings JOIN items ON items.id = item_id "
            "WHERE model_id = ? AND items.status = 'ok' ORDER BY item_id",
            (model_id,),
        ).fetchall()
        return _colour_matrix([blob for (blob,) in rows], dims)

    def embedding(self, item_id: int, model_id: str) -> np.ndarray | None:
        row = self._db.execute(
            "SELECT vector FROM embeddings WHERE item_id = ? AND model_id = ?", (item_id, model_id)
        ).fetchone()
        return np.frombuffer(row[0], np.float32).copy() if row else None

    # index ---------------------------------------------------------------------------
    def save_index_map(self, ids: Sequence[int], facts: dict[str, str]) -> None:
        """Record which item each index position holds, with facts about the build, in one transaction."""
        with self._db:
            self._db.execute("DELETE FROM index_map")
            self._db.execute("DELETE FROM index_pending")
            self._db.executemany("INSERT INTO index_map VALUES (?, ?)", enumerate(int(i) for i in ids))
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", facts.items())

    def add_pending(self, ids: Iterable[int], facts: dict[str, str]) -> None:
        """Record items embedded since the index was built (searched exactly until the next build)."""
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO index_pending VALUES (?)", ((int(i),) for i in ids))
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", facts.items())

    def pending(self, model_id: str, colour_dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(ids, vectors, colours or None) of the ok items embedded since the index was built."""
        rows = self._db.execute(
            "SELECT index_pending.item_id, vector, colour FROM index_pending JOIN embeddings USING (item_id) "
            "JOIN items ON items.id = index_pending.item_id WHERE model_id = ? AND items.status = 'ok' "
            "ORDER BY index_pending.item_id",
            (model_id,),
        ).fetchall()
        ids = np.asarray([r[0] for r in rows], np.int64)
        if not rows:
            return ids, np.zeros((0, 0), np.float32), np.zeros((0, colour_dims), np.float32)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
        return ids, vectors, _colour_matrix([r[2] for r in rows], colour_dims)

    def index_count(self) -> int:
        """How many positions the Annoy index on disk holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM index_map").fetchone()[0])

    def pending_ids(self) -> set[int]:
        return {row[0] for row in self._db.execute("SELECT item_id FROM index_pending")}

    def lost_positions(self) -> int:
        """Index positions whose item has since failed to decode or gone from the catalog."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM index_map LEFT JOIN items ON items.id = index_map.item_id "
            "WHERE items.id IS NULL OR items.status != 'ok'"
        ).fetchone()
        return int(row[0])

    def index_map(self) -> np.ndarray:
        """Item id at each index position."""
        rows = self._db.execute("SELECT item_id FROM index_map ORDER BY position").fetchall()
        return np.asarray([r[0] for r in rows], np.int64)

    # query history -------------------------------------------------------------------
    def add_history(self, kind: str, ref: str, label: str, keep: int = 50) -> None:
        """Remember a query (an item id or a saved image path) as the newest; keep the last `keep`."""
        with self._db:
            self._db.execute("DELETE FROM history WHERE kind = ? AND ref = ?", (kind, ref))
            self._db.execute("INSERT INTO history (kind, ref, label) VALUES (?, ?, ?)", (kind, ref, label))
            self._db.execute(
                "DELETE FROM history WHERE id NOT IN (SELECT id FROM history ORDER BY id DESC LIMIT ?)", (keep,)
            )

    def history(self, limit: int = 50) -> list[HistoryEntry]:
        """Recent queries, newest first."""
        rows = self._db.execute("SELECT kind, ref, label, created FROM history ORDER BY id DESC LIMIT ?", (limit,))
        return [HistoryEntry(*row) for row in rows]

    # for modules that keep their own tables in this database (curation) ----------------
    def ensure_tables(self, schema: str) -> None:
        with self._db:
            self._db.executescript(schema)

    def query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        return self._db.execute(sql, args).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all."""
        with self._db:
            yield self._db

    # facts -----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, values: dict[str, str]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def iter_paths(self) -> Iterator[tuple[int, str, int, int, str | None, str]]:
        """(id, path, size, mtime_ns, hash, status) for change detection."""
        yield from self._db.execute("SELECT id, path, size, mtime_ns, hash, status FROM items")
