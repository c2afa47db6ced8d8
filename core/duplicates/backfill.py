"""Frame prints for photos embedded before Lookalike kept them, read from the photos once.

A workspace indexed by an earlier version has embeddings and no frame prints, and indexing does
not embed unchanged photos again. The first look for duplicates reads those photos (two at a time,
as indexing does) and stores their prints, a batch per transaction: stopped at any point, the
prints stored so far are kept and the next run reads only the rest. A photo that cannot be read
now keeps no print and is compared by shape alone.
"""
from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import numpy as np

from core.catalog import catalog_file, load_frame_print
from core.common import CancelToken, ImageError, Progress, ProgressFn, no_progress
from core.similarity import OnnxEncoder
from core.storage import CatalogStore, Workspace

BATCH = 256
THREADS = 2


def _print_of(catalog: Path, relative: str, side: int) -> np.ndarray | None:
    """The print as indexing read it: decoded for an encoder of `side` pixels."""
    try:
        return load_frame_print(catalog_file(catalog, relative), side)
    except (ImageError, OSError):
        return None


def fill_missing_prints(
    ws: Workspace, model_id: str, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
) -> int:
    """Read and store the prints of the searchable photos embedded by `model_id` without one; how many were stored."""
    cancel = cancel or CancelToken()
    with CatalogStore(ws.database) as store:
        todo = store.without_frames(model_id)
        if not todo:
            return 0
        stored = 0
        progress(Progress("prints", 0, len(todo)))
        side = OnnxEncoder(ws.encoder_in_use()).input_size
        with cf.ThreadPoolExecutor(THREADS) as pool:
            for start in range(0, len(todo), BATCH):
                cancel.raise_if_cancelled()
                batch = todo[start : start + BATCH]
                prints = list(pool.map(lambda row: _print_of(ws.catalog, row[1], side), batch))
                read = [(item_id, found) for (item_id, _), found in zip(batch, prints) if found is not None]
                if read:
                    store.save_frames(model_id, [item_id for item_id, _ in read], np.stack([found for _, found in read]))
                stored += len(read)
                progress(Progress("prints", start + len(batch), len(todo)))
        return stored
