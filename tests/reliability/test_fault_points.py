"""Every writer stopped at every one of its write steps: killed, out of disk, interrupted, cancelled.

Each writer's steps are learnt from the program itself (LOOKALIKE_FAULT_TRACE lists the fault
points a clean run passes: every database commit, before and after; every file written and
renamed into place; every index file saved). Then, for each point in turn, a fresh copy of a
curated catalog is broken there and checked: no traceback, one clear line where the run says
anything, every item and every decision a person made still there, the database sound, the
index in use matching the items the database says it holds, a query answering with the right
product, and the same run afterwards finishing as if nothing had happened.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from core.catalog import is_current
from core.common import faults
from core.common.errors import Cancelled, LookalikeError
from core.demo import render_product
from core.lists.curation import Curation, Rules, export_lists
from core.lists.formats import write_export
from core.similarity.indexing import index_catalog
from core.similarity.search import CatalogSearcher
from core.storage.store import CatalogStore
from tests.reliability.conftest import (
    Curated,
    assert_whole,
    curation_of,
    fresh_copy,
    items_of,
    run_cli,
    run_script,
    trace,
)

DISK_WORDS = re.compile(r"disk is full|no space left on device", re.IGNORECASE)


def change_the_catalog(copy: Curated) -> None:
    """What a merchandiser does between two runs: two new photos, one photo replaced, one removed."""
    import numpy as np

    rng = np.random.default_rng(99)
    render_product("boots", rng).save(copy.catalog / "boots" / "new-boot-a.jpg", quality=90)
    render_product("caps", rng).save(copy.catalog / "caps" / "new-cap-b.jpg", quality=90)
    render_product("watches", rng).save(copy.catalog / "watches" / "watch-0010.jpg", quality=90)
    (copy.catalog / "sneakers" / "sneaker-0004.jpg").unlink()


def _stderr_lines(text: str) -> list[str]:
    return [line for line in text.strip().splitlines() if line.strip()]


def _check_run(result, mode: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    if mode == "kill":
        assert result.returncode == -9, (result.returncode, result.stderr)
        return
    if result.returncode == 0:  # the fault hit a step that may fail alone (a backup): said, not fatal
        assert all(line.startswith(("lookalike: no backup was made", "left out:", "note: ", "skipped ", "not followed ")) for line in _stderr_lines(result.stderr)), result.stderr
        return
    lines = _stderr_lines(result.stderr)
    assert result.returncode == 1 and len(lines) == 1 and DISK_WORDS.search(lines[0]), result.stderr


def _break_everywhere(
    subtests,
    template: Path,
    tmp_path: Path,
    command: Callable[[Curated], list[object]],
    mode: str,
    prepare: Callable[[Curated], None] = lambda copy: None,
    again: Callable[[Curated], None] | None = None,
) -> int:
    probe = fresh_copy(template, tmp_path / "probe")
    prepare(probe)
    points = trace(lambda env: run_cli(*command(probe), env=env), tmp_path)
    assert points, "the run passed no fault point"

    def broken(number: int) -> tuple[Curated, dict, dict, subprocess.CompletedProcess]:
        copy = fresh_copy(template, tmp_path / f"copy-{number}")
        prepare(copy)
        decided, items = curation_of(copy.ws), items_of(copy.ws)
        return copy, decided, items, run_cli(*command(copy), env={faults.FAULT_ENV: f"{number}:{mode}"})

    # The runs are independent processes on copies of their own: two at a time, one per core.
    with cf.ThreadPoolExecutor(2) as pool:
        runs = pool.map(broken, range(1, len(points) + 1))
        for number, (name, (copy, decided, items, result)) in enumerate(zip(points, runs), 1):
            with subtests.test(point=number, step=name, mode=mode):
                _check_run(result, mode)
                assert_whole(copy.ws, decided, items)
                if again is not None:
                    again(copy)
                else:
                    rerun = run_cli(*command(copy))
                    assert rerun.returncode == 0, rerun.stderr
                assert_whole(copy.ws, decided, items)
            shutil.rmtree(copy.catalog, ignore_errors=True)
    return len(points)


# ---- indexing: new photos, a changed one, a removed one, and a new model at once ---------------


def _index_command(small_encoder: Path) -> Callable[[Curated], list[object]]:
    return lambda copy: ["index", copy.catalog, "--model", small_encoder]


@pytest.mark.parametrize("mode", ["kill", "full"])
def test_indexing_stopped_at_every_step(subtests, curated_template, tmp_path, small_encoder, mode):
    def again(copy: Curated) -> None:
        index_catalog(copy.ws, model=small_encoder)

    steps = _break_everywhere(subtests, curated_template, tmp_path, _index_command(small_encoder), mode, change_the_catalog, again)
    assert steps >= 12


def as_left_by_an_earlier_version(copy: Curated) -> None:
    """The workspace as versions before XXH3 digests left it (SHA-256 ones), a folder moved and a photo touched since."""
    connection = sqlite3.connect(copy.ws.database)
    with connection:
        rows = connection.execute("SELECT id, path FROM items").fetchall()
        connection.executemany(
            "UPDATE items SET hash=? WHERE id=?",
            [(hashlib.sha256((copy.catalog / path).read_bytes()).hexdigest()[:32], item_id) for item_id, path in rows],
        )
    connection.close()
    (copy.catalog / "archive").mkdir()
    shutil.move(copy.catalog / "backpacks", copy.catalog / "archive" / "backpacks")
    os.utime(copy.catalog / "caps" / "cap-0007.jpg", ns=(1, 1))


@pytest.mark.parametrize("mode", ["kill", "full"])
def test_the_first_index_after_an_upgrade_stopped_at_every_step(subtests, curated_template, tmp_path, mode):
    """Digests are written again the current way all at once or not at all, and a moved photo keeps its item either way."""

    def again(copy: Curated) -> None:
        with CatalogStore(copy.ws.database) as store:
            current = {is_current(item.hash) for item in store.items() if item.hash}
        assert len(current) == 1, "some digests written again, some not"
        rerun = run_cli("index", copy.catalog)
        assert rerun.returncode == 0 and "0 encoded" in rerun.stdout, rerun.stdout + rerun.stderr
        with CatalogStore(copy.ws.database) as store:
            items = store.items()
            assert store.missing_items() == []
        assert all(is_current(item.hash) for item in items)
        assert sum(item.path.startswith("archive/backpacks/") for item in items) == 4

    steps = _break_everywhere(subtests, curated_template, tmp_path, lambda copy: ["index", copy.catalog], mode, as_left_by_an_earlier_version, again)
    assert steps >= 2


@pytest.mark.slow
@pytest.mark.parametrize("keep, at_least", [("new", 10), ("better", 3)])
def test_training_killed_at_every_step(subtests, curated_template, tmp_path, keep, at_least):
    """Training's own steps and those of putting the new model to use (keep new) or setting it aside (the
    check cannot decide on 40 photos); afterwards the model in use still indexes."""
    steps = _break_everywhere(
        subtests, curated_template, tmp_path, lambda copy: ["train", copy.catalog, "--epochs", "1", "--keep", keep], "kill",
        again=lambda copy: index_catalog(copy.ws)
    )
    assert steps >= at_least


@pytest.mark.parametrize("mode", ["kill", "full"])
def test_recommend_stopped_at_every_step(subtests, curated_template, tmp_path, mode):
    out = tmp_path / "shop" / "shopify.csv"
    steps = _break_everywhere(
        subtests, curated_template, tmp_path, lambda copy: ["recommend", copy.catalog, "-k", "5", "--format", "shopify", "--out", out], mode
    )
    assert steps >= 8


@pytest.mark.parametrize("mode", ["kill", "full"])
def test_duplicates_stopped_at_every_step(subtests, curated_template, tmp_path, mode):
    """The finding is stored in one transaction and the report renamed into place: stopped anywhere,
    the workspace holds the last finding whole (or none) and the report is whole or not there."""
    from core.duplicates import DuplicateMemory

    def report(copy: Curated) -> Path:
        return copy.catalog.parent / "duplicates.csv"

    def again(copy: Curated) -> None:
        out = report(copy)
        if out.exists():
            assert out.read_text().startswith("group,kind,size,path,sku,score\n") and out.read_text().endswith("\n")
        with CatalogStore(copy.ws.database) as store:
            memory = DuplicateMemory(store)
            stored = memory.groups() if memory.found() else None
        rerun = run_cli("duplicates", copy.catalog, "--out", out)
        assert rerun.returncode == 0, rerun.stderr
        with CatalogStore(copy.ws.database) as store:
            assert stored in (None, DuplicateMemory(store).groups())

    steps = _break_everywhere(
        subtests, curated_template, tmp_path, lambda copy: ["duplicates", copy.catalog, "--out", report(copy)], mode, again=again
    )
    assert steps >= 4


def as_left_before_frame_prints(copy: Curated) -> None:
    """The workspace as versions before frame prints left it: embeddings with none."""
    connection = sqlite3.connect(copy.ws.database)
    with connection:
        connection.execute("UPDATE embeddings SET frame = NULL")
    connection.close()


def _frames_known(copy: Curated) -> set[bool]:
    from core.catalog import FRAME_PRINT
    from core.storage import read_state

    with CatalogStore(copy.ws.database) as store:
        return set(store.frames(read_state(store).model_id, FRAME_PRINT)[1].tolist())


@pytest.mark.parametrize("mode", ["kill", "full"])
def test_the_first_duplicates_after_an_upgrade_stopped_at_every_step(subtests, curated_template, tmp_path, mode):
    """The prints read from the photos are stored whole or not at all, and the next run finishes the job."""
    out = tmp_path / "duplicates.csv"

    def again(copy: Curated) -> None:
        assert len(_frames_known(copy)) == 1, "some prints stored, some not, in one batch"
        rerun = run_cli("duplicates", copy.catalog, "--out", out)
        assert rerun.returncode == 0, rerun.stderr
        assert _frames_known(copy) == {True}

    steps = _break_everywhere(
        subtests, curated_template, tmp_path, lambda copy: ["duplicates", copy.catalog, "--out", out], mode,
        as_left_before_frame_prints, again,
    )
    assert steps >= 6


# ---- curation edits ---------------------------------------------------------------------------

EDITS = """
import sys
from core.lists.curation import Curation
from core.similarity.search import CatalogSearcher
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace

