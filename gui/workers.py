"""Running core jobs off the GUI thread and turning their callbacks into Qt signals."""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, Signal

from core.common import Cancelled, CancelToken, LookalikeError, Progress, ProgressFn

JobFn = Callable[[ProgressFn, CancelToken], Any]


def while_alive(owner: QObject, slot: Callable[..., Any]) -> Callable[..., None]:
    """`slot`, called only while `owner` (a window, a dialog) still exists.

    A job outlives the window that started it, and its last signals are delivered queued: a
    lambda connected to them is not disconnected when the window goes, as a bound slot would be.
    """

    def call(*args: Any) -> None:
        if shiboken6.isValid(owner):
            slot(*args)

    return call


class Job(QObject):
    """One core job on its own thread: start, progress, finished, failed, cancelled. Nothing more.

    Signals are emitted from the job's thread and delivered queued to receivers in the GUI
    thread, so slots never run concurrently with the window. A job has no Qt parent: its thread
    keeps it alive, so closing a window can never delete a job that is still emitting.
    """

    progress = Signal(object)  # core.common.jobs.Progress
    finished = Signal(object)  # the job's return value
    failed = Signal(str)  # a one-line message
    cancelled = Signal()
    done = Signal()  # after any of the three outcomes

    def __init__(self, name: str, fn: JobFn) -> None:
        super().__init__()
        self.name = name
        self._fn = fn
        self._token = CancelToken()
        self._thread: threading.Thread | None = None
        self._ended = threading.Event()  # set before the outcome is announced

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"job-{self.name}", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._token.cancel()

    @property
    def running(self) -> bool:
        """True from start until the job's work is over: false already in slots of its outcome signals.

        The thread itself may still be alive for a moment after that (it emits `done` last), so
        this does not ask the thread: a job started from `finished` must not be refused as busy.
        """
        return self._thread is not None and not self._ended.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job's thread ends (for shutdown); True if it did."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _report(self, p: Progress) -> None:
        self.progress.emit(p)

    def _run(self) -> None:
        try:
            result = self._fn(self._report, self._token)
        except Cancelled:
            self._ended.set()
            self.cancelled.emit()
        except LookalikeError as exc:
            self._ended.set()
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug must reach the user as a message, not kill the thread silently
            traceback.print_exc()
            self._ended.set()
            self.failed.emit(f"internal error: {type(exc).__name__}: {exc}")
        else:
            self._ended.set()
            self.finished.emit(result)
        self.done.emit()
