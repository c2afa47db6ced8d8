"""Starting the desktop app, and `--self-test`, which drives the real window offscreen."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QMessageLogContext,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from core.common import RESOURCES
from gui.platform_libs import missing_libraries_message, missing_window_libraries

if TYPE_CHECKING:
    from gui.main_window import MainWindow

APP_NAME = "Lookalike"


def _quiet_offscreen(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Drop the offscreen platform's notes about window-manager hints it cannot honour."""
    if "propagateSizeHints" not in message:
        sys.stderr.write(message + "\n")


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app.setWindowIcon(QIcon(str(RESOURCES / "lookalike.png")))
    app.setDesktopFileName("lookalike")  # Wayland finds the icon through packaging/lookalike.desktop
    return app  # type: ignore[return-value]


def wait_for(signal: object, timeout_s: float) -> list:
    """Run the event loop until `signal` fires (returns its arguments) or time runs out (raises)."""
    loop = QEventLoop()
    received: list = []

    def on_signal(*args: object) -> None:
        received.append(args)
        loop.quit()

    signal.connect(on_signal)  # type: ignore[attr-defined]
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(on_signal)  # type: ignore[attr-defined]
    if not received:
        raise TimeoutError(f"nothing happened within {timeout_s:.0f} s")
    return list(received[0])


def settle_thumbnails(window: "MainWindow", timeout_s: float = 15.0) -> None:
    """Paint, then let the thumbnail loader finish what the paint asked for (for screenshots)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        window.grab()  # a paint requests the visible thumbnails
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if not window.loader.pending_count():
            window.grab()
            QApplication.processEvents()
            if not window.loader.pending_count():
                return


def self_test(screenshot: Path | None, count: int = 60) -> str:
    """Open a fresh demo catalog in the real window, index it, query it; returns a one-line summary."""
    from core.demo import write_demo_catalog
    from gui.main_window import MainWindow

    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="lookalike-self-test-"))
    write_demo_catalog(scratch / "demo", count=count)
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1280, 800)
    window.show()
    errors: list[str] = []
    window.session.error.connect(errors.append)
    if not window.open_catalog(scratch / "demo"):
        raise RuntimeError(errors[-1] if errors else "could not open the demo catalog")
    (report,) = wait_for(window.session.indexed, 300)
    QApplication.processEvents()
    window.catalog_view.setCurrentIndex(window.catalog_filter.index(0, 0))
    (query,) = wait_for(window.query_shown, 60)
    rows = window.results_model.matches()
    if not rows:
        raise RuntimeError("the query returned no matches")
    settle_thumbnails(window)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(screenshot)):
            raise RuntimeError(f"could not write {screenshot}")
    window.close()
    if errors:
        raise RuntimeError(errors[0])
    return (
        f"self-test ok: indexed {report.images} demo photos through the background worker, "
        f"'{query.label}' gave {len(rows)} matches (best {rows[0].score:.3f}) in {time.perf_counter() - started:.1f} s"
        + (f"; screenshot {screenshot}" if screenshot else "")
    )


def has_display(environ: Mapping[str, str], platform: str) -> bool:
    """False where Qt would abort for want of a screen: Linux with no X or Wayland display and no platform chosen."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def run(argv: Sequence[str]) -> int:
    """`python main.py [--open FOLDER] [--self-test [--screenshot FILE]]`."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(prog="lookalike")
    parser.add_argument("--open", metavar="FOLDER", help="open this catalog folder")
    parser.add_argument("--self-test", action="store_true", help="drive the real window offscreen and exit")
    parser.add_argument("--screenshot", help="with --self-test: save the window to this PNG")
    parser.add_argument(
        "--time-startup", action="store_true", help="with --open: print when the grid and its thumbnails first show, then exit"
    )
    parser.add_argument(
        "--time-use", action="store_true", help="with --time-startup: then time keystrokes in the filter and a query, and exit"
    )
    args = parser.parse_args(list(argv))
    if args.time_startup and not args.open:
        parser.error("--time-startup needs --open FOLDER")
    if args.time_use and not args.time_startup:
        parser.error("--time-use needs --time-startup")
    if args.self_test or args.time_startup:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        qInstallMessageHandler(_quiet_offscreen)
    elif not has_display(os.environ, sys.platform):
        print("lookalike: no screen to show the window on (DISPLAY is not set); the command line needs none: see --help", file=sys.stderr)
        return 1
    missing = missing_window_libraries(os.environ, sys.platform)
    if missing:  # Qt would abort natively on loading its platform plugin, saying little
        print(missing_libraries_message(missing), file=sys.stderr)
        return 1
    app = _application()
    if args.self_test:
        try:
            print(self_test(Path(args.screenshot) if args.screenshot else None))
        except Exception as exc:  # any failure is the self-test's answer, as one line
            print(f"self-test failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        return 0
    from gui.main_window import MainWindow

    window = MainWindow()
    if args.time_startup:
        from gui.timing import StartupTimer

        StartupTimer(window, started, use=args.time_use)
    window.show()
    if args.open:
        window.open_catalog(Path(args.open))
    elif window.recent_catalogs() and Path(window.recent_catalogs()[0]).is_dir():
        window.open_catalog(Path(window.recent_catalogs()[0]))
    return app.exec()