ws = Workspace.locate(sys.argv[1])
with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
    curation = Curation(store)
    items = [item.id for item in searcher.items()]
    source = items[30]
    shown = [e.target_id for e in curation.state(source).shown]
    curation.pin(source, "related", shown[1])
    curation.block_and_refill(searcher, source, "related", shown[0])
    curation.move(source, "related", shown[3], 0)
    curation.add(source, "related", items[5], 2)
    curation.set_note(source, "related", "autumn edit")
    curation.set_reviewed(source, "related", True)
"""


def test_list_edits_killed_at_every_step_are_either_saved_whole_or_not_at_all(subtests, curated_template, tmp_path):
    """An edit is one transaction: after a kill, the lists are those after some number of whole edits."""
    probe = fresh_copy(curated_template, tmp_path / "probe")
    script = lambda copy, env=None: run_script(EDITS.replace("sys.argv[1]", repr(str(copy.catalog))), env)  # noqa: E731
    points = trace(lambda env: script(probe, env), tmp_path)
    # The lists after 0, 1, 2, ... edits: run the edits one by one in a copy to learn them.
    expected = []
    for done in range(7):
        step = fresh_copy(curated_template, tmp_path / f"expected-{done}")
        lines = EDITS.strip().splitlines()
        cut = len(lines) - 6 + done
        result = run_script("\n".join(lines[:cut]).replace("sys.argv[1]", repr(str(step.catalog))))
        assert result.returncode == 0, result.stderr
        expected.append(curation_of(step.ws))
    assert len({repr(sorted(e.items())) for e in expected}) == 7  # every edit changes something
    assert len(points) >= 12
    for number, name in enumerate(points, 1):
        with subtests.test(point=number, step=name):
            copy = fresh_copy(curated_template, tmp_path / "copy")
            items = items_of(copy.ws)
            result = script(copy, {faults.FAULT_ENV: f"{number}:kill"})
            assert result.returncode == -9 and "Traceback" not in result.stderr
            assert curation_of(copy.ws) in expected
            assert_whole(copy.ws, curation_of(copy.ws), items)


# ---- in the process: Ctrl+C and Cancel at every step, as the app's Cancel button and a terminal do ----


def _in_process(subtests, curated_template, tmp_path, work: Callable[[Curated], None], prepare=lambda copy: None) -> None:
    probe = fresh_copy(curated_template, tmp_path / "probe")
    prepare(probe)
    log = tmp_path / "trace.txt"
    with faults.tracing(log):
        work(probe)
    points = log.read_text(encoding="utf-8").splitlines()
    assert points
    for mode, expected in (("interrupt", KeyboardInterrupt), ("cancel", Cancelled), ("full", LookalikeError)):
        for number, name in enumerate(points, 1):
            with subtests.test(point=number, step=name, mode=mode):
                copy = fresh_copy(curated_template, tmp_path / "copy")
                prepare(copy)
                decided, items = curation_of(copy.ws), items_of(copy.ws)
                with faults.arm(number, mode):
                    try:
                        work(copy)
                    except expected as exc:
                        if mode == "full":
                            assert DISK_WORDS.search(str(exc)) and "\n" not in str(exc), exc
                    assert faults.fired()
                assert_whole(copy.ws, decided, items)
                work(copy)
                assert_whole(copy.ws, decided, items)


def test_indexing_interrupted_cancelled_or_out_of_disk_at_every_step(subtests, curated_template, tmp_path, small_encoder):
    _in_process(subtests, curated_template, tmp_path, lambda copy: index_catalog(copy.ws, model=small_encoder), change_the_catalog)


def test_the_first_index_after_an_upgrade_interrupted_cancelled_or_out_of_disk_at_every_step(subtests, curated_template, tmp_path):
    _in_process(subtests, curated_template, tmp_path, lambda copy: index_catalog(copy.ws), as_left_by_an_earlier_version)


def test_making_and_exporting_lists_interrupted_cancelled_or_out_of_disk_at_every_step(subtests, curated_template, tmp_path):
    out = tmp_path / "lists.json"

    def work(copy: Curated) -> None:
        ws = copy.ws
        with ws.exclusive("making lists for"), CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
            Curation(store).generate(searcher, Rules(k=5))
            write_export(export_lists(store), out, "json", ws.catalog)

    _in_process(subtests, curated_template, tmp_path, work)
