"""What long jobs share: a cancel token and the progress callback shape.

Every long core job takes `progress` (a callable receiving a `Progress`) and `cancel`
(a `CancelToken`); neither knows anything about threads or widgets.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from core.common.errors import Cancelled


class CancelToken:
    """Set from any thread; checked by the job between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True)
class Progress:
    """One progress report: `done` of `total` units of `stage`, with optional detail."""

    stage: str
    done: int
    total: int
    detail: str = ""
    loss: float | None = None
    epoch: int | None = None


ProgressFn = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default progress callback: report nothing."""


class Rate:
    """Items per second since construction, for progress details."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def per_second(self, count: int) -> float:
        elapsed = time.perf_counter() - self.start
        return count / elapsed if elapsed > 0 else 0.0
