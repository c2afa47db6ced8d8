"""Candidate pairs registered (core.duplicates.registration) side by side on the cores, in three passes.

1. Each photo in a pair is read once and its local features found; the features of every photo are
   kept (tens of kilobytes each), its pixels only in a bounded cache.
2. Each photo's features are matched with all its partners' at once, and the maps found.
3. The pairs that map (one in ten, or fewer) have their pixels compared in the pairs' order, unless the
   verdicts before them settled them (two photos already in one group), reading again a photo the cache
   no longer holds.
A pair with a photo that cannot be read now is marked unread.
"""
from __future__ import annotations

import concurrent.futures as cf
import threading
from collections import OrderedDict
from typing import Callable, Iterable, Iterator

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits

from core.common import CancelToken, ImageError, Progress, ProgressFn, no_progress
from core.duplicates.registration import Features, Mapping, Registration, features_of, map_each, photo_pixels, registration

THREADS = 2  # OpenCV and NumPy let go of the interpreter: two photos at once on two cores
KEPT = 1500  # photos whose pixels are kept at once (a photo at 256 pixels takes about 200 kilobytes)
CHUNK = 32  # photos, first photos of pairs or pairs that map, handed to the threads at a time; cancel is looked at between chunks


class _Pixels:
    """Row -> its pixels, the most recently used KEPT kept; None when the photo cannot be read."""

    def __init__(self, read: Callable[[int], Image.Image]) -> None:
        self._read = read
        self._kept: OrderedDict[int, np.ndarray | None] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, row: int, pixels: np.ndarray | None) -> None:
        with self._lock:
            self._kept[row] = pixels
            self._kept.move_to_end(row)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)

    def __call__(self, row: int) -> np.ndarray | None:
        with self._lock:
            if row in self._kept:
                self._kept.move_to_end(row)
                return self._kept[row]
        image = _read(self._read, row)
        pixels = None if image is None else photo_pixels(image)
        self.keep(row, pixels)
        return pixels


def _read(read: Callable[[int], Image.Image], row: int) -> Image.Image | None:
    try:
        return read(row)
    except (ImageError, OSError):
        return None


def _in_chunks(work: list, do: Callable[[object], None], stage: str, progress: ProgressFn, cancel: CancelToken,
               pool: cf.ThreadPoolExecutor, weights: Iterable[int] | None = None) -> None:
    """`do` each of `work` on the pool, CHUNK at a time, reporting `stage` progress by `weights` (1 each by default)."""
    weights = list(weights) if weights is not None else [1] * len(work)
    total, done = sum(weights), 0
    for start in range(0, len(work), CHUNK):
        cancel.raise_if_cancelled()
        list(pool.map(do, work[start : start + CHUNK]))
        done += sum(weights[start : start + CHUNK])
        progress(Progress(stage, done, total))


def register_pairs(
    a: np.ndarray,
    b: np.ndarray,
    read: Callable[[int], Image.Image],
    needed: Callable[[int], bool] = lambda i: True,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Iterator[tuple[int, Registration | None, bool]]:
    """(i, the registration of photo b[i] onto photo a[i] or None, whether both could be read) for the pairs
    (rows given to `read`, which opens the photo at registration's SIDE) in their order, leaving out those no longer `needed` when their turn comes (asked
    just before, as many pairs at a time as hold CHUNK that map: the verdicts on the pairs before those are known by then)."""
    cancel = cancel or CancelToken()
    pixels = _Pixels(read)
    features: dict[int, Features | None] = {}

    def find_features(row: int) -> None:
        image = _read(read, row)
        seen = None if image is None else photo_pixels(image)
        features[row] = None if seen is None else features_of(seen)
        pixels.keep(row, seen)

    by_first = np.lexsort((b, a))
    firsts = np.split(by_first, np.flatnonzero(np.diff(a[by_first])) + 1) if len(a) else []
    mappings: list[Mapping | None] = [None] * len(a)
    read_both = np.zeros(len(a), bool)

    def map_partners(pairs: np.ndarray) -> None:
        first = features[int(a[pairs[0]])]
        readable = [int(i) for i in pairs if first is not None and features[int(b[i])] is not None]
        read_both[readable] = True
        if readable:
            for i, found in zip(readable, map_each(first, [features[int(b[i])] for i in readable])):
                mappings[i] = found

    found: dict[int, Registration] = {}

    def compare(i: int) -> None:
        first, second = pixels(int(a[i])), pixels(int(b[i]))
        if first is None or second is None:
            read_both[i] = False  # gone since its features were found
        else:
            found[i] = registration(first, second, mappings[i], settle=True)

    with cf.ThreadPoolExecutor(THREADS) as pool:
        rows = sorted(set(a.tolist()) | set(b.tolist()))
        _in_chunks(rows, find_features, "finding local features", progress, cancel, pool)
        with threadpool_limits(1, user_api="blas"):  # OpenBLAS's own threads would make the two queue for each other
            _in_chunks(firsts, map_partners, "matching photos", progress, cancel, pool, [len(f) for f in firsts])
        i = 0
        while i < len(a):
            cancel.raise_if_cancelled()
            chunk, work = [], []  # the next pairs still needed, up to CHUNK of them that map (only those are compared)
            while i < len(a) and len(work) < CHUNK:
                if needed(i):
                    chunk.append(i)
                    if mappings[i] is not None:
                        work.append(i)
                i += 1
            list(pool.map(compare, work))
            for j in chunk:
                yield j, found.pop(j, None), bool(read_both[j])
            progress(Progress("comparing photos", i, len(a)))
