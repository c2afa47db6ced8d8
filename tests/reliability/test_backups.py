"""Backups and recovery as the command line meets them: a clock set years ahead and then corrected,
pages damaged in the middle of the database, a backup killed midway. The real program runs each
step, under faketime where the clock matters.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.common import faults
from core.lists.curation import Curation
from core.storage.backup import backups, file_problem, number
from core.storage.store import CatalogStore
from tests.reliability.conftest import ROOT, Curated, assert_whole, curation_of, items_of, run_cli
from tests.reliability.damage import damage_pages

FAKETIME = shutil.which("faketime")


def run_cli_with_clock(offset: str, *args: object) -> subprocess.CompletedProcess:
    """`python main.py ARGS` in a real process whose clock is moved by `offset` (faketime's "+4y")."""
    assert FAKETIME is not None, "faketime is not installed: packaging/install-system-libs.sh installs it"
    command = [FAKETIME, "-m", "--exclude-monotonic", "-f", offset, sys.executable, str(ROOT / "main.py"), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _decide_more(curated: Curated) -> None:
    """The merchandiser's later work on twelve more products: a pin, a block, a note, a review mark on each."""
    with CatalogStore(curated.ws.database) as store:
        curation = Curation(store)
        for source in [item.id for item in store.items()][20:32]:
            shown = [e.target_id for e in curation.state(source).shown if not e.pinned]
            curation.pin(source, "related", shown[1])
            curation.block(source, "related", shown[0])
            curation.set_note(source, "related", "added after the clock was put right")
            curation.set_reviewed(source, "related", True)


def test_backups_made_after_a_clock_set_back_are_kept_and_are_what_recovery_restores(curated: Curated, tmp_path: Path):
    ws = curated.ws
    for _ in range(3):  # runs while the clock was four years ahead
        ahead = run_cli_with_clock("+4y", "recommend", curated.catalog, "--out", tmp_path / "r.csv")
        assert ahead.returncode == 0, ahead.stderr
    last_ahead = number(backups(ws)[0])
    _decide_more(curated)
    for _ in range(2):  # the clock put right: the runs after that back the new work up
        assert run_cli("recommend", curated.catalog, "--out", tmp_path / "r.csv").returncode == 0
    assert [number(p) for p in backups(ws)] == [last_ahead + 2, last_ahead + 1, last_ahead], "the newest copies stay"
    decided, items = curation_of(ws), items_of(ws)
    assert sum("put right" in note for note, *_ in decided.values()) == 12

    damage_pages(ws.database, "list_entries")
    result = run_cli("index", curated.catalog)

    assert result.returncode == 0, result.stderr
    lines = _lines(result.stderr)
    assert len(lines) == 2 and "moved aside" in lines[0] and "restored from the backup" in lines[1], result.stderr
    assert f"(number {last_ahead + 2}, the newest sound one)" in lines[1] and "it lacks none of the" in lines[1], lines[1]
    assert_whole(ws, decided, items)


@pytest.mark.parametrize(
    "command, table",
    [
        (lambda catalog, out: ["index", catalog], "list_entries"),
        (lambda catalog, out: ["recommend", catalog, "--out", out / "r.csv"], "list_entries"),
        (lambda catalog, out: ["duplicates", catalog, "--out", out / "d.csv"], "list_entries"),
        (lambda catalog, out: ["missing", catalog, "--forget"], "list_entries"),
        (lambda catalog, out: ["query", catalog, catalog / "caps" / "cap-0007.jpg", "--json"], "items"),
    ],
    ids=["index", "recommend", "duplicates", "missing", "query"],
)
def test_every_command_that_meets_damaged_pages_recovers_in_two_lines(curated: Curated, tmp_path: Path, command, table):
    ws = curated.ws
    assert run_cli("recommend", curated.catalog, "--out", tmp_path / "backed-up.csv").returncode == 0  # backs the lists up
    decided, items = curation_of(ws), items_of(ws)
    damage_pages(ws.database, table, pages=1 if table == "items" else 2)

    first = run_cli(*command(curated.catalog, tmp_path))

    assert first.returncode == 0, first.stderr
    lines = _lines(first.stderr)
    assert len(lines) == 2, first.stderr
    assert "damaged" in lines[0] and "moved aside" in lines[0] and "restored from the backup" in lines[1], first.stderr
    again = run_cli(*command(curated.catalog, tmp_path))
    assert again.returncode == 0 and "damaged" not in again.stderr, again.stderr
    assert_whole(ws, decided, items)


def test_a_backup_killed_midway_leaves_no_temporary_copy_after_the_next_run(curated: Curated, tmp_path: Path):
    folder = curated.ws.root / "backups"
    killed = run_cli("recommend", curated.catalog, "--out", tmp_path / "r.csv", env={faults.FAULT_ENV: "file:replace:catalog-:kill"})
    assert killed.returncode == -9, killed.stderr
    left = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].stat().st_size > 0, "the kill left a whole copy behind"

    again = run_cli("recommend", curated.catalog, "--out", tmp_path / "r.csv")

    assert again.returncode == 0, again.stderr
    assert sorted(folder.iterdir()) == sorted(backups(curated.ws)), "nothing but backups in backups/"
    assert all(file_problem(copy) is None for copy in backups(curated.ws))
