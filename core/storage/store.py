"""The workspace database (SQLite): items, their embeddings, and facts about the index.

Every change is one transaction (`CatalogStore.transaction`), so a crash leaves the last
committed state; each commit is a fault point (core.common.faults). Embeddings are kept as float32
blobs tagged with the id of the model that made them. An item whose photo has gone from the
catalog folder is kept as missing, with its lists, until the user forgets it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence

import numpy as np

from core.common import CatalogError, LookalikeError, OutputError, faults

# 2: items that went missing are kept (missing_since, missing), the index state is sealed
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL UNIQUE,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    ctime_ns  INTEGER,   -- the file's status change time (changes with every write); NULL: not known yet
    inode     INTEGER,   -- the file's inode number; NULL: not known yet
    hash      TEXT,
    status    TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')),
    error     TEXT,
    sku       TEXT,
    name      TEXT,
    category  TEXT,
    link      TEXT,
    attrs     TEXT,
    missing_since TEXT,  -- when the photo was last found gone; NULL while it is there
    missing   TEXT       -- why it is missing ("file not found", "folder ... could not be read")
);
CREATE INDEX IF NOT EXISTS items_sku ON items(sku);
-- One row per item and model: while a new model is being put to use, the embeddings of the
-- model in use stay, so the index in use can still be rebuilt from them (see core.storage.index_state).
CREATE TABLE IF NOT EXISTS embeddings (
    item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    model_id  TEXT NOT NULL,
    vector    BLOB NOT NULL,
    colour    BLOB,
    frame     BLOB,  -- the photo's frame print (core.catalog.frame_print); NULL when embedded by an older version
    PRIMARY KEY (item_id, model_id)
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
    missing: str | None = None  # why its photo is not in the catalog folder now (None: it is)
    missing_since: str | None = None

    @property
    def searchable(self) -> bool:
        """Embedded and there: what search, lists and exports may show."""
        return self.status == "ok" and self.missing is None

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


_ITEM_COLUMNS = "id, path, size, mtime_ns, hash, status, error, sku, name, category, link, attrs, missing, missing_since"
# The items search, lists and exports may show (see Item.searchable).
SEARCHABLE = "items.status = 'ok' AND items.missing IS NULL"
# Columns added since version 1, readable by older versions as they are (they name the columns they use).
_MISSING_COLUMNS = (("missing_since", "TEXT"), ("missing", "TEXT"), ("ctime_ns", "INTEGER"), ("inode", "INTEGER"))


def _colour_matrix(blobs: Sequence[bytes | None], dims: int) -> np.ndarray | None:
    """(N, dims) float32 colour descriptors from their blobs; None if any is missing or of another size."""
    if any(blob is None or len(blob) != 4 * dims for blob in blobs):
        return None
    return np.frombuffer(b"".join(blobs), np.float32).reshape(len(blobs), dims)  # type: ignore[arg-type]


def _item(row: Sequence) -> Item:
    return Item(*row[:11], attrs=json.loads(row[11]) if row[11] else {}, missing=row[12], missing_since=row[13])


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _nearly_full(path: Path, slack: int = 1 << 20) -> bool:
    """Whether the file system holding `path` has (almost) no room left."""
    try:
        return shutil.disk_usage(path.parent).free < slack
    except OSError:
        return False


class DatabaseDamaged(CatalogError):
    """The workspace database cannot be read as a database (a disk error, a bad copy)."""

    def __init__(self, path: Path, reason: object) -> None:
        super().__init__(f"the workspace database is damaged: {path} ({reason})")
        self.path = Path(path)
        self.reason = str(reason)


def check_in_words(rows: Sequence[tuple]) -> str | None:
    """SQLite's quick_check answer in one line: None when sound, else its first complaint and how many more."""
    lines = [line for row in rows for line in str(row[0]).splitlines() if line.strip() and not line.startswith("***")]
    if not lines:
        return "no answer" if not rows else None
    if lines == ["ok"]:
        return None
    more = f", and {len(lines) - 1} more problems" if len(lines) > 1 else ""
    return f"{lines[0][:120]}{more}"


_DISK_WORDS = (
    ("database or disk is full", "the disk is full"),
    ("disk i/o error", "the disk reported an input/output error"),
    ("attempt to write a readonly database", "the workspace is read-only"),
    ("readonly database", "the workspace is read-only"),
    ("unable to open database file", "the workspace database cannot be opened"),
)


