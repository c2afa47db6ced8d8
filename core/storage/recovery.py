"""Recovery of a damaged workspace database from its backups.

A database that cannot be read any more is moved aside to damaged/ (never deleted) and the
newest sound backup is put in its place, so a disk error costs the edits since that backup, not
weeks of curation. What was done is said in two lines: where the damaged file went, which backup
replaced it and what of people's decisions that copy lacks of what the damaged file still shows.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from core.storage.backup import BACKUPS_DIRNAME, backups, file_problem, held, next_name, number
from core.storage.decisions import lacking, read_decisions
from core.storage.store import CatalogStore, DatabaseDamaged
from core.storage.workspace import Workspace

DAMAGED_DIRNAME = "damaged"


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
    """Move the damaged database aside and put the newest sound backup in its place; returns what was done, in two lines.

    Without a sound backup the workspace starts afresh (the damaged file is still kept aside),
    and the catalog is indexed from scratch by the next run.
    """
    problem = (problem.strip().splitlines() or ["no reason given"])[0][:200]
    with held(ws.folder(BACKUPS_DIRNAME)):
        aside = next_name(ws.folder(DAMAGED_DIRNAME))
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{ws.database}{suffix}")
            if source.exists():
                os.replace(source, Path(f"{aside}{suffix}"))
        kept = aside.relative_to(ws.root.parent)
        good = next((b for b in backups(ws) if file_problem(b) is None), None)
        if good is None:
            return (
                f"the workspace database was damaged ({problem}) and there was no backup: it was moved aside to {kept} "
                "and the catalog is indexed afresh; its lists could not be recovered"
            )
        tmp = ws.database.with_name(f".{ws.database.name}.restore.tmp")
        shutil.copyfile(good, tmp)
        os.replace(tmp, ws.database)
        taken = dt.datetime.fromtimestamp(good.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M")
        restored = read_decisions(good)
    which = f"number {number(good)}, the newest sound one" if number(good) else "the newest sound one"
    return (
        f"the workspace database was damaged ({problem}): it was moved aside to {kept}\n"
        f"restored from the backup of {taken} ({which}); {lacking(restored, read_decisions(aside))}"
    )


def recover_if_damaged(ws: Workspace, thorough: bool = False) -> str | None:
    """Check the workspace database and recover it from a backup if it is damaged; returns what was done, or None."""
    problem = database_problem(ws, thorough)
    return recover(ws, problem) if problem is not None else None
