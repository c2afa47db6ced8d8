"""A database file damaged as a failing disk damages one: some pages of one table overwritten."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def damage_pages(database: Path, table: str, pages: int = 2) -> list[int]:
    """Overwrite the second half of the first `pages` leaf pages of `table`; returns their numbers.

    The page headers stay, so the file still opens and other tables still read: the damage is
    met only by what reads those rows, or by SQLite's check of every page.
    """
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        numbers = [n for (n,) in connection.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))][:pages]
    finally:
        connection.close()
    assert len(numbers) == pages, f"{table} has only {len(numbers)} leaf pages"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    data = bytearray(database.read_bytes())
    for number in numbers:
        start = (number - 1) * size + size // 2
        data[start : start + size // 2] = bytes((i * 37 + 11) % 256 for i in range(size // 2))
    database.write_bytes(bytes(data))
    return numbers
