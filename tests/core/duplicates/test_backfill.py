"""A workspace indexed before frame prints were kept gets them from its photos when duplicates are first looked for."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from core.catalog import FRAME_PRINT
from core.common import Cancelled, CancelToken
from core.duplicates import backfill, find_duplicates
from core.storage import CatalogStore, Workspace, read_state


def _prints(ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    with CatalogStore(ws.database) as store:
        return store.frames(read_state(store).model_id, FRAME_PRINT)


def _as_an_earlier_version_left_it(ws: Workspace) -> None:
    with sqlite3.connect(ws.database) as db:
        db.execute("UPDATE embeddings SET frame = NULL")
    db.close()


def test_prints_are_read_once_and_equal_those_indexing_keeps(fresh):
    ws = Workspace.locate(fresh.catalog)
    indexed, known = _prints(ws)
    assert known.all()
    before = find_duplicates(ws)
    _as_an_earlier_version_left_it(ws)
    assert not _prints(ws)[1].any()
    stages = []
    assert find_duplicates(ws, progress=lambda p: stages.append((p.stage, p.done, p.total))) == before
    read, known = _prints(ws)
    assert known.all() and np.array_equal(read, indexed)
    assert stages[0] == ("prints", 0, len(indexed)) and ("prints", len(indexed), len(indexed)) in stages
    with CatalogStore(ws.database) as store:
        assert backfill.fill_missing_prints(ws, read_state(store).model_id) == 0  # nothing left to read


def test_a_stopped_fill_keeps_the_prints_it_stored(fresh, monkeypatch):
    ws = Workspace.locate(fresh.catalog)
    _as_an_earlier_version_left_it(ws)
    monkeypatch.setattr(backfill, "BATCH", 16)
    cancel = CancelToken()

    def stop_after_a_batch(p) -> None:
        if p.stage == "prints" and p.done >= 16:
            cancel.cancel()

    with pytest.raises(Cancelled):
        find_duplicates(ws, progress=stop_after_a_batch, cancel=cancel)
    assert _prints(ws)[1].sum() == 16
    find_duplicates(ws)
    assert _prints(ws)[1].all()


def test_a_photo_gone_since_indexing_is_compared_by_shape_alone(fresh):
    ws = Workspace.locate(fresh.catalog)
    _as_an_earlier_version_left_it(ws)
    (fresh.catalog / fresh.altered[0]).unlink()
    groups = find_duplicates(ws)
    with CatalogStore(ws.database) as store:
        model_id = read_state(store).model_id
        missing = store.without_frames(model_id)
    assert [path for _, path in missing] == [fresh.altered[0]]
    near = [g for g in groups if g.kind == "near" and fresh.altered[1] in {m.path for m in g.members}]
    assert len(near) == 1 and set(fresh.altered) <= {m.path for m in near[0].members}
