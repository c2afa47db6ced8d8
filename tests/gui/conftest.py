"""The real main window, offscreen, with settings of its own."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from gui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path, default_encoder):
    """A shown main window with a fresh settings file; its jobs are stopped when the test ends."""
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    yield win
    win.session.shutdown()
