"""Help › Lookalike Help and About, the first-run hints of an empty window, and file choosers that
open where the last file or folder of their kind was chosen: driven by keys and clicks."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QDir, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QPushButton

from core.bench.photo_server import PhotoServer
from core.bench.shop_catalogs import make_products, write_photos, write_shopify_export
from core.common import RESOURCES
from core.demo import write_demo_catalog
from gui.help import HELP_PAGE, NO_KEY, named_keys
from gui.main_window import MainWindow
from tests.gui.hands import Opened, activate, key, menu_entry, press_enter, press_escape, shot, type_name, with_modal

WAIT = 60_000
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo-src") / "demo"
    write_demo_catalog(folder, count=24)
    return folder


@pytest.fixture
def catalog(demo_source, tmp_path) -> Path:
    target = tmp_path / "shelves" / "catalog"
    shutil.copytree(demo_source, target)
    return target


def restart(qtbot, tmp_path: Path) -> MainWindow:
    """Another window on the same settings file, as after quitting and starting again."""
    again = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    again.resize(1200, 760)
    again.show()
    activate(again)
    return again


def keys_of(window: MainWindow) -> list[QKeySequence]:
    """Every key the window answers to: its actions' and its panels' (all bindings of each)."""
    return [key for act in window.findChildren(QAction) for key in act.shortcuts()]


def test_f1_opens_a_guide_that_names_only_keys_the_window_has(qtbot, window):
    activate(window)
    QTest.keyClick(window, Qt.Key.Key_F1)
    dialog = window.help_dialog
    qtbot.waitUntil(dialog.isVisible)
    page = dialog.html
    assert "{{" not in page and NO_KEY not in page
    text = dialog.browser.toPlainText()
    for topic in ("Open a catalog", "Find lookalikes", "Curate with the keyboard", "Make lists", "Export", "Train", "Duplicates"):
        assert topic.lower() in text.lower(), topic
    named = named_keys(page)
    assert len(named) >= 20
    known = keys_of(window)
    for name in named:
        sequence = QKeySequence(name, QKeySequence.SequenceFormat.NativeText)
        assert not sequence.isEmpty() and sequence in known, f"the guide names {name}, which no action has"
    assert window.paste_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText) in named
    path = shot(dialog, "help")
    assert path.stat().st_size > 10_000
    close = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Close")
    QTest.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_the_help_menu_holds_the_guide_and_about(qtbot, window):
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.actions()] == ["Lookalike Help", "About Lookalike"]
    seen: list[str] = []

    def read_and_close(box) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        QTest.keyClick(box, Qt.Key.Key_Return)

    with_modal(window, menu_entry(window, "Help", window.about_action), read_and_close)
    assert "Lookalike" in seen[0] and "similar products" in seen[0]


def test_the_guide_is_a_resource_the_bundle_carries():
    assert HELP_PAGE == RESOURCES / "help.html" and HELP_PAGE.is_file()
    spec = (ROOT / "packaging" / "lookalike.spec").read_text()
    assert re.search(r'datas=\[\(str\(ROOT / "resources"\), "resources"\)\]', spec)  # the whole folder, the guide with it


def test_an_empty_window_says_how_to_begin_and_the_hint_goes_once_a_catalog_is_open(qtbot, window, demo_source, tmp_path):
    hint = window.empty_hint
    assert hint.isVisible()
    labels = [b.text() for b in hint.findChildren(QPushButton)]
    assert labels == ["Open a Catalog Folder…", "Import a Shop Export…", "Try the Demo Catalog"]
    assert all(b.isVisible() for b in hint.findChildren(QPushButton))
    shot(window, "first-run")
    window.demo_folder = tmp_path / "demo"
    shutil.copytree(demo_source, window.demo_folder)
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        QTest.mouseClick(hint.demo_button, Qt.MouseButton.LeftButton)
    assert not hint.isVisible()
    assert window.catalog_view.isVisible() and window.catalog_model.rowCount() == 24
    assert window.windowTitle().startswith("demo")


def test_the_hint_opens_a_catalog_folder_typed_into_the_chooser(qtbot, window, catalog):
    seen: list[Opened] = []
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, lambda: QTest.mouseClick(window.empty_hint.open_button, Qt.MouseButton.LeftButton),
                   type_name(str(catalog), seen))
    assert window.session.ws.catalog == catalog.resolve()
    assert not window.empty_hint.isVisible()
    assert seen[0].folder == Path(QDir.homePath()) != Path(os.getcwd())  # never the working directory


def test_choosers_open_where_the_last_file_of_their_kind_was_chosen_even_after_a_restart(qtbot, window, catalog, tmp_path):
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, key(window, Qt.Key.Key_O, CTRL_SHIFT), type_name(str(catalog)))
    photos = tmp_path / "elsewhere" / "photos"
    photos.mkdir(parents=True)
    photo = shutil.copy(next(catalog.rglob("*.jpg")), photos / "wanted.jpg")
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        with_modal(window, key(window, Qt.Key.Key_O, CTRL), type_name(str(photo)))
    assert shown.args[0].label == "wanted.jpg"
    exports = tmp_path / "exports"
    exports.mkdir()
    with_modal(window, key(window, Qt.Key.Key_E, CTRL), type_name(str(exports / "lists.csv")))  # nothing to export yet: said
    qtbot.waitUntil(lambda: "no lists to export" in window.banner.label.text(), timeout=WAIT)
    window.close()

    again = restart(qtbot, tmp_path)
    seen: list[Opened] = []
    with qtbot.waitSignal(again.session.indexed, timeout=WAIT):  # the last catalog offered: Enter opens it again
        with_modal(again, key(again, Qt.Key.Key_O, CTRL_SHIFT), press_enter(seen))
    assert seen[-1].folder == catalog.parent and seen[-1].selected == (catalog,)
    assert again.session.ws.catalog == catalog.resolve()
    with_modal(again, key(again, Qt.Key.Key_O, CTRL), press_escape(seen))
    assert seen[-1].folder == photos
    with_modal(again, key(again, Qt.Key.Key_E, CTRL), press_escape(seen))
    assert seen[-1].folder == exports and seen[-1].selected == (exports / "recommendations.csv",)
    again.session.shutdown()


def test_a_new_folder_typed_for_a_shop_import_is_made_and_the_photos_go_into_it(qtbot, window, tmp_path):
    products = make_products(6, seed=3)
    write_photos(products, tmp_path / "cdn")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    export = downloads / "shopify.csv"
    seen: list[Opened] = []
    with PhotoServer(tmp_path / "cdn") as server:
        write_shopify_export(products, server.url, export)
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):  # the export, then a folder for its photos
            with_modal(window, key(window, Qt.Key.Key_I, CTRL), type_name(str(export), seen), type_name("My New Shop", seen))
    new = downloads / "My New Shop"
    assert new.is_dir() and (new / "products.csv").is_file()
    assert window.session.ws.catalog == new.resolve()
    assert seen[0].folder == Path(QDir.homePath()) and seen[1].folder == downloads
    assert "6 products" in window.count_label.text()

    seen.clear()
    with_modal(window, key(window, Qt.Key.Key_I, CTRL), press_escape(seen))
    assert seen[0].folder == downloads  # where the last export was


def test_the_encoder_choosers_remember_their_own_folders(qtbot, window, catalog, tmp_path):
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, key(window, Qt.Key.Key_O, CTRL_SHIFT), type_name(str(catalog)))
    models = tmp_path / "models"
    models.mkdir()
    seen: list[Opened] = []
    with_modal(window, menu_entry(window, "Model", window.export_model_action), type_name(str(models / "ours.onnx"), seen))
    assert (models / "ours.onnx").stat().st_size > 1000
    assert window.statusBar().currentMessage() == f"Encoder written to {models / 'ours.onnx'}"
    with_modal(window, menu_entry(window, "Model", window.export_model_action), press_escape(seen))
    assert seen[-1].folder == models and seen[-1].selected == (models / "encoder.onnx",)
    with_modal(window, menu_entry(window, "Model", window.load_model_action), press_escape(seen))
    assert seen[-1].folder == Path(QDir.homePath())  # loading is a kind of its own, not chosen yet
