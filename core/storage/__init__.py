"""Where a catalog's work is kept and how it is written: the workspace folder and who owns it, the
SQLite database (items, embeddings, lists), the record of which encoder and index files make up
the searchable state, atomic file writes, the automatic backups, and the recovery of a damaged
database from them. It imports only core.common.
"""

from core.storage import atomic
from core.storage.atomic import atomic_path
from core.storage.backup import backup_database, backups
from core.storage.index_state import (
    STATE_KEY,
    DamagedIndexError,
    IndexState,
    check_state,
    encoder_path,
    is_indexed,
    next_names,
    previous_encoder_path,
    read_state,
    remove_stale,
    seal,
    staged_encoder_name,
)
from core.storage.recovery import recover, recover_if_damaged
from core.storage.store import SEARCHABLE, CatalogStore, DatabaseDamaged, HistoryEntry, Item, now_utc
from core.storage.workspace import Workspace

__all__ = [
    "CatalogStore",
    "DamagedIndexError",
    "DatabaseDamaged",
    "HistoryEntry",
    "IndexState",
    "Item",
    "SEARCHABLE",
    "STATE_KEY",
    "Workspace",
    "atomic",
    "atomic_path",
    "backup_database",
    "backups",
    "check_state",
    "encoder_path",
    "is_indexed",
    "next_names",
    "now_utc",
    "previous_encoder_path",
    "read_state",
    "recover",
    "recover_if_damaged",
    "remove_stale",
    "seal",
    "staged_encoder_name",
]