def _write_failure(path: Path, exc: sqlite3.Error) -> LookalikeError:
    """A failed write in words: a full disk and friends as OutputError, a damaged file as DatabaseDamaged."""
    text = str(exc).lower()
    if "disk i/o error" in text and _nearly_full(path):
        text = "database or disk is full"  # SQLite often meets a full disk while mapping its WAL index: an I/O error
    for mark, words in _DISK_WORDS:
        if mark in text:
            return OutputError(f"cannot save to {path}: {words}; the last saved state is kept")
    if "locked" in text or "busy" in text:
        return CatalogError(f"the workspace {path.parent} is busy with another Lookalike; try again when it has finished")
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return DatabaseDamaged(path, exc)
    return CatalogError(f"workspace database error in {path}: {exc}")



class CatalogStore:
    """The SQLite file of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.is_symlink():
            raise CatalogError(f"the workspace database {self.path} is a link; Lookalike keeps its database in the workspace itself")
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self._depth = 0  # transactions open on this connection (see `transaction`)
        except sqlite3.Error as exc:
            raise _write_failure(self.path, exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._schema_version()
            if version > SCHEMA_VERSION:
                raise CatalogError(
                    f"the workspace {self.path.parent} was made by a newer Lookalike (database version {version}; "
                    f"this one reads {SCHEMA_VERSION} and older): update Lookalike to open it"
                )
            with self._db:
                self._db.executescript(_SCHEMA)
                self._migrate(version)
        except CatalogError:
            self._db.close()
            raise
        except sqlite3.OperationalError as exc:
            self._db.close()
            raise _write_failure(self.path, exc) from None
        except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
            self._db.close()
            raise DatabaseDamaged(self.path, exc) from None

    def _schema_version(self) -> int:
        """The version the file was written with (0 for a new file)."""
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
            return 0
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            return int(row[0]) if row else 0
        except ValueError:
            raise DatabaseDamaged(self.path, f"schema version {row[0]!r}") from None

    def _migrate(self, version: int) -> None:
        """Bring an older file up to this version, inside the opening transaction."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(items)")}
        for name, kind in _MISSING_COLUMNS:
            if name not in present:
                self._db.execute(f"ALTER TABLE items ADD COLUMN {name} {kind}")
        keys = [row[1] for row in self._db.execute("PRAGMA table_info(embeddings)") if row[5]]
        if keys == ["item_id"]:  # version 1: one embedding per item; nothing refers to this table, so it is rebuilt
            self._db.executescript(
                """
                ALTER TABLE embeddings RENAME TO embeddings_v1;
                CREATE TABLE embeddings (
                    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE, model_id TEXT NOT NULL,
                    vector BLOB NOT NULL, colour BLOB, PRIMARY KEY (item_id, model_id));
                INSERT INTO embeddings SELECT item_id, model_id, vector, colour FROM embeddings_v1;
                DROP TABLE embeddings_v1;
                """
            )
        if "frame" not in {row[1] for row in self._db.execute("PRAGMA table_info(embeddings)")}:
            self._db.execute("ALTER TABLE embeddings ADD COLUMN frame BLOB")  # readable by older versions as it is
        if version != SCHEMA_VERSION:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "CatalogStore":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # transactions ------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, label: str = "write") -> Iterator[sqlite3.Connection]:
        """All statements inside, reads included, commit together or not at all.

        The transaction takes the database's write lock when it begins (BEGIN IMMEDIATE), so
        what it reads is what it changes: no other window or run commits in between, and a
        read-modify-write never writes back a stale copy. A transaction opened inside another
        is part of it. The commit is a fault point (before and after), and a write the disk
        refuses (full, read-only, failing) comes out as one OutputError in words, the last
        commit kept.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self._db
            finally:
                self._depth -= 1
            return
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield self._db
                finally:
                    self._depth = 0
                faults.point(f"db:{label}:commit")
            faults.point(f"db:{label}:committed")
        except OSError as exc:  # a full disk at a fault point, as SQLite would report it
            raise _write_failure(self.path, sqlite3.OperationalError("database or disk is full")) from exc
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a mistake in the statements, not the disk's
        except sqlite3.Error as exc:
            raise _write_failure(self.path, exc) from None

    def query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            raise _write_failure(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise DatabaseDamaged(self.path, exc) from None

    def ensure_tables(self, schema: str) -> None:
        """For modules that keep their own tables in this database (curation)."""
        with self.transaction("schema") as db:
            db.executescript(schema)

    def backup_to(self, target: Path) -> None:
        """Copy the whole database, as committed now, to `target` (SQLite's online backup; writers may go on)."""
        faults.point(f"db:backup:{target.name}")
        try:
            copy = sqlite3.connect(str(target))
            try:
                self._db.backup(copy)
                # One self-contained file: in WAL mode every reader of the copy would leave -wal and -shm beside it.
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
        except sqlite3.Error as exc:
            raise _write_failure(target, exc) from None

    def data_version(self) -> int:
        """A number that changes when another connection (another window, a command-line run) commits."""
        return int(self.query("PRAGMA data_version")[0][0])

    def integrity_problem(self) -> str | None:
        """None if SQLite's own check finds the file sound, else its first complaint."""
        try:
            rows = self._db.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return check_in_words(rows)

    # items -------------------------------------------------------------------------------
    def items(self, status: str | None = None, limit: int | None = None) -> list[Item]:
        """Items in path order (with `limit`, only the first so many)."""
        sql = f"SELECT {_ITEM_COLUMNS} FROM items"
        args: tuple = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        sql += " ORDER BY path"
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        return [_item(row) for row in self.query(sql, args)]

    def missing_items(self) -> list[Item]:
        """Items whose photos have gone from the catalog folder, kept with their lists until forgotten."""
        return [_item(row) for row in self.query(f"SELECT {_ITEM_COLUMNS} FROM items WHERE missing IS NOT NULL ORDER BY path")]

    def item(self, item_id: int) -> Item | None:
        rows = self.query(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
        return _item(rows[0]) if rows else None

    def item_by_path(self, path: str) -> Item | None:
        rows = self.query(f"SELECT {_ITEM_COLUMNS} FROM items WHERE path = ?", (path,))
        return _item(rows[0]) if rows else None

    def items_by_id(self, ids: Iterable[int]) -> dict[int, Item]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id IN ({marks})", chunk):
                found[row[0]] = _item(row)
        return found

    def searchable_ids(self) -> np.ndarray:
        """Ids of the items search may show (embedded and there)."""
        return np.array([row[0] for row in self.query(f"SELECT id FROM items WHERE {SEARCHABLE}")], np.int64)

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.query("SELECT COUNT(*) FROM items")[0][0]
        return self.query("SELECT COUNT(*) FROM items WHERE status = ?", (status,))[0][0]

    def sync_files(
        self,
        new: Iterable[tuple[str, int, int, int | None, int | None, str | None]],
        updates: Iterable[tuple[int, int, int, int | None, int | None, str | None, bool]],
        moves: Iterable[tuple[int, str, int, int, int | None, int | None, str | None]],
        present: Iterable[int],
        missing: Iterable[tuple[int, str]],
        errors: Iterable[tuple[str, str]],
    ) -> None:
        """Record what a scan found, in one transaction.

        A file is stamped by (size, mtime_ns, ctime_ns, inode); a stamp of None is not known.
        `new`: (path, *stamp, hash) items to add as pending; `updates`: (id, *stamp, hash,
        content_changed) — changed content goes back to pending; `moves`: (id, new path, *stamp,
        hash or None to keep it) for a missing photo found again elsewhere; `present`: ids
        found in place (no longer missing); `missing`: (id, reason) for photos not found;
        `errors`: (path, reason) for files named as photos that are not readable ones.
        """
        when = now_utc()
        with self.transaction("scan") as db:
            db.executemany(
                "UPDATE items SET path=?, size=?, mtime_ns=?, ctime_ns=?, inode=?, hash=COALESCE(?, hash), "
                "missing=NULL, missing_since=NULL WHERE id=?",
                ((path, size, mtime, ctime, inode, digest, item_id) for item_id, path, size, mtime, ctime, inode, digest in moves),
            )
            db.executemany(
                "INSERT INTO items (path, size, mtime_ns, ctime_ns, inode, hash, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')", new
            )
            for item_id, size, mtime_ns, ctime_ns, inode, digest, changed in updates:
                stamp = (size, mtime_ns, ctime_ns, inode, digest, item_id)
                if changed:
                    db.execute(
                        "UPDATE items SET size=?, mtime_ns=?, ctime_ns=?, inode=?, hash=?, status='pending', error=NULL WHERE id=?", stamp
                    )
                    db.execute("DELETE FROM embeddings WHERE item_id = ?", (item_id,))
                else:
                    db.execute("UPDATE items SET size=?, mtime_ns=?, ctime_ns=?, inode=?, hash=? WHERE id=?", stamp)
            db.executemany("UPDATE items SET missing=NULL, missing_since=NULL WHERE id=? AND missing IS NOT NULL",
                           ((int(i),) for i in present))
            db.executemany("UPDATE items SET missing=?, missing_since=COALESCE(missing_since, ?) WHERE id=?",
                           ((reason, when, int(item_id)) for item_id, reason in missing))
            for path, reason in errors:
                db.execute("UPDATE items SET status='error', error=? WHERE path=?", (reason, path))
                db.execute("DELETE FROM embeddings WHERE item_id = (SELECT id FROM items WHERE path = ?)", (path,))

    def add_items(self, rows: Iterable[tuple[str, int, int, str | None]]) -> None:
        """Insert new (path, size, mtime_ns, hash) items as pending (ctime and inode not known: hashed at the next scan)."""
        self.sync_files(((path, size, mtime, None, None, digest) for path, size, mtime, digest in rows), (), (), (), (), ())

    def update_files(self, rows: Iterable[tuple[int, int, int, str | None, bool]]) -> None:
        """Record (id, size, mtime_ns, hash, content_changed); changed content goes back to pending."""
        self.sync_files((), ((i, size, mtime, None, None, digest, changed) for i, size, mtime, digest, changed in rows), (), (), (), ())

    def forget_missing(self) -> tuple[int, int]:
        """Remove the missing items with their embeddings and lists; returns (items, lists) removed."""
        with self.transaction("forget") as db:
            lists = 0
            if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='lists'").fetchone():
                lists = db.execute("SELECT COUNT(*) FROM lists JOIN items ON items.id = lists.item_id WHERE items.missing IS NOT NULL").fetchone()[0]
            removed = db.execute("DELETE FROM items WHERE missing IS NOT NULL").rowcount
        return int(removed), int(lists)

    def remove_items(self, ids: Iterable[int]) -> None:
        with self.transaction("remove") as db:
            db.executemany("DELETE FROM items WHERE id = ?", ((int(i),) for i in ids))

    def mark_errors(self, rows: Iterable[tuple[int, str]]) -> None:
        """Record (id, reason) for files that could not be decoded."""
        rows = list(rows)
        with self.transaction("errors") as db:
            db.executemany("UPDATE items SET status='error', error=? WHERE id=?", ((r, i) for i, r in rows))
            db.executemany("DELETE FROM embeddings WHERE item_id = ?", ((i,) for i, _ in rows))

    def set_metadata(self, rows: Iterable[tuple[int, dict[str, str | None]]], columns: Iterable[str] | None = None) -> None:
        """Set product details from an imported product list: only the `columns` it has (default: all).

        sku/name/category/link are columns of their own; any other column is an extra attribute,
        replaced where the list has it and kept where it does not.
        """
        wanted = None if columns is None else set(columns)
        known = [c for c in ("sku", "name", "category", "link") if wanted is None or c in wanted]
        with self.transaction("metadata") as db:
            for item_id, fields in rows:
                values = [fields.get(c) or None for c in known]
                extra = {k: v for k, v in fields.items() if k not in ("sku", "name", "category", "link")}
                if wanted is None:
                    attrs = {k: v for k, v in extra.items() if v}
                else:
                    (old,) = db.execute("SELECT attrs FROM items WHERE id = ?", (item_id,)).fetchone() or (None,)
                    attrs = json.loads(old) if old else {}
                    attrs.update(extra)
                    attrs = {k: v for k, v in attrs.items() if v}
                assignments = ", ".join(f"{c}=?" for c in known + ["attrs"])
                db.execute(
                    f"UPDATE items SET {assignments} WHERE id=?",
                    (*values, json.dumps(attrs, ensure_ascii=False) if attrs else None, item_id),
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
        frames: np.ndarray | None = None,
    ) -> None:
        """Store one batch's embeddings (with colour descriptors and frame prints), content hashes and decode
        failures in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        colour_blobs = [None] * len(ids) if colours is None else [c.tobytes() for c in np.asarray(colours, np.float32)]
        frame_blobs = [None] * len(ids) if frames is None else [f.tobytes() for f in np.asarray(frames, np.uint8)]
        with self.transaction("embeddings") as db:
            db.executemany("UPDATE items SET hash=? WHERE id=?", ((d, i) for i, d in digests if d))
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (item_id, model_id, vector, colour, frame) VALUES (?, ?, ?, ?, ?)",
                ((int(i), model_id, v.tobytes(), c, f) for i, v, c, f in zip(ids, vectors, colour_blobs, frame_blobs)),
            )
            db.executemany("UPDATE items SET status='ok', error=NULL WHERE id=?", ((int(i),) for i in ids))
            db.executemany("UPDATE items SET status='error', error=? WHERE id=?", ((r, i) for i, r in errors))
            db.executemany("DELETE FROM embeddings WHERE item_id = ?", ((int(i),) for i, _ in errors))

    def ids_needing_embedding(self, model_id: str) -> list[int]:
        """Items there to read with no embedding from this model, and not known-bad for unchanged content."""
        rows = self.query(
            """SELECT items.id FROM items LEFT JOIN embeddings ON embeddings.item_id = items.id AND embeddings.model_id = ?
               WHERE items.status != 'error' AND items.missing IS NULL AND embeddings.item_id IS NULL
               ORDER BY items.path""",
            (model_id,),
        )
        return [row[0] for row in rows]

    def embeddings(self, model_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64, vectors float32 (N,D)) of every searchable item embedded by this model."""
        rows = self.query(
            f"SELECT item_id, vector FROM embeddings JOIN items ON items.id = item_id "
            f"WHERE model_id = ? AND {SEARCHABLE} ORDER BY item_id",
            (model_id,),
        )
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        ids = np.asarray([r[0] for r in rows], np.int64)
        return ids, np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(ids), -1)

    def colours(self, model_id: str, dims: int) -> np.ndarray | None:
        """(N, dims) colour descriptors in the same order as `embeddings(model_id)`; None if any is missing."""
        rows = self.query(
            f"SELECT colour FROM embeddings JOIN items ON items.id = item_id "
            f"WHERE model_id = ? AND {SEARCHABLE} ORDER BY item_id",
            (model_id,),
        )
        return _colour_matrix([blob for (blob,) in rows], dims)

    def frames(self, model_id: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(prints (N, size, size) uint8, known (N,) bool) in the same order as `embeddings(model_id)`.

        A photo embedded before frame prints were kept (or with a print of another size) is not known; its row is white.
        """
        rows = self.query(
            f"SELECT frame FROM embeddings JOIN items ON items.id = item_id WHERE model_id = ? AND {SEARCHABLE} ORDER BY item_id",
            (model_id,),
        )
        prints = np.full((len(rows), size, size), 255, np.uint8)
        known = np.zeros(len(rows), bool)
        for row, (blob,) in enumerate(rows):
            if blob is not None and len(blob) == size * size:
                prints[row] = np.frombuffer(blob, np.uint8).reshape(size, size)
                known[row] = True
        return prints, known

    def without_frames(self, model_id: str) -> list[tuple[int, str]]:
        """(item id, path) of the searchable items embedded by this model with no frame print, in id order."""
        return self.query(
            f"SELECT item_id, path FROM embeddings JOIN items ON items.id = item_id "
            f"WHERE model_id = ? AND {SEARCHABLE} AND frame IS NULL ORDER BY item_id",
            (model_id,),
        )

    def save_frames(self, model_id: str, ids: Sequence[int], frames: np.ndarray) -> None:
        """Store frame prints of items already embedded by this model, in one transaction."""
        frames = np.asarray(frames, np.uint8)
        with self.transaction("frames") as db:
            db.executemany(
                "UPDATE embeddings SET frame = ? WHERE item_id = ? AND model_id = ?",
                ((f.tobytes(), int(i), model_id) for i, f in zip(ids, frames)),
            )

    def embedding(self, item_id: int, model_id: str) -> np.ndarray | None:
        rows = self.query("SELECT vector FROM embeddings WHERE item_id = ? AND model_id = ?", (item_id, model_id))
        return np.frombuffer(rows[0][0], np.float32).copy() if rows else None

    # index ---------------------------------------------------------------------------
    def save_index_map(self, ids: Sequence[int], facts: dict[str, str], model_id: str | None = None) -> None:
        """Record which item each index position holds, with facts about the build, in one transaction.

        The facts name the index files of this build (see core.similarity.indexing): they become the
        workspace's index with this commit, never before. With `model_id`, the embeddings of
        every other model go in the same commit.
        """
        with self.transaction("index") as db:
            db.execute("DELETE FROM index_map")
            db.execute("DELETE FROM index_pending")
            db.executemany("INSERT INTO index_map VALUES (?, ?)", enumerate(int(i) for i in ids))
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", facts.items())
            if model_id is not None:
                db.execute("DELETE FROM embeddings WHERE model_id != ?", (model_id,))

    def add_pending(self, ids: Iterable[int], facts: dict[str, str]) -> None:
        """Record items embedded since the index was built (searched exactly until the next build)."""
        with self.transaction("pending") as db:
            db.executemany("INSERT OR IGNORE INTO index_pending VALUES (?)", ((int(i),) for i in ids))
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", facts.items())

    def pending(self, model_id: str, colour_dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(ids, vectors, colours or None) of the searchable items embedded since the index was built."""
        rows = self.query(
            # CROSS JOIN keeps the few pending rows outermost: SQLite's planner otherwise scans every embedding.
            "SELECT index_pending.item_id, vector, colour FROM index_pending CROSS JOIN embeddings USING (item_id) "
            f"CROSS JOIN items ON items.id = index_pending.item_id WHERE model_id = ? AND {SEARCHABLE} "
            "ORDER BY index_pending.item_id",
            (model_id,),
        )
        ids = np.asarray([r[0] for r in rows], np.int64)
        if not rows:
            return ids, np.zeros((0, 0), np.float32), np.zeros((0, colour_dims), np.float32)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
        return ids, vectors, _colour_matrix([r[2] for r in rows], colour_dims)

    def index_count(self) -> int:
        """How many positions the Annoy index on disk holds."""
        return int(self.query("SELECT COUNT(*) FROM index_map")[0][0])

    def pending_ids(self) -> set[int]:
        return {row[0] for row in self.query("SELECT item_id FROM index_pending")}

    def lost_positions(self) -> int:
        """Index positions whose item has since failed to decode, gone missing or been forgotten."""
        rows = self.query(
            "SELECT COUNT(*) FROM index_map LEFT JOIN items ON items.id = index_map.item_id "
            f"WHERE items.id IS NULL OR NOT ({SEARCHABLE})"
        )
        return int(rows[0][0])

    def index_map(self) -> np.ndarray:
        """Item id at each index position."""
        rows = self.query("SELECT item_id FROM index_map ORDER BY position")
        return np.asarray([r[0] for r in rows], np.int64)

    # query history -------------------------------------------------------------------
    def add_history(self, kind: str, ref: str, label: str, keep: int = 50) -> None:
        """Remember a query (an item id or a saved image path) as the newest; keep the last `keep`."""
        with self.transaction("history") as db:
            db.execute("DELETE FROM history WHERE kind = ? AND ref = ?", (kind, ref))
            db.execute("INSERT INTO history (kind, ref, label) VALUES (?, ?, ?)", (kind, ref, label))
            db.execute("DELETE FROM history WHERE id NOT IN (SELECT id FROM history ORDER BY id DESC LIMIT ?)", (keep,))

    def history(self, limit: int = 50) -> list[HistoryEntry]:
        """Recent queries, newest first."""
        rows = self.query("SELECT kind, ref, label, created FROM history ORDER BY id DESC LIMIT ?", (limit,))
        return [HistoryEntry(*row) for row in rows]

    # facts -----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, values: dict[str, str]) -> None:
        with self.transaction("meta") as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def delete_meta(self, *keys: str) -> None:
        with self.transaction("meta") as db:
            db.executemany("DELETE FROM meta WHERE key = ?", ((k,) for k in keys))

    def iter_paths(self) -> Iterator[tuple[int, str, int, int, int | None, int | None, str | None, str, str | None]]:
        """(id, path, size, mtime_ns, ctime_ns, inode, hash, status, missing) for change detection."""
        yield from self.query("SELECT id, path, size, mtime_ns, ctime_ns, inode, hash, status, missing FROM items")
