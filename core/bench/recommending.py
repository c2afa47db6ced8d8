"""`bench speed`, recommend part: every product's list made and stored, lists a second.

Runs on a copy of an indexed catalog's workspace (the catalog's own lists stay as they were):
`Curation.generate` for every product as `recommend` runs it, the same lists matched one search
at a time on a sample for comparison, the CSV export, and how many of each list's entries exact
search agrees with (recall@10 against brute force over every embedding, on a sample).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.common import CancelToken
from core.lists import Curation, Rules, export_lists, write_export
from core.similarity import CatalogSearcher, normalise
from core.storage import CatalogStore, Workspace, read_state

SAMPLE = 1000


@dataclass(frozen=True)
class ListMaking:
    items: int
    seconds: float  # every list matched and stored
    one_by_one_per_second: float  # the same rules, one search a list, on a sample
    export_seconds: float  # the CSV of every list
    recall_at_10: float  # share of exact search's top 10 in the lists, on a sample

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0


def _workspace_copy(ws: Workspace, target: Path) -> Workspace:
    shutil.copytree(ws.root, target, ignore=shutil.ignore_patterns("thumbs", "backups", "*.tmp"))
    return Workspace.locate(ws.catalog, target)


def _exact_recall(store: CatalogStore, curation: Curation, sample: np.ndarray) -> float:
    state = read_state(store)
    assert state is not None
    ids, vectors = store.embeddings(state.model_id)
    unit = normalise(vectors)
    row_of = {int(i): r for r, i in enumerate(ids)}
    hits = []
    for item_id in sample.tolist():
        scores = unit @ unit[row_of[item_id]]
        scores[row_of[item_id]] = -np.inf
        truth = set(ids[np.argpartition(-scores, 10)[:10]].tolist())
        listed = {e.target_id for e in curation.state(item_id).shown}
        hits.append(len(truth & listed) / 10)
    return float(np.mean(hits))


def time_list_making(catalog: Path, cancel: CancelToken | None = None) -> ListMaking:
    """Time making every list of an indexed `catalog` (its app workspace), on a copy of the workspace."""
    rules = Rules(k=10)
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-lists-") as tmp:
        ws = _workspace_copy(Workspace.locate(catalog), Path(tmp) / "ws")
        with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
            curation = Curation(store)
            ids = [item.id for item in searcher.items()]
            sample = np.random.default_rng(0).choice(ids, min(SAMPLE, len(ids)), replace=False)
            started = time.perf_counter()
            curation.generate(searcher, rules, items=sample.tolist(), bulk=False, cancel=cancel)
            one_by_one = len(sample) / (time.perf_counter() - started)
            started = time.perf_counter()
            made = curation.generate(searcher, rules, cancel=cancel, bulk=True)
            seconds = time.perf_counter() - started
            recall = _exact_recall(store, curation, sample)
            started = time.perf_counter()
            write_export(export_lists(store, (rules.kind,)), Path(tmp) / "lists.csv", "csv", ws.catalog, None, ws.root)
            export_seconds = time.perf_counter() - started
    return ListMaking(made, seconds, one_by_one, export_seconds, recall)
