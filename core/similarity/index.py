"""The similarity index: Annoy over unit-length embeddings.

Annoy positions are dense (0..N-1); which item each position holds is kept by the caller
(the workspace database). The file is written beside the target and renamed, and it is
memory-mapped on load, so opening a large index is instant.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from annoy import AnnoyIndex

from core.common import CancelToken, OutputError, SearchIndexError, faults
from core.similarity.encoder import normalise

# Annoy counts in C ints: a search asks for at most this many nodes.
_MOST_SEARCH_K = 2**31 - 1


@dataclass(frozen=True)
class Hit:
    position: int
    score: float  # cosine similarity, higher is more alike


def build_index(vectors: np.ndarray, path: Path, trees: int = 50, cancel: CancelToken | None = None) -> None:
    """Build an angular Annoy index of `vectors` (row i at position i) and atomically replace `path`."""
    if len(vectors) == 0:
        raise SearchIndexError("nothing to index: no readable images were embedded")
    unit = normalise(vectors)
    index = AnnoyIndex(unit.shape[1], "angular")
    index.set_seed(1)
    for position, vector in enumerate(unit):
        index.add_item(position, vector)
    if cancel is not None:
        cancel.raise_if_cancelled()
    index.build(trees, n_jobs=-1)
    if cancel is not None:
        cancel.raise_if_cancelled()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        faults.point(f"annoy:save:{path.name}")
        index.save(tmp)
        index.unload()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        faults.point(f"annoy:replace:{path.name}")
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cosine(distance: float) -> float:
    """Annoy's angular distance is sqrt(2 - 2 cos)."""
    return 1.0 - distance * distance / 2.0


class SearchIndex:
    """A saved index, memory-mapped."""

    def __init__(self, path: Path, dim: int) -> None:
        if not Path(path).exists():
            raise SearchIndexError(f"no index at {path}; index the catalog first")
        self.dim = dim
        self._index = AnnoyIndex(dim, "angular")
        try:
            self._index.load(str(path))
        except OSError as exc:
            raise SearchIndexError(f"cannot load index {path}: {exc}") from None

    def __len__(self) -> int:
        return self._index.get_n_items()

    def search(self, vector: np.ndarray, k: int, search_k: int = -1, exclude: int | None = None) -> list[Hit]:
        """The k nearest positions to `vector` by cosine similarity, best first, never `exclude`."""
        vector = np.asarray(vector, np.float32).reshape(-1)
        if vector.shape[0] != self.dim:
            raise SearchIndexError(f"query has {vector.shape[0]} dimensions, index has {self.dim}")
        want = min(k + (1 if exclude is not None else 0), len(self))
        if want <= 0:
            return []
        if search_k > 0:  # Annoy returns at most about search_k / trees answers; a long list needs a wider search
            search_k = min(max(search_k, want * self._index.get_n_trees()), _MOST_SEARCH_K)
        ids, distances = self._index.get_nns_by_vector(normalise(vector).tolist(), want, search_k, include_distances=True)
        hits = [Hit(i, _cosine(d)) for i, d in zip(ids, distances) if i != exclude]
        return hits[:k]

    def vector(self, position: int) -> np.ndarray:
        """The unit-length vector stored at `position`."""
        return np.asarray(self._index.get_item_vector(position), np.float32)

    def close(self) -> None:
        self._index.unload()
