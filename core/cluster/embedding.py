"""Decoding and encoding on a Dask cluster, for catalogs that outgrow one machine.

`index CATALOG --cluster ADDRESS` sends the photos to embed, in batches, to the workers of a
Dask scheduler (`--cluster local` starts one on this machine, with worker processes of one
thread each). Every worker reads the photos from the catalog folder by the same path, so the
catalog must be on storage all of them reach (a shared folder). A worker decodes, hashes and
encodes its batch with the same code as a local run, with the encoder sent to it once, and sends
back the embeddings; the driver stores them and builds the index, as a local run does. Batches
of a worker that is lost are run again by Dask on another (each may be tried `RETRIES` more
times). Cancelling cancels what is still queued; the index in use stays until a run finishes.

Dask is an optional extra (`pip install "lookalike[cluster]"`); nothing else imports this module.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.common import CancelToken, IndexSettings, InputError, LookalikeError
from core.similarity import EmbeddedBatch, Embedder, OnnxEncoder, decode_batch, embed_decoded

LOCAL = "local"
LOCAL_WORKERS = 2
RETRIES = 2
IN_FLIGHT_PER_WORKER = 3  # batches queued per worker: enough to keep it busy, few enough to cancel at once
_ENCODERS: dict[str, OnnxEncoder] = {}  # in a worker process: the encoders it was sent, by digest


class ClusterError(LookalikeError):
    """The cluster cannot be reached or cannot do the work."""


def _dask():
    try:
        import distributed
    except ImportError:
        raise InputError('a cluster needs Dask: pip install "lookalike[cluster]"') from None
    return distributed


def _worker_embed(catalog: str, rows: list[tuple[int, str]], model: bytes, digest: str) -> EmbeddedBatch:
    """Run on a worker: decode, hash and encode one batch, one thread, the encoder loaded once per process."""
    encoder = _ENCODERS.get(digest)
    if encoder is None:
        encoder = _ENCODERS[digest] = OnnxEncoder(Path(f"encoder-{digest[:12]}.onnx"), threads=1, data=model)
    return embed_decoded(decode_batch(Path(catalog), rows, encoder.input_size), encoder)


def _worker_sees(catalog: str) -> bool:
    return os.path.isdir(catalog)


class ClusterEmbedder:
    """An `Embedder` that runs on the workers of a connected Dask client."""

    def __init__(self, client) -> None:
        self.client = client

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def _check_catalog(self, catalog: Path) -> None:
        seen = self.client.run(_worker_sees, str(catalog))
        if not seen:
            raise ClusterError("the cluster has no workers")
        blind = [address for address, ok in seen.items() if not ok]
        if blind:
            raise ClusterError(
                f"worker {blind[0]} cannot see the catalog folder {catalog}; "
                "the photos must be on storage every worker reaches, by the same path"
            )

    def __call__(
        self, catalog: Path, todo: list[tuple[int, str]], encoder: OnnxEncoder, settings: IndexSettings, cancel: CancelToken
    ) -> Iterator[EmbeddedBatch]:
        if not todo:
            return
        distributed = _dask()
        self._check_catalog(catalog)
        digest = hashlib.sha256(encoder.model_bytes).hexdigest()
        model = self.client.scatter(encoder.model_bytes, broadcast=True, hash=False)
        batches = [todo[i : i + settings.batch_size] for i in range(0, len(todo), settings.batch_size)]
        pending = iter(batches)
        running = set()

        def submit(count: int) -> list:
            futures = []
            for rows in (next(pending, None) for _ in range(count)):
                if rows is None:
                    break
                futures.append(self.client.submit(_worker_embed, str(catalog), rows, model, digest, retries=RETRIES, pure=False))
            running.update(futures)
            return futures

        queue = distributed.as_completed(submit(max(1, self.workers) * IN_FLIGHT_PER_WORKER), loop=self.client.loop)
        try:
            for future in queue:
                running.discard(future)
                cancel.raise_if_cancelled()
                try:
                    batch = future.result()
                except Exception as exc:  # a batch failed on every try: the run stops, nothing half-stored is used
                    raise ClusterError(f"the cluster could not embed a batch: {str(exc).splitlines()[0][:200]}") from None
                for more in submit(1):
                    queue.add(more)
                yield batch
        finally:
            if running:
                self.client.cancel(list(running))


@contextmanager
def connect(address: str, workers: int = LOCAL_WORKERS) -> Iterator[Embedder]:
    """An embedder on the Dask scheduler at `address` ("local": a new one here with `workers` one-thread processes)."""
    distributed = _dask()
    cluster = None
    try:
        if address == LOCAL:
            if workers < 1:
                raise InputError("a local cluster needs at least 1 worker")
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
            )
            client = distributed.Client(cluster, set_as_default=False)
        else:
            client = distributed.Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the cluster at {address}: {exc}") from None
    try:
        yield ClusterEmbedder(client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

