"""Candidate pairs registered (core.duplicates.registration) side by side on the cores.

Each photo is read once while its pairs are checked: the pairs go in order of their first photo,
and the photos read are kept in a bounded cache (a photo's pixels and features take about a
quarter of a megabyte). A pair with a photo that cannot be read now is marked unread.
"""
from __future__ import annotations

import concurrent.futures as cf
import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from core.common import CancelToken, ImageError, Progress, ProgressFn, no_progress
from core.duplicates.registration import Photo, Registration, register

THREADS = 2  # OpenCV's matching and warping let go of the interpreter: two pairs at once on two cores
KEPT = 1500  # photos kept read at once
CHUNK = 64  # pairs handed to the threads at a time (cancel is looked at between chunks)


class _Photos:
    """Row -> its Photo (None when it cannot be read), the most recently used KEPT kept."""

    def __init__(self, read: Callable[[int], Photo]) -> None:
        self._read = read
        self._kept: OrderedDict[int, Photo | None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, row: int) -> Photo | None:
        with self._lock:
            if row in self._kept:
                self._kept.move_to_end(row)
                return self._kept[row]
        try:
            photo: Photo | None = self._read(row)
        except (ImageError, OSError):
            photo = None
        with self._lock:
            self._kept[row] = photo
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return photo


def register_pairs(
    a: np.ndarray,
    b: np.ndarray,
    read: Callable[[int], Photo],
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[list[Registration | None], np.ndarray]:
    """The registration of photo b[i] onto photo a[i] for each pair (rows given to `read`), in the pairs' order,
    and (P,) bool: whether both photos of the pair could be read."""
    cancel = cancel or CancelToken()
    photos = _Photos(read)
    order = np.lexsort((b, a))
    found: list[Registration | None] = [None] * len(a)
    read_both = np.zeros(len(a), bool)

    def check(i: int) -> None:
        first, second = photos(int(a[i])), photos(int(b[i]))
        if first is not None and second is not None:
            read_both[i] = True
            found[i] = register(first, second)

    with cf.ThreadPoolExecutor(THREADS) as pool:
        for start in range(0, len(order), CHUNK):
            cancel.raise_if_cancelled()
            list(pool.map(check, order[start : start + CHUNK].tolist()))
            progress(Progress("comparing photos", min(len(order), start + CHUNK), len(order)))
    return found, read_both
