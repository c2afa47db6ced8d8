"""Jobs on their own threads, as the session starts them one after another."""
from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from gui.workers import Job

WAIT = 10_000


def test_a_job_is_over_in_the_slots_of_its_outcome_while_its_thread_still_runs(qtbot):
    # The worker thread is held between `finished` and `done`, so the GUI thread's slot
    # certainly runs while the thread is alive: `running` must already say the job is over,
    # or a job started from that slot (Export right after Make Lists) is refused as busy.
    release = threading.Event()
    job = Job("first", lambda progress, cancel: 42)
    seen: list[tuple[bool, bool]] = []

    def in_gui_thread(result: object) -> None:
        alive = job._thread is not None and job._thread.is_alive()
        seen.append((job.running, alive))
        release.set()

    job.finished.connect(in_gui_thread, Qt.ConnectionType.QueuedConnection)  # posted first, then the hold
    job.finished.connect(lambda _: release.wait(WAIT / 1000), Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(job.done, timeout=WAIT):
        job.start()
    assert seen == [(False, True)]
    assert job.wait(WAIT / 1000) and not job.running


def test_a_failed_or_cancelled_job_is_over_when_it_says_so(qtbot):
    def stop(progress, cancel):
        cancel.cancel()
        cancel.raise_if_cancelled()

    for fn, signal in ((stop, "cancelled"), (lambda p, c: 1 / 0, "failed")):
        job = Job("x", fn)
        states: list[bool] = []
        getattr(job, signal).connect(lambda *_: states.append(job.running), Qt.ConnectionType.DirectConnection)
        with qtbot.waitSignal(job.done, timeout=WAIT):
            job.start()
        assert states == [False]


def test_a_window_closed_before_its_job_ends_is_not_called_by_the_job(qtbot):
    """The job outlives the window that started it: its last signals reach a deleted window's slot only if guarded."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QWidget

    from gui.workers import while_alive

    hold = threading.Event()
    called: list[str] = []
    for keep_window in (False, True):
        hold.clear()
        job = Job("slow", lambda progress, cancel: hold.wait(WAIT / 1000))
        window = QWidget()
        job.done.connect(while_alive(window, lambda: called.append(window.objectName() or "alive")))
        job.start()
        if not keep_window:
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        with qtbot.waitSignal(job.done, timeout=WAIT):
            hold.set()
        assert job.wait(WAIT / 1000)
        qtbot.wait(50)
        assert called == ([] if not keep_window else ["alive"])
        if keep_window:
            window.deleteLater()
