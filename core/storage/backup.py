"""Automatic backups of the workspace database, and recovery from them when the database is damaged.

A backup is a consistent copy made with SQLite's online backup while the database stays in
use, checked with SQLite's own integrity check before it replaces the oldest of the last few.
Backups are taken after runs that change the workspace (indexing, making lists) and when the
app closes a catalog whose lists were edited. A database that cannot be read any more is moved
aside (never deleted) and the newest sound backup is put in its place, so a disk error costs
the edits since that backup, not weeks of curation.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

from core.common import OutputError, faults
from core.storage.store import CatalogStore, DatabaseDamaged
from core.storage.workspace import Workspace

BACKUPS_DIRNAME = "backups"
DAMAGED_DIRNAME = "damaged"
KEEP_BACKUPS = 3
_PREFIX, _SUFFIX = "catalog-", ".sqlite"


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def backups(ws: Workspace) -> list[Path]:
    """The workspace's backups, newest first."""
    folder = ws.root / BACKUPS_DIRNAME
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(_PREFIX) and p.name.endswith(_SUFFIX) and p.is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def backup_database(ws: Workspace, store: CatalogStore) -> Path:
    """Copy the workspace database into backups/ (checked), keeping the newest KEEP_BACKUPS; returns the copy.

    A copy that fails SQLite's check is discarded and the older backups kept (OutputError):
    a damaged database never pushes a sound backup out.
    """
    folder = ws.folder(BACKUPS_DIRNAME)
    name = f"{_PREFIX}{_stamp()}{_SUFFIX}"
    tmp = folder / f".{name}.tmp"
    try:
        store.backup_to(tmp)
        problem = _problem(tmp)
        if problem is not None:
            raise OutputError(f"the workspace database did not copy soundly ({problem}); the earlier backups are kept")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        faults.point(f"file:replace:{name}")
        os.replace(tmp, folder / name)
    except OSError as exc:
        raise OutputError(f"cannot write a backup in {folder}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    for old in backups(ws)[KEEP_BACKUPS:]:
        old.unlink(missing_ok=True)
    return folder / name


def _problem(path: Path) -> str | None:
    """None if the file is a sound SQLite database, else SQLite's complaint."""
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return str(exc)
    return None if rows and rows[0][0] == "ok" else (rows[0][0] if rows else "no answer")


def database_problem(ws: Workspace, thorough: bool = False) -> str | None:
    """Why the workspace database cannot be used (None if it can, or if there is none yet).

    Opening finds a file that is not a database at all; `thorough` also runs SQLite's check
    of every page (a fraction of a second per 100 MB), which finds damage in the middle.
    """
    if not ws.database.exists():
        return None
    try:
        with CatalogStore(ws.database) as store:
            return store.integrity_problem() if thorough else None
    except DatabaseDamaged as exc:
        return exc.reason


def recover(ws: Workspace, problem: str) -> str:
    """Move the damaged database aside and put the newest sound backup in its place; returns what was done, in words.

    Without a sound backup the workspace starts afresh (the damaged file is still kept aside),
    and the catalog is indexed from scratch by the next run.
    """
    aside = ws.folder(DAMAGED_DIRNAME) / f"{_PREFIX}{_stamp()}{_SUFFIX}"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{ws.database}{suffix}")
        if source.exists():
            os.replace(source, Path(f"{aside}{suffix}"))
    good = next((b for b in backups(ws) if _problem(b) is None), None)
    kept = aside.relative_to(ws.root.parent)
    if good is None:
        return (
            f"the workspace database was damaged ({problem}) and there was no backup: it was moved aside to {kept} "
            "and the catalog is indexed afresh; its lists could not be recovered"
        )
    tmp = ws.database.with_name(f".{ws.database.name}.restore.tmp")
    shutil.copyfile(good, tmp)
    os.replace(tmp, ws.database)
    taken = dt.datetime.fromtimestamp(good.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M")
    return (
        f"the workspace database was damaged ({problem}): it was moved aside to {kept} and restored from the "
        f"backup of {taken}; changes made since then are lost"
    )


def recover_if_damaged(ws: Workspace, thorough: bool = False) -> str | None:
    """Check the workspace database and recover it from a backup if it is damaged; returns what was done, or None."""
    problem = database_problem(ws, thorough)
    return recover(ws, problem) if problem is not None else None
