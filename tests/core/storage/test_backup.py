from __future__ import annotations

import sqlite3
from pathlib import Path

from core.storage.backup import KEEP_BACKUPS, backup_database, backups
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace


def _workspace(tmp_path: Path) -> Workspace:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    return Workspace.locate(catalog)


def test_backups_are_whole_files_that_leave_nothing_beside_them(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    with CatalogStore(ws.database) as store:
        store.set_meta({"note": "kept"})
        made = [backup_database(ws, store) for _ in range(KEEP_BACKUPS + 2)]

    folder = made[-1].parent
    assert sorted(folder.iterdir()) == sorted(backups(ws)), "no journal or temporary file is left in backups/"
    assert len(backups(ws)) == KEEP_BACKUPS and backups(ws)[0] == made[-1]
    newest = backups(ws)[0]
    reader = sqlite3.connect(f"{newest.as_uri()}?mode=ro", uri=True)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert ("note", "kept") in reader.execute("SELECT key, value FROM meta").fetchall()
    finally:
        reader.close()
    assert sorted(folder.iterdir()) == sorted(backups(ws)), "reading a backup leaves nothing beside it"
