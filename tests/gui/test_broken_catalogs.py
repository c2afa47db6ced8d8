"""The real window on catalogs that went wrong: it stays up, says what is wrong, and offers what can be done."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.common import SMALL_ENCODER, faults
from core.common.errors import Cancelled
from core.demo import write_demo_catalog
from core.lists.curation import Curation, Rules
from core.similarity.indexing import index_catalog
from core.similarity.search import CatalogSearcher
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace
from gui.main_window import MainWindow
from tests.conftest import index_file

WAIT = 60_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def curated_source(tmp_path_factory) -> Path:
    """A demo catalog of 30, indexed, with lists and a few pins and notes, backed up."""
    folder = tmp_path_factory.mktemp("broken-src") / "catalog"
    write_demo_catalog(folder, count=30)
    ws = Workspace.locate(folder)
    index_catalog(ws)
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        curation.generate(searcher, Rules(k=5))
        for item in searcher.items()[:5]:
            curation.pin(item.id, "related", curation.state(item.id).shown[1].target_id)
            curation.set_note(item.id, "related", f"note for {item.path}")
    index_catalog(ws)  # nothing changed: no backup; so one is made by hand, as a later run would
    from core.storage.backup import backup_database

    with CatalogStore(ws.database) as store:
        backup_database(ws, store)
    return folder


@pytest.fixture
def catalog(curated_source, tmp_path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(curated_source, target)
    return target


def decisions(catalog: Path) -> dict:
    ws = Workspace.locate(catalog)
    with CatalogStore(ws.database) as store:
        curation = Curation(store)
        return {s.item_id: (s.note, [e.target_id for e in s.shown if e.pinned]) for s in curation.all_states() if s.note}


def banner_buttons(window: MainWindow) -> list[str]:
    return [b.text() for b in window.banner.buttons]


def test_a_catalog_from_a_newer_lookalike_leaves_the_open_one_and_offers_another(qtbot, window, catalog, tmp_path):
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(catalog)
    newer = tmp_path / "newer"
    shutil.copytree(catalog, newer)
    with CatalogStore(Workspace.locate(newer).database) as store:
        store.set_meta({"schema_version": "99"})
    assert not window.open_catalog(newer)
    assert window.banner.isVisible() and "newer Lookalike" in window.banner.label.text()
    assert banner_buttons(window) == ["Open Another Catalog…"]
    assert window.session.ws.catalog == catalog.resolve() and window.catalog_model.rowCount() == 30


def test_the_most_recent_catalog_broken_at_launch_does_not_stop_the_app(qtbot, catalog, tmp_path):
    ws = Workspace.locate(catalog)
    (ws.root / "backups").rename(tmp_path / "no-backups")  # nothing to restore from
    ws.database.write_bytes(b"garbage " * 500)
    # The real program, started as a user starts it on that catalog: it puts the damage aside and shows the catalog.
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--open", str(catalog), "--time-startup"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "grid" in result.stdout and "30 items" in result.stdout
    assert len(list((ws.root / "damaged").iterdir())) == 1
    # In the window, the same again: said in the banner, the window up throughout, the catalog indexed afresh.
    ws.database.write_bytes(b"garbage " * 500)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("recent_catalogs", [str(catalog)])
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    try:
        with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
            assert win.open_catalog(Path(win.recent_catalogs()[0]))
        assert "no backup" in win.last_error and "moved aside" in win.last_error
        assert win.catalog_model.rowCount() == 30 and win.session.searcher is not None
    finally:
        win.session.shutdown()


def test_a_damaged_database_is_restored_from_its_backup_with_the_lists(qtbot, window, catalog):
    kept = decisions(catalog)
    ws = Workspace.locate(catalog)
    data = bytearray(ws.database.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 8192] = b"\xde\xad" * 4096
    ws.database.write_bytes(bytes(data))
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(catalog)
    assert "restored from the backup" in window.banner.label.text() and window.banner.isVisible()
    assert decisions(catalog) == kept and len(kept) == 5
    assert list((ws.root / "damaged").iterdir())
    assert window.session.searcher is not None


def test_a_random_index_file_is_rebuilt_on_opening_and_said(qtbot, window, catalog):
    path = index_file(Workspace.locate(catalog))
    path.write_bytes(bytes(range(256)) * (path.stat().st_size // 256))
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as blocker:
        assert window.open_catalog(catalog)
    assert blocker.args[0].repaired is not None
    assert "rebuilt from the stored embeddings" in window.banner.label.text()
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(3, 0))
    best = window.results_model.matches()[0]
    assert best.score > 0.5


def test_photos_gone_from_the_folder_are_shown_missing_and_forgotten_only_when_confirmed(qtbot, window, catalog):
    kept = decisions(catalog)
    shutil.rmtree(catalog / "backpacks")
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(catalog)
    assert "3 missing" in window.count_label.text()
    assert "no longer in the catalog folder" in window.banner.label.text()
    assert banner_buttons(window) == ["Forget Missing Photos…"]
    assert decisions(catalog) == kept  # their lists, and the lists naming them, are as they were
    row = next(r for r in range(window.catalog_model.rowCount()) if window.catalog_model.item(r).missing)
    assert "Missing since" in window.catalog_model.index(row).data(__import__("PySide6.QtCore").QtCore.Qt.ItemDataRole.ToolTipRole)
    window.grab().save(str(Path(window.session.ws.root) / "missing.png"))

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and "3 photos" in box.text()
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Cancel))
    assert not window.forget_missing()
    assert "3 missing" in window.count_label.text()
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Discard))
    assert window.forget_missing()
    assert "missing" not in window.count_label.text() and window.catalog_model.rowCount() == 27
    assert "Forgot 3 missing photos" in window.statusBar().currentMessage()


def test_list_making_stopped_half_way_is_said_on_opening(qtbot, window, tmp_path):
    big = tmp_path / "big"
    write_demo_catalog(big, count=210)  # lists matched one search each are written 200 at a time: two commits
    ws = Workspace.locate(big)
    index_catalog(ws, model=SMALL_ENCODER)  # the small built-in encoder: what is tested is the stopped run, said
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        # each batch passes "db:lists:commit" and "db:lists:committed": the third is the second batch's commit
        with faults.arm("db:lists:commit#3", "cancel"), pytest.raises(Cancelled):
            curation.generate(searcher, Rules(k=4), bulk=False)
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(big)
    assert "was stopped after 200 of 210" in window.banner.label.text() and banner_buttons(window) == ["Make Lists…"]


def test_an_edit_on_a_full_disk_is_said_and_the_list_stays_as_it_was(qtbot, window, catalog):
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        window.open_catalog(catalog)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(6, 0))
    panel = window.curation_panel
    before = [panel.model.entry(r) for r in range(panel.model.rowCount())]
    panel.view.setCurrentIndex(panel.model.index(2, 0))
    with faults.arm("db:lists", "full"):
        panel.toggle_pin()
    assert "disk is full" in window.banner.label.text()
    assert [panel.model.entry(r) for r in range(panel.model.rowCount())] == before
    panel.toggle_pin()  # room again: the same edit goes through
    assert panel.model.entry(2).pinned


def test_export_started_the_moment_lists_are_made_is_not_refused(qtbot, window, catalog, tmp_path):
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        window.open_catalog(catalog)
    started: list[bool] = []
    window.session.generated.connect(lambda _: started.append(window.export_lists(tmp_path / "now.csv", "csv")))
    for _ in range(5):
        with qtbot.waitSignal(window.session.exported, timeout=WAIT):
            with qtbot.waitSignal(window.session.generated, timeout=WAIT):
                assert window.make_lists(Rules(k=3))
    assert started == [True] * 5 and (tmp_path / "now.csv").is_file()
