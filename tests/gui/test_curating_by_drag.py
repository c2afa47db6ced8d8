"""The lookalikes beside the list being edited, and products dragged into it from either grid.

The drags run on a real X server: Qt's offscreen platform cannot drag, so each test of
curating_on_x.py runs in a pytest of its own on Xvfb (xcb platform). What needs no drag runs here.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from gui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
ON_X = Path(__file__).with_name("curating_on_x.py")
JOURNEYS = [node.name for node in ast.parse(ON_X.read_text()).body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


@pytest.mark.parametrize("journey", JOURNEYS)
def test_on_a_real_x_server(journey, x_display, tmp_path):
    """Screenshots go to LOOKALIKE_SCREENSHOTS if set (to be looked at), else beside the run."""
    shots = os.environ.get("LOOKALIKE_SCREENSHOTS") or str(tmp_path / "screenshots")
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "LOOKALIKE_SCREENSHOTS": shots}
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"), f"{ON_X}::{journey}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1] and "skipped" not in result.stdout.splitlines()[-1], result.stdout[-2000:]


def test_the_lookalikes_and_the_list_show_side_by_side_and_keep_their_sizes(qtbot, tmp_path, default_encoder):
    settings = tmp_path / "settings.ini"
    first = MainWindow(settings=QSettings(str(settings), QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    lookalikes, panel = first.results_view, first.curation_panel
    assert lookalikes.isVisible() and panel.isVisible()
    assert lookalikes.mapTo(first, lookalikes.rect().topRight()).x() < panel.mapTo(first, panel.rect().topLeft()).x()
    first.curation_splitter.setSizes([300, 500])
    qtbot.waitUntil(lambda: first.curation_splitter.sizes()[0] < first.curation_splitter.sizes()[1])
    chosen = first.curation_splitter.sizes()
    first.close()

    again = MainWindow(settings=QSettings(str(settings), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    again.resize(first.size())  # the offscreen platform does not give a window back its saved geometry
    again.show()
    qtbot.waitExposed(again)
    assert again.curation_splitter.sizes() == chosen
    again.close()
