from __future__ import annotations

import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.storage.backup import KEEP_BACKUPS, backup_database, backups, number
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


def test_backups_rank_by_the_order_made_not_by_the_time_in_their_names(tmp_path: Path) -> None:
    # Backups an earlier Lookalike named by a clock four years ahead: by name they would outrank every new one.
    ws = _workspace(tmp_path)
    with CatalogStore(ws.database) as store:
        store.set_meta({"made": "ahead"})
        ahead = backup_database(ws, store)
        legacy = [ahead.with_name(f"catalog-2030120{n}T101010000000Z.sqlite") for n in range(3)]
        for name in legacy:
            shutil.copyfile(ahead, name)
        ahead.unlink()
        made = []
        for n in range(KEEP_BACKUPS + 2):
            store.set_meta({"made": f"after {n}"})
            made.append(backup_database(ws, store))

    assert [number(p) for p in made] == [1, 2, 3, 4, 5]
    assert backups(ws) == made[::-1][:KEEP_BACKUPS], "the newest copies stay, the ones named by the wrong clock go"
    reader = sqlite3.connect(f"{backups(ws)[0].as_uri()}?mode=ro", uri=True)
    try:
        assert reader.execute("SELECT value FROM meta WHERE key = 'made'").fetchone() == (f"after {KEEP_BACKUPS + 1}",)
    finally:
        reader.close()


def test_backups_made_at_once_take_turns_and_keep_each_other(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    with CatalogStore(ws.database) as store:
        store.add_items((f"p{n:05d}.jpg", n, 0, "x" * 64) for n in range(20_000))  # a copy takes a while

    def back_up_three_times() -> list[Path]:
        with CatalogStore(ws.database) as own:
            return [backup_database(ws, own) for _ in range(3)]

    with ThreadPoolExecutor(4) as pool:
        made = [path for paths in pool.map(lambda _: back_up_three_times(), range(4)) for path in paths]

    assert sorted(number(p) for p in made) == list(range(1, 13)), "each backup got a number of its own"
    folder = made[0].parent
    assert sorted(folder.iterdir()) == sorted(backups(ws)) and [number(p) for p in backups(ws)] == [12, 11, 10]
