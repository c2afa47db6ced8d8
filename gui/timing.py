"""`--time-startup`: how long the real window takes to show a catalog, and then to answer a user.

Lines go to standard output, each starting with what was timed, in seconds since launch or in
milliseconds of work: `grid`, `thumbnails`, then with `--time-use` `loaded` (a large catalog's
grid shows a first page while the rest loads), a `filter` line a keystroke, a `query` line,
`memory` (the process's peak resident memory) and `done`. The bench reads them.
"""
from __future__ import annotations

import resource
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from gui.main_window import MainWindow

# What the filter holds, keystroke by keystroke: a word typed on, cleared, another word, cleared.
TYPED = ("b", "ba", "bag", "bags", "", "boot", "")
QUERY_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 60.0


def _say(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:  # whoever reads the times has stopped reading: nothing more to say
        pass


class StartupTimer(QObject):
    """Prints when the grid first painted with items, then its thumbnails; with `use`, times typing and a query."""

    def __init__(self, window: "MainWindow", started: float, use: bool = False) -> None:
        super().__init__(window)
        self.window, self.started, self.use = window, started, use
        self.grid_shown = self.finished = False
        window.catalog_view.viewport().installEventFilter(self)
        window.session.error.connect(self._failed)
        window.session.problem.connect(lambda problem: self._failed(problem.message))

    def _failed(self, message: str) -> None:
        print(f"startup failed: {message}", file=sys.stderr, flush=True)
        QApplication.instance().exit(1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.window.catalog_filter.rowCount() > 0:
            QTimer.singleShot(0, self._after_paint)
        return False

    def _after_paint(self) -> None:
        now = time.perf_counter() - self.started
        if self.finished:  # paints queued before the filter was removed, or during the timing of use
            return
        if not self.grid_shown:
            self.grid_shown = True
            _say(f"grid {now:.3f} s, {self.window.catalog_filter.rowCount()} items")
            return
        if self.window.loader.pending_count():
            return
        _say(f"thumbnails {now:.3f} s")
        self.finished = True
        self.window.catalog_view.viewport().removeEventFilter(self)
        if self.use:
            self._time_use()
        self.window.close()  # cancels the background re-index the open started
        QApplication.instance().exit(0)

    def _time_use(self) -> None:
        """Type into the filter as a user would once the grid is up, then ask for a product's lookalikes."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.window.catalog_complete() and time.monotonic() < deadline:  # a large catalog's rest
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        _say(f"loaded {time.perf_counter() - self.started:.3f} s, {self.window.catalog_model.rowCount()} items")
        while not self.window.catalog_filter.prepared() and time.monotonic() < deadline:  # made on its own timer
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        timer = self.window.filter_timer
        timer.setInterval(0)  # the pause the filter waits for after each keystroke is not work
        for text in TYPED:
            started = time.perf_counter()
            self.window.filter_edit.setText(text)
            while timer.isActive():
                QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            QApplication.processEvents()
            self.window.catalog_view.viewport().repaint()
            ms = (time.perf_counter() - started) * 1000
            _say(f'filter "{text}" {ms:.1f} ms, {self.window.catalog_filter.rowCount()} items')
        shown: list[object] = []
        self.window.query_shown.connect(shown.append)
        started = time.perf_counter()
        self.window.catalog_view.setCurrentIndex(self.window.catalog_filter.index(0, 0))
        deadline = time.monotonic() + QUERY_TIMEOUT_S
        while not shown and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        self.window.results_view.viewport().repaint()
        if shown:
            ms = (time.perf_counter() - started) * 1000
            _say(f"query {ms:.1f} ms, {self.window.results_model.rowCount()} matches")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
        _say(f"memory {peak_mb:.0f} MB")
        _say("done")
