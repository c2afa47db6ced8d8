"""The lookalikes beside the list being edited (the drags into it run on X: curating_on_x.py)."""
from __future__ import annotations

from PySide6.QtCore import QSettings

from gui.main_window import MainWindow


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
