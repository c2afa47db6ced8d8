"""Indexing on a real local Dask cluster of two worker processes, against a local run of the same catalog."""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from core.catalog import FRAME_PRINT
from core.cluster import ClusterEmbedder, ClusterError, connect
from core.common import Cancelled, CancelToken, IndexSettings, Progress
from core.demo import write_demo_catalog
from core.similarity import CatalogSearcher, OnnxEncoder, index_catalog
from core.storage import CatalogStore, Workspace, read_state

SMALL_BATCHES = IndexSettings(batch_size=8)  # many batches, so a run can be interrupted half-way


@pytest.fixture(scope="module")
def cluster():
    with connect("local", workers=2) as embedder:
        yield embedder


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cluster") / "catalog"
    write_demo_catalog(root, count=96)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


def _run(catalog: Path, workspace: Path, **options) -> dict:
    """Index into `workspace`; what the run stored: {path: embedding}, and {path: error}."""
    index_catalog(Workspace.locate(catalog, workspace), **options)
    with CatalogStore(workspace / "catalog.sqlite") as store:
        state = read_state(store)
        ids, vectors = store.embeddings(state.model_id)
        prints, known = store.frames(state.model_id, FRAME_PRINT)
        paths = dict(store.query("SELECT id, path FROM items"))
        errors = dict(store.query("SELECT path, error FROM items WHERE status = 'error'"))
    assert known.all()
    return {
        "vectors": {paths[i]: v for i, v in zip(ids.tolist(), vectors)},
        "frames": {paths[i]: f for i, f in zip(ids.tolist(), prints)},
        "errors": errors,
    }


def _same(a: dict, b: dict) -> None:
    assert sorted(a["vectors"]) == sorted(b["vectors"]) and len(a["vectors"]) == 96
    assert a["errors"] == b["errors"] and list(a["errors"]) == ["broken.jpg"]
    worst = max(float(np.abs(a["vectors"][p] - b["vectors"][p]).max()) for p in a["vectors"])
    assert worst <= 1e-5
    assert all(np.array_equal(a["frames"][p], b["frames"][p]) for p in a["vectors"])  # the frame prints too, to the pixel


def test_a_cluster_run_equals_a_local_run(cluster, catalog, tmp_path):
    assert cluster.workers == 2
    local = _run(catalog, tmp_path / "local")
    remote = _run(catalog, tmp_path / "cluster", embedder=cluster, settings=SMALL_BATCHES)
    _same(local, remote)
    with CatalogSearcher(Workspace.locate(catalog, tmp_path / "cluster")) as searcher:
        item = searcher.items()[0]
        assert len(searcher.similar_to_item(item.id, 5)) == 5  # the driver built a searchable index


def test_a_cancelled_cluster_run_leaves_the_index_in_use(cluster, catalog, tmp_path, small_encoder):
    workspace = tmp_path / "ws"
    index_catalog(Workspace.locate(catalog, workspace))
    with CatalogStore(workspace / "catalog.sqlite") as store:
        before = read_state(store)
    cancel = CancelToken()

    def stop_after_a_batch(p: Progress) -> None:
        if p.stage == "encode" and p.done >= 16:
            cancel.cancel()

    with pytest.raises(Cancelled):  # a new encoder: every photo is embedded again, on the cluster
        index_catalog(
            Workspace.locate(catalog, workspace), model=small_encoder, embedder=cluster,
            settings=SMALL_BATCHES, progress=stop_after_a_batch, cancel=cancel,
        )
    with CatalogStore(workspace / "catalog.sqlite") as store:
        assert read_state(store) == before
    with CatalogSearcher(Workspace.locate(catalog, workspace)) as searcher:
        assert len(searcher) == 96


def test_a_worker_lost_mid_run_has_its_batches_run_again(catalog, tmp_path):
    local = _run(catalog, tmp_path / "local")
    with connect("local", workers=2) as embedder:
        pids = embedder.client.run(os.getpid)
        killed = threading.Event()

        def kill_one(p: Progress) -> None:
            if p.stage == "encode" and p.done >= 8 and not killed.is_set():
                killed.set()
                os.kill(next(iter(pids.values())), signal.SIGKILL)

        remote = _run(catalog, tmp_path / "cluster", embedder=embedder, settings=SMALL_BATCHES, progress=kill_one)
        assert killed.is_set()
        assert set(embedder.client.run(os.getpid).values()) != set(pids.values())  # the nanny started a new one
    _same(local, remote)


def test_workers_that_cannot_see_the_catalog_are_refused(cluster, tmp_path, default_encoder):
    encoder = OnnxEncoder(default_encoder)
    embedder = ClusterEmbedder(cluster.client)
    with pytest.raises(ClusterError, match="cannot see the catalog folder"):
        list(embedder(tmp_path / "nowhere", [(1, "a.jpg")], encoder, IndexSettings(), CancelToken()))
