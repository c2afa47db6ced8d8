"""`--time-startup`: how long the real window takes to show a catalog, and then to answer a user.

Lines go to standard output, each starting with what was timed, in seconds since launch or in
milliseconds of work: `grid`, `thumbnails`, then with `--time-use` `loaded` (a large catalog's
grid shows a first page while the rest loads), a `filter-busy` line a keystroke while the
re-index that opening starts still runs, `settled` when it is over, a `filter` line a keystroke,
a `query` line, `memory` (the process's peak resident memory) and `done`. The bench reads them.
"""
from __future__ import annotations

import resource
import sys
import time
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from gui.main_window import MainWindow

# What the filter holds, keystroke by keystroke: a word typed on, cleared, another word, cleared.
TYPED = ("b", "ba", "bag", "bags", "", "boot", "")
QUERY_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 900.0


def _say(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:  # whoever reads the times has stopped reading: nothing more to say
        pass


def _wait_until(condition: Callable[[], bool], timeout_s: float, every_ms: int = 20) -> None:
    """Run the event loop until `condition` holds or time runs out, idle in between (threads run freely)."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=every_ms)
    timer.timeout.connect(lambda: loop.quit() if condition() or time.monotonic() > deadline else None)
    if not condition():
        timer.start()
        loop.exec()
        timer.stop()


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
        _wait_until(self.window.catalog_complete, READY_TIMEOUT_S)  # a large catalog's rest
        _say(f"loaded {time.perf_counter() - self.started:.3f} s, {self.window.catalog_model.rowCount()} items")
        _wait_until(self.window.catalog_filter.prepared, READY_TIMEOUT_S)  # made on its own timer
        self.window.filter_timer.setInterval(0)  # the pause the filter waits for after each keystroke is not work
        if self.window.session.busy():
            self._type("filter-busy")  # while the re-index that opening starts runs beside
            _wait_until(lambda: not self.window.session.busy(), SETTLE_TIMEOUT_S)
            _say(f"settled {time.perf_counter() - self.started:.3f} s")
        self._type("filter")
        shown: list[object] = []
        self.window.query_shown.connect(shown.append)
        started = time.perf_counter()
        self.window.catalog_view.setCurrentIndex(self.window.catalog_filter.index(0, 0))
        _wait_until(lambda: bool(shown), QUERY_TIMEOUT_S, every_ms=1)
        self.window.results_view.viewport().repaint()
        if shown:
            ms = (time.perf_counter() - started) * 1000
            _say(f"query {ms:.1f} ms, {self.window.results_model.rowCount()} matches")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
        _say(f"memory {peak_mb:.0f} MB")
        _say("done")

    def _type(self, word: str) -> None:
        """Give the filter each text of TYPED in turn, timing each keystroke's search and repaint."""
        timer = self.window.filter_timer
        for text in TYPED:
            started = time.perf_counter()
            self.window.filter_edit.setText(text)
            while timer.isActive():
                QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            QApplication.processEvents()
            self.window.catalog_view.viewport().repaint()
            ms = (time.perf_counter() - started) * 1000
            _say(f'{word} "{text}" {ms:.1f} ms, {self.window.catalog_filter.rowCount()} items')
