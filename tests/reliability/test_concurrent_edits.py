"""Two windows and the command line on one catalog at once: every acknowledged edit stays.

Two writer processes (tests/reliability/edit_writer.py, editing as the app's list editor does:
pins, blocks, moves, notes, review marks, undo and redo) share the same lists for a minute while
`recommend` remakes every list three times. At the end, each entry, note and mark holds what
its last acknowledged step made of it.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.demo import write_demo_catalog
from core.lists import Curation, Rules, edits
from core.similarity import CatalogSearcher, index_catalog
from core.storage import CatalogStore, Workspace
from tests.reliability.conftest import ROOT, run_cli

SECONDS = 60
SHARED_LISTS = 12  # few lists, so the two writers and the runs meet on them all the time


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[Workspace, list[int]]:
    root = tmp_path / "catalog"
    write_demo_catalog(root, count=150, seed=11)
    ws = Workspace.locate(root)
    index_catalog(ws)
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        curation.generate(searcher, Rules(k=8))
        curation.generate(searcher, Rules(k=6, kind="cross-sell"))
        ids = [item.id for item in searcher.items()]
    return ws, ids


def _writer(ws: Workspace, log: Path, seed: int, parity: int, sources: list[int]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.edit_writer", str(ws.database), str(log), str(seed), str(parity),
         str(SECONDS), ",".join(map(str, sources))],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_writers_and_three_recommend_runs_lose_no_acknowledged_edit(catalog, tmp_path):
    ws, ids = catalog
    sources = ids[:SHARED_LISTS]
    logs = [tmp_path / "writer-0.jsonl", tmp_path / "writer-1.jsonl"]
    writers = [_writer(ws, logs[p], 100 + p, p, sources + ids[SHARED_LISTS:40]) for p in (0, 1)]
    runs = []
    for n, kind in enumerate(("related", "cross-sell", "related")):
        run = run_cli("recommend", ws.catalog, "--kind", kind, "-k", str(6 + n), "--out", tmp_path / f"out-{n}.csv")
        runs.append(run)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    assert all(w.poll() is None for w in writers), "the runs must overlap the writers"
    for writer in writers:
        stdout, stderr = writer.communicate(timeout=SECONDS + 120)
        assert writer.returncode == 0 and stderr == "", stderr

    expected: dict[tuple, str] = {}
    notes: dict[tuple, str] = {}
    marks: dict[tuple, bool] = {}
    acknowledged = refused = 0
    for log in logs:
        for line in log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert "error" not in record, record
            if record.get("refused"):
                refused += 1
                continue
            acknowledged += 1
            key = tuple(record["list"])
            for target, fact in record["facts"].items():
                expected[(*key, int(target))] = fact
            if "note" in record:
                notes[key] = record["note"]
            if "reviewed" in record:
                marks[key] = record["reviewed"]
    assert acknowledged > 300 and len(expected) > 100, (acknowledged, len(expected))

    with CatalogStore(ws.database) as store:
        curation = Curation(store)
        lost = [
            (key, fact, found)
            for key, fact in expected.items()
            if (found := edits.fact(curation.state(key[0], key[1]), key[2])) != fact
        ]
        lost_notes = [key for key, text in notes.items() if curation.state(*key).note != text]
        lost_marks = [key for key, flag in marks.items() if curation.state(*key).reviewed != flag]
    print(f"{acknowledged} acknowledged steps, {refused} undo/redo refused as conflicting, "
          f"{len(expected)} entries, {len(notes)} notes, {len(marks)} review marks checked")
    assert lost == [] and lost_notes == [] and lost_marks == []
