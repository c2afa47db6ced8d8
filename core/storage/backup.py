"""Automatic backups of the workspace database, numbered in the order they are made.

A backup is a consistent copy made with SQLite's online backup while the database stays in
use, checked with SQLite's own integrity check before it joins the last few. Backups are taken
after runs that change the workspace (indexing, making lists) and when the app closes a catalog
whose lists were edited. They are numbered 1, 2, 3, ... and ranked by that number, never by the
clock: a clock set years ahead and then corrected would otherwise rank the newest copies oldest
and rotate them away. One backup is made at a time in a workspace; what a killed one left
behind is removed by the next.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # not POSIX: backups are not kept apart, as runs are not (see workspace)
    fcntl = None  # type: ignore[assignment]

from core.common import OutputError, faults
from core.storage.store import CatalogStore, check_in_words
from core.storage.workspace import Workspace

BACKUPS_DIRNAME = "backups"
KEEP_BACKUPS = 3
PREFIX, SUFFIX = "catalog-", ".sqlite"


def number(path: Path) -> int:
    """A copy's place in the order made; 0 for one named by the time (an earlier Lookalike's), older than any numbered one."""
    middle = path.name[len(PREFIX) : -len(SUFFIX)]
    return int(middle) if middle.isdigit() else 0


def numbered(folder: Path) -> list[Path]:
    """The database copies in `folder` (catalog-N.sqlite), newest first."""
    try:
        found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX) and p.is_file()]
    except OSError:  # no such folder yet
        return []
    return sorted(found, key=lambda p: (number(p), p.name), reverse=True)


def next_name(folder: Path) -> Path:
    """The name of the next copy in `folder`: one more than the highest number there."""
    found = numbered(folder)
    return folder / f"{PREFIX}{(number(found[0]) if found else 0) + 1:06d}{SUFFIX}"


def backups(ws: Workspace) -> list[Path]:
    """The workspace's backups, newest first."""
    return numbered(ws.root / BACKUPS_DIRNAME)


@contextlib.contextmanager
def held(folder: Path) -> Iterator[None]:
    """Keep other backups and restores of this folder waiting (the system's lock, gone with the process)."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def file_problem(path: Path) -> str | None:
    """None if the file is a sound SQLite database, else SQLite's complaint in one line."""
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return check_in_words(connection.execute("PRAGMA quick_check").fetchall())
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return str(exc)


def backup_database(ws: Workspace, store: CatalogStore) -> Path:
    """Copy the workspace database into backups/ (checked), keeping the newest KEEP_BACKUPS; returns the copy.

    A copy that fails SQLite's check is discarded and the older backups kept (OutputError):
    a damaged database never pushes a sound backup out.
    """
    folder = ws.folder(BACKUPS_DIRNAME)
    try:
        with held(folder):
            _remove_leftovers(folder)
            made = next_name(folder)
            _copy(store, made)
            _rotate(folder, made)
    except OSError as exc:
        raise OutputError(f"cannot write a backup in {folder}: {exc.strerror or exc}") from None
    return made


def _copy(store: CatalogStore, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        store.backup_to(tmp)
        problem = file_problem(tmp)
        if problem is not None:
            raise OutputError(f"the workspace database did not copy soundly ({problem}); the earlier backups are kept")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        faults.point(f"file:replace:{target.name}")
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)


def _remove_leftovers(folder: Path) -> None:
    """Remove the temporary copies of backups that were killed (no backup is running: the folder is held)."""
    for path in folder.iterdir():
        if path.name.startswith(f".{PREFIX}") and ".tmp" in path.name:
            with contextlib.suppress(OSError):  # not POSIX: still open by a run that holds no lock
                path.unlink()


def _rotate(folder: Path, made: Path) -> None:
    """Remove all but the KEEP_BACKUPS highest-numbered copies; `made`, just checked sound, always stays."""
    for old in [p for p in numbered(folder) if p != made][KEEP_BACKUPS - 1 :]:
        old.unlink(missing_ok=True)
