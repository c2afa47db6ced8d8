"""The real main window, offscreen, with settings of its own; a real X server for what offscreen cannot do."""
from __future__ import annotations

import gc
import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from core.demo import write_demo_catalog
from gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def windows_gone_after(qapp) -> Iterator[None]:
    """After each test, its closed windows deleted now, not during a later test.

    Qt deletes a closed window on a later turn of the event loop, and Python frees its wrappers
    when the collector runs: left to chance, a window of one test would be torn down while the
    next test's window is running, its views asking their models as those go.
    """
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.processEvents()


@pytest.fixture(autouse=True)
def no_key_left_held(qapp) -> Iterator[None]:
    """After each test, the keyboard as a hand leaves it: no modifier held.

    QTest releases Ctrl or Alt with a key event that still carries the modifier (as X11 reports
    it), and the offscreen platform sends no later event to put the state right: the next test's
    selections would count as Ctrl+clicks and toggle instead of select.
    """
    yield
    if QApplication.keyboardModifiers() != Qt.KeyboardModifier.NoModifier:
        probe = QWidget()
        QTest.keyRelease(probe, Qt.Key.Key_Control)  # a release that carries no modifier: the state is read from it
        probe.deleteLater()


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-product demo catalog, drawn once; tests open copies of it (`catalog`), never it."""
    folder = tmp_path_factory.mktemp("demo-src") / "demo"
    write_demo_catalog(folder, count=30)
    return folder


@pytest.fixture
def catalog(tmp_path: Path, demo_source: Path) -> Path:
    """A fresh copy of the demo catalog (of a module's own `demo_source` where it has one)."""
    folder = tmp_path / "catalog"
    shutil.copytree(demo_source, folder)
    return folder


@pytest.fixture
def shown_window(qtbot, tmp_path, default_encoder) -> Iterator[Callable[..., MainWindow]]:
    """Makes main windows at a size, at the screen's top left, shown, with a settings file of their own
    (`settings` names another, to open a window again as after a restart); their jobs are stopped at the end."""
    made: list[MainWindow] = []

    def make(size: tuple[int, int] = (1280, 800), settings: Path | None = None) -> MainWindow:
        win = MainWindow(settings=QSettings(str(settings or tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        win.resize(*size)
        win.move(0, 0)
        win.show()
        qtbot.waitExposed(win)
        made.append(win)
        return win

    yield make
    for win in made:
        win.session.shutdown()


@pytest.fixture
def window(qtbot, tmp_path, default_encoder):
    """A shown main window with a fresh settings file; its jobs are stopped when the test ends."""
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    yield win
    win.session.shutdown()


@pytest.fixture(scope="session")
def x_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real X server, Xvfb, on a display number it picks itself (-displayfd); yields its DISPLAY (a 2560 x 1440 screen)."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: the journeys on a real X server need it (packaging/install-system-libs.sh installs it)")
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (packaging/install-system-libs.sh installs it)")
    log = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    read_end, write_end = os.pipe()
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "2560x1440x24"],
            pass_fds=(write_end,),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)  # Xvfb writes the number once it accepts clients
        number = os.read(read_end, 32).decode().strip() if ready else ""
        if not number.isdigit():
            pytest.fail(f"Xvfb did not start within 30 s: {log.read_text(errors='replace')[-2000:]}")
        assert Path(f"/tmp/.X11-unix/X{number}").exists()
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

