"""The "Match by shape ... colour" slider, moved from the keyboard: what the lookalikes show as it goes right."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.similarity.search import shape_neighbourhood
from gui.main_window import MainWindow
from gui.roles import Roles
from tests.conftest import draw_discs_and_red_shapes

WAIT = 60_000
K = 4


def shown(window: MainWindow) -> list[str]:
    return [Path(window.results_model.index(r, 0).data(Roles.PathRole)).stem for r in range(window.results_model.rowCount())]


def press(qtbot, window: MainWindow, key: Qt.Key, times: int) -> None:
    """Key presses on the focused slider; returns once the lookalikes at its new value are on screen."""
    window.colour_slider.setFocus()
    assert window.colour_slider.hasFocus()
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):  # the presses come before the slider's pause is over: one search
        for _ in range(times):
            QTest.keyClick(window.colour_slider, key)
    assert window.session.colour_weight == window.colour_slider.value() / 100


def test_sliding_right_brings_the_colour_first_then_only_the_colour(qtbot, window, tmp_path):
    catalog = draw_discs_and_red_shapes(tmp_path / "catalog", other_discs=shape_neighbourhood(K, 0.5) - 1)
    window.k_spin.setValue(K)
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(catalog)
    assert window.colour_slider.value() == 0
    red = next(window.catalog_filter.index(r, 0) for r in range(window.catalog_filter.rowCount())
               if window.catalog_filter.index(r, 0).data(Roles.PathRole) == "disc-red-0.png")
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(red)
    by_shape = shown(window)
    assert len(by_shape) == K and all(name.startswith("disc-") for name in by_shape)

    press(qtbot, window, Qt.Key.Key_PageUp, 2)
    assert window.colour_slider.value() == 50
    middle = shown(window)
    assert middle[0] == "disc-red-6"  # its shape and its colour
    assert all(name.startswith("disc-other-") for name in middle[1:])  # then its shape in other colours, no red bar yet

    press(qtbot, window, Qt.Key.Key_Right, 10)
    assert window.colour_slider.value() == 100
    by_colour = shown(window)
    assert all("-red-" in name for name in by_colour) and any(not name.startswith("disc-") for name in by_colour)

    press(qtbot, window, Qt.Key.Key_Home, 1)
    assert window.colour_slider.value() == 0
    assert shown(window) == by_shape
