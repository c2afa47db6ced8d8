from __future__ import annotations

import sqlite3
from pathlib import Path

from core.lists.curation import Curation
from core.storage.backup import backup_database, backups, number
from core.storage.recovery import database_problem, recover, recover_if_damaged
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace
from tests.reliability.damage import damage_pages

SOURCES = 100  # products with decisions: enough rows for list_entries to fill several pages


def _decided(tmp_path: Path) -> Workspace:
    """A workspace where a merchandiser pinned two products, blocked one and wrote a note on each of 100 lists,
    and marked every other list reviewed; then it was backed up."""
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    ws = Workspace.locate(catalog)
    with CatalogStore(ws.database) as store:
        store.add_items((f"p{n:03d}.jpg", 100, 0, None) for n in range(3 * SOURCES))
        ids = [item.id for item in store.items()]
        curation = Curation(store)
        for n, source in enumerate(ids[:SOURCES]):
            curation.move(source, "related", ids[SOURCES + n], 0)
            curation.move(source, "related", ids[2 * SOURCES + n], 1)
            curation.block(source, "related", ids[(SOURCES + 50 + n) % len(ids)])
            curation.set_note(source, "related", f"note {n}")
            if n % 2:
                curation.set_reviewed(source, "related", True)
        backup_database(ws, store)
    return ws


def _edit_after_the_backup(ws: Workspace) -> None:
    """Three notes changed, two lists marked reviewed, four products added: none of it backed up."""
    with CatalogStore(ws.database) as store:
        ids = [item.id for item in store.items()]
        curation = Curation(store)
        for source in ids[:3]:
            curation.set_note(source, "related", "rewritten after the backup")
        for source in (ids[10], ids[12]):
            curation.set_reviewed(source, "related", True)
        for n in range(20, 24):
            curation.move(ids[n], "related", ids[2 * SOURCES + 50 + n], 2)  # added after the two pinned


def test_damage_in_the_middle_is_found_by_the_thorough_check_and_said_in_one_line(tmp_path: Path) -> None:
    ws = _decided(tmp_path)
    damage_pages(ws.database, "items")  # SQLite's check answers with a hundred lines for this one
    assert database_problem(ws) is None, "opening does not meet it"
    problem = database_problem(ws, thorough=True)
    assert problem is not None and "\n" not in problem and len(problem) < 200
    assert "more problems" in problem, "SQLite found many; the first is said, the others counted"


def test_the_restored_copy_is_compared_with_what_the_damaged_file_still_shows(tmp_path: Path) -> None:
    ws = _decided(tmp_path)
    _edit_after_the_backup(ws)
    damage_pages(ws.database, "items")  # the lists still read

    note = recover(ws, "database disk image is malformed")

    lines = note.splitlines()
    assert len(lines) == 2 and "moved aside to .lookalike/damaged/catalog-000001.sqlite" in lines[0]
    assert "restored from the backup of" in lines[1] and "(number 1, the newest sound one)" in lines[1]
    assert lines[1].endswith("it lacks 4 pins, 3 notes and 2 review marks that the damaged file still shows"), lines[1]


def test_what_cannot_be_read_of_the_damaged_file_is_said(tmp_path: Path) -> None:
    ws = _decided(tmp_path)
    _edit_after_the_backup(ws)
    damage_pages(ws.database, "list_entries")

    note = recover_if_damaged(ws, thorough=True)

    assert note is not None and len(note.splitlines()) == 2
    assert note.endswith(
        "it lacks 3 notes and 2 review marks that the damaged file still shows (its pins and blocks could not be read)"
    ), note
    with CatalogStore(ws.database) as store:
        assert store.integrity_problem() is None


def test_a_file_that_is_no_database_any_more_is_not_compared_but_the_copy_is_counted(tmp_path: Path) -> None:
    ws = _decided(tmp_path)
    ws.database.write_bytes(b"not a database any more " * 500)
    for leftover in ("-wal", "-shm"):
        Path(f"{ws.database}{leftover}").unlink(missing_ok=True)

    note = recover_if_damaged(ws)

    assert note is not None and len(note.splitlines()) == 2
    assert note.endswith(
        "the damaged file cannot be read to compare: changes since that backup are lost "
        f"(it holds {2 * SOURCES} pins, {SOURCES} blocks, {SOURCES} notes and {SOURCES // 2} review marks)"
    ), note


def test_the_newest_sound_backup_is_restored_and_no_backup_is_removed(tmp_path: Path) -> None:
    ws = _decided(tmp_path)
    with CatalogStore(ws.database) as store:
        store.set_meta({"made": "second"})
        backup_database(ws, store)
        store.set_meta({"made": "third"})
        backup_database(ws, store)
    newest = backups(ws)[0]
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # the disk took the newest backup too
    ws.database.write_bytes(b"\0" * 8192)

    note = recover_if_damaged(ws)

    assert note is not None and "(number 2, the newest sound one)" in note
    assert [number(p) for p in backups(ws)] == [3, 2, 1]
    reader = sqlite3.connect(f"{ws.database.as_uri()}?mode=ro", uri=True)
    try:
        assert reader.execute("SELECT value FROM meta WHERE key = 'made'").fetchone() == ("second",)
    finally:
        reader.close()


def test_each_recovery_keeps_its_damaged_file_under_a_name_of_its_own(tmp_path: Path) -> None:
    ws = _decided(tmp_path)
    for _ in range(2):
        ws.database.write_bytes(b"not a database any more " * 500)
        assert recover_if_damaged(ws) is not None
    assert sorted(p.name for p in (ws.root / "damaged").iterdir()) == ["catalog-000001.sqlite", "catalog-000002.sqlite"]
