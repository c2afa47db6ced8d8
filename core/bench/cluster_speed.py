"""`bench speed`, cluster part: indexing on a local Dask cluster of 1 and of 2 one-thread workers.

Each run indexes the catalog from scratch into a fresh workspace, as `index --cluster local`
does; the time counts from the index run's start (the cluster is started before it). The
embeddings of every run are compared with a local run's in the same benchmark.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.similarity import index_catalog
from core.storage import CatalogStore, Workspace, read_state


@dataclass(frozen=True)
class ClusterRun:
    workers: int
    images: int
    seconds: float
    start_seconds: float  # starting the local cluster, before the run
    same_items: bool  # as a local run: the same photos embedded
    max_difference: float  # the largest difference of any embedding number from the local run's

    @property
    def per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0


def _embeddings(workspace: Path) -> dict[str, np.ndarray]:
    with CatalogStore(workspace / "catalog.sqlite") as store:
        state = read_state(store)
        assert state is not None
        ids, vectors = store.embeddings(state.model_id)
        paths = dict(store.query("SELECT id, path FROM items"))
    return {paths[i]: v for i, v in zip(ids.tolist(), vectors)}


def cluster_throughput(catalog: Path, images: int, workers: tuple[int, ...] = (1, 2)) -> list[ClusterRun]:
    from core.cluster import connect

    runs = []
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-cluster-") as tmp:
        index_catalog(Workspace.locate(catalog, Path(tmp) / "local"))
        local = _embeddings(Path(tmp) / "local")
        for count in workers:
            started = time.perf_counter()
            with connect("local", count) as embedder:
                ready = time.perf_counter()
                index_catalog(Workspace.locate(catalog, Path(tmp) / f"cluster-{count}"), embedder=embedder)
                seconds = time.perf_counter() - ready
            remote = _embeddings(Path(tmp) / f"cluster-{count}")
            same = sorted(remote) == sorted(local)
            worst = max((float(np.abs(remote[p] - local[p]).max()) for p in local if p in remote), default=float("inf"))
            runs.append(ClusterRun(count, images, seconds, ready - started, same, worst))
    return runs
