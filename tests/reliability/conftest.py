"""A curated catalog to break, and the checks that nothing was lost and nothing answers wrongly.

The template is a real demo catalog indexed with the embedded default encoder, with lists of
two kinds and a merchandiser's edits on them (pins, blocks, moves, notes, review marks). Each
test breaks a fresh copy of it.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from annoy import AnnoyIndex

from core.demo import write_demo_catalog
from core.lists.curation import LIST_KINDS, Curation, Rules
from core.similarity.encoder import OnnxEncoder, normalise
from core.similarity.indexing import index_catalog
from core.similarity.search import CatalogSearcher
from core.storage.index_state import check_state, encoder_path, read_state
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = 40


def run_cli(*args: object, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python main.py ARGS` in a real process, with extra environment variables."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def run_script(code: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """A few lines of Python against the project, in a real process."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})}
    )


def trace(run, tmp_path: Path) -> list[str]:
    """The fault points a run passes, in order (LOOKALIKE_FAULT_TRACE)."""
    log = tmp_path / "trace.txt"
    log.unlink(missing_ok=True)
    result = run({"LOOKALIKE_FAULT_TRACE": str(log)})
    assert result.returncode == 0, result.stderr
    return log.read_text(encoding="utf-8").splitlines()


@dataclass(frozen=True)
class Curated:
    """What a merchandiser made of the template: the state every break must leave whole."""

    catalog: Path

    @property
    def ws(self) -> Workspace:
        return Workspace.locate(self.catalog)


@pytest.fixture(scope="session")
def curated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("curated") / "catalog"
    write_demo_catalog(root, count=PHOTOS, seed=5)
    ws = Workspace.locate(root)
    index_catalog(ws)
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        curation.generate(searcher, Rules(k=6))
        curation.generate(searcher, Rules(k=4, kind="cross-sell", category="other"))
        items = [item.id for item in searcher.items()]
        for n, source in enumerate(items[:12]):
            state = curation.state(source)
            targets = [e.target_id for e in state.shown]
            curation.pin(source, "related", targets[2])
            curation.block_and_refill(searcher, source, "related", targets[0])
            curation.move(source, "related", items[(n + 20) % len(items)], 1)
            curation.set_note(source, "related", f"note {n}: summer edit")
            if n % 2:
                curation.set_reviewed(source, "related", True)
            cross = curation.state(source, "cross-sell").shown
            curation.pin(source, "cross-sell", cross[0].target_id)
    return root


@pytest.fixture
def curated(curated_template: Path, tmp_path: Path) -> Curated:
    """A fresh copy of the curated catalog (photos and workspace) for one test to break."""
    target = tmp_path / "catalog"
    shutil.copytree(curated_template, target, symlinks=True)
    return Curated(target)


def fresh_copy(template: Path, folder: Path) -> Curated:
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(template, folder, symlinks=True)
    return Curated(folder)


# ---- what must survive ----------------------------------------------------------------------


def curation_of(ws: Workspace) -> dict:
    """Everything a person decided, by product: note, review mark, pinned entries with their places, blocked entries.

    Products are named by item id: a photo moved keeps its item, and its lists with it.
    """
    with CatalogStore(ws.database) as store:
        curation = Curation(store)
        decided = {}
        for kind in LIST_KINDS:
            for state in curation.all_states(kind):
                pinned = tuple((e.target_id, e.position) for e in state.shown if e.pinned)
                blocked = tuple(sorted(e.target_id for e in state.blocked))
                if state.note or state.reviewed or pinned or blocked:
                    decided[(state.item_id, kind)] = (state.note, state.reviewed, pinned, blocked)
    return decided


def items_of(ws: Workspace) -> dict[str, int]:
    """Every item's path and id (a moved photo keeps its item, and so its id)."""
    with CatalogStore(ws.database) as store:
        return {item.path: item.id for item in store.items()}


def integrity(ws: Workspace) -> str:
    connection = sqlite3.connect(ws.database)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def assert_index_matches_items(ws: Workspace) -> None:
    """The index in use holds, at every live position, the stored embedding of the item the database says is there.

    This is the check that fails when index files and database disagree (a boot "matching" a
    watch at 1.000000): vectors and item map come from different runs.
    """
    with CatalogStore(ws.database) as store:
        state = read_state(store)
        assert state is not None, "the catalog is no longer indexed"
        check_state(ws.root, state)
        encoder = OnnxEncoder(encoder_path(ws.root, state))
        assert encoder.info.model_id == state.model_id
        positions = store.index_map()
        pending = store.pending_ids()
        index = AnnoyIndex(encoder.info.latent_dim, "angular")
        index.load(str(ws.root / state.shape_name))
        try:
            assert index.get_n_items() == len(positions)
            checked = 0
            for position, item_id in enumerate(positions.tolist()):
                stored = store.embedding(item_id, state.model_id)
                if stored is None or item_id in pending:
                    continue  # embedded again since the build (another model, changed photo): not this index's
                assert np.allclose(normalise(stored), index.get_item_vector(position), atol=1e-5), (position, item_id)
                checked += 1
            assert checked > 0
        finally:
            index.unload()


def assert_queries_answer(ws: Workspace, photos: int = 4) -> None:
    """A catalog photo finds its own product among the best matches, with a score of 1."""
    with CatalogSearcher(ws) as searcher:
        # (a photo moved since the last run is not missing yet, but has no file to query with)
        items = [item for item in searcher.items() if item.missing is None and (ws.catalog / item.path).is_file()][:photos]
        assert items, "nothing can be searched"
        for item in items:
            matches = searcher.similar_to_image(ws.catalog / item.path, 8)
            best = [m for m in matches if round(m.score, 4) == round(matches[0].score, 4)]
            assert matches[0].score > 0.999 and item.id in [m.item_id for m in best], (item.path, matches[:3])


def assert_whole(ws: Workspace, decided: dict, items: dict[str, int]) -> None:
    """Nothing lost (every item, every decision) and nothing answering wrongly."""
    assert integrity(ws) == "ok"
    now = items_of(ws)
    ids = set(now.values())
    lost = [path for path, item_id in items.items() if path not in now and item_id not in ids]
    assert not lost, f"items lost: {lost[:5]}"
    assert curation_of(ws) == decided
    assert_index_matches_items(ws)
    assert_queries_answer(ws)
