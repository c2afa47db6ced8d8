"""`bench speed`, scale part: one very large catalog (a million thumbnails) taken end to end.

Indexed from scratch by `main.py index` as its own process (time and peak memory), the
workspace then measured on disk, every list made and exported, and the app launched on it
with an empty thumbnail cache: the grid's cold start, then keystrokes in the filter and a
product's query in that same process, and the app's peak memory.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from core.bench.indexing import Memory, indexing_memory
from core.bench.recommending import ListMaking, time_list_making
from core.bench.startup import Startup, time_startup
from core.common import CancelToken
from core.storage import Workspace


@dataclass(frozen=True)
class AtScale:
    items: int
    indexing: Memory  # `main.py index` from scratch: seconds and peak resident memory
    workspace_mb: float  # the whole workspace on disk after indexing
    database_mb: float  # of which the SQLite database
    lists: ListMaking  # every list made, and their CSV
    startup: Startup  # cold start (empty thumbnail cache), then typing in the filter and a query


def megabytes(files: Iterable[Path]) -> float:
    """Total size of these files (folders among them left out), in MB."""
    return sum(os.path.getsize(p) for p in files if p.is_file()) / 2**20


def measure_at_scale(catalog: Path, items: int, cancel: CancelToken | None = None, startup_timeout_s: float = 300) -> AtScale:
    """Every figure of the scale part on `catalog` (already written), indexed into its own app workspace."""
    ws = Workspace.locate(catalog)
    indexing = indexing_memory(catalog, ws.root, items)
    shutil.rmtree(ws.thumbs, ignore_errors=True)
    on_disk, database = megabytes(ws.root.rglob("*")), megabytes(ws.root.glob(ws.database.name + "*"))  # with -wal, -shm
    lists = time_list_making(catalog, cancel=cancel)
    startup = time_startup(catalog, items, "empty", timeout_s=startup_timeout_s, use=True)
    return AtScale(items, indexing, on_disk, database, lists, startup)
