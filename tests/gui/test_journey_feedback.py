"""What the app tells a merchandiser, driven by keys and clicks on the real window.

Confirmations drawn where they can be read, an export's warnings shown in the window, the Make
Lists dialog opening on the rules the lists were made with, the filter of one catalog not
hiding another's products, and a banner about a failed job gone once that job succeeds.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QPushButton

from gui.main_window import MainWindow
from tests.gui.hands import ctrl, drawn_message, fill_file_dialog, press_return, shot, with_modal

WAIT = 60_000


def new_window(qtbot, settings: Path) -> MainWindow:
    win = MainWindow(settings=QSettings(str(settings), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    return win


@pytest.fixture
def window(qtbot, tmp_path, demo_source, default_encoder):
    """A shown window on a freshly indexed copy of the demo catalog, no lists made yet."""
    catalog = tmp_path / "catalog"
    shutil.copytree(demo_source, catalog)
    win = new_window(qtbot, tmp_path / "settings.ini")
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        win.open_catalog(catalog)
    yield win
    win.session.shutdown()


def test_confirmations_are_drawn_and_the_shopify_warning_is_shown(window, qtbot, tmp_path):
    assert drawn_message(window).startswith("Indexed 30 photos")

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_L), press_return)
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
    assert drawn_message(window).startswith("Made 30 lists")
    shot(window, "made-lists")

    out = tmp_path / "exports" / "shop.csv"
    out.parent.mkdir()
    with qtbot.waitSignal(window.session.exported, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_E), fill_file_dialog(out, "Shopify"))
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
    assert out.exists()
    assert drawn_message(window) == f"Wrote 30 products' lists to {out}"
    banner = window.banner
    assert banner.isVisible() and banner.label.width() > 0
    assert "30 of 30 products have no handle of the shop's" in banner.label.text()
    assert banner.label.text().startswith(f"Wrote 30 products' lists to {out}")
    shot(window, "shopify-warning")

    dismiss = next(b for b in banner.findChildren(QPushButton) if b.text() == "Dismiss")
    QTest.mouseClick(dismiss, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_make_lists_opens_on_the_rules_the_lists_were_made_with(window, qtbot, tmp_path):
    def choose_rules(dialog: QDialog) -> None:
        assert dialog.category.currentText() == "Any category" and dialog.k.value() == 10  # nothing made yet
        QTest.mouseClick(dialog.k.lineEdit(), Qt.MouseButton.LeftButton)
        QTest.keyClick(dialog.k.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClicks(dialog.k.lineEdit(), "4")
        QTest.keyClick(dialog.category, Qt.Key.Key_Down)
        assert dialog.category.currentText() == "Same category only"
        QTest.keyClick(dialog, Qt.Key.Key_Return)

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_L), choose_rules)
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
    assert window.curation_panel.model.rowCount() <= 4

    seen: dict[str, tuple[str, str]] = {}

    def look(name: str) -> Callable[[QDialog], None]:
        def drive(dialog: QDialog) -> None:
            seen[name] = (dialog.category.currentText(), dialog.k.text())
            if name == "first":
                shot(dialog, "lists-dialog-remembered")
                QTest.keyClick(dialog.kind, Qt.Key.Key_Down)  # cross-sell lists: never made, the defaults
                seen["cross-sell"] = (dialog.category.currentText(), dialog.k.text())
                QTest.keyClick(dialog.kind, Qt.Key.Key_Up)
                seen["related again"] = (dialog.category.currentText(), dialog.k.text())
            if name == "again":
                QTest.keyClick(dialog, Qt.Key.Key_Return)  # Enter makes them again by the same rules
            else:
                QTest.keyClick(dialog, Qt.Key.Key_Escape)
        return drive

    with_modal(window, ctrl(window, Qt.Key.Key_L), look("first"))
    assert seen["first"] == ("Same category only", "4")
    assert seen["cross-sell"] == ("Any category", "10")
    assert seen["related again"] == ("Same category only", "4")

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_L), look("again"))
    assert seen["again"] == ("Same category only", "4")
    assert window.session.last_rules()["related"].category == "same"

    # Remembered with the catalog, not the window: a new window (its own settings) opens on them too.
    catalog = window.session.ws.catalog
    window.close()
    other = new_window(qtbot, tmp_path / "other-settings.ini")
    try:
        with qtbot.waitSignal(other.session.indexed, timeout=WAIT):
            other.open_catalog(catalog)
        with_modal(other, ctrl(other, Qt.Key.Key_L), look("new window"))
        assert seen["new window"] == ("Same category only", "4")
    finally:
        other.session.shutdown()


def test_the_filter_is_cleared_when_another_catalog_opens(window, qtbot, tmp_path, demo_source):
    second = tmp_path / "second catalog"
    shutil.copytree(demo_source, second)
    QTest.mouseClick(window.filter_edit, Qt.MouseButton.LeftButton)
    QTest.keyClicks(window.filter_edit, "no such product")
    qtbot.waitUntil(lambda: window.count_label.text() == "0 of 30 products")

    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_O, shift=True), fill_file_dialog(second))
    assert window.session.ws.catalog == second
    assert window.filter_edit.text() == ""
    assert window.count_label.text() == "30 products" and window.count_label.isVisible()
    assert window.catalog_filter.rowCount() == 30
    first = window.catalog_view.visualRect(window.catalog_filter.index(0, 0))
    assert window.catalog_view.viewport().rect().intersects(first)
    shot(window, "another-catalog-unfiltered")


def test_a_banner_about_a_failed_export_goes_when_an_export_succeeds(window, qtbot, tmp_path):
    out = tmp_path / "exports" / "lists.csv"
    out.parent.mkdir()
    with qtbot.waitSignal(window.session.error, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_E), fill_file_dialog(out, "CSV"))
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
    assert window.banner.isVisible() and "there are no lists to export yet" in window.banner.label.text()
    shot(window, "export-failed")

    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_L), press_return)
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
    with qtbot.waitSignal(window.session.exported, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_E), fill_file_dialog(out, "CSV"))
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
    assert out.exists()
    assert not window.banner.isVisible()
    assert drawn_message(window) == f"Wrote 30 products' lists to {out}"
    shot(window, "export-succeeded")


def test_a_banner_of_another_kind_stays_when_an_unrelated_job_succeeds(window, qtbot, tmp_path):
    out = tmp_path / "exports" / "lists.csv"
    out.parent.mkdir()
    with qtbot.waitSignal(window.session.error, timeout=WAIT):
        with_modal(window, ctrl(window, Qt.Key.Key_E), fill_file_dialog(out, "CSV"))
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        QTest.keyClick(window, Qt.Key.Key_F5)
    assert window.banner.isVisible() and "there are no lists to export yet" in window.banner.label.text()


def test_rules_saved_as_a_named_preset_are_offered_in_every_catalog(window, qtbot, tmp_path):
    def save_preset(dialog: QDialog) -> None:
        QTest.keyClick(dialog.k.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClicks(dialog.k.lineEdit(), "3")
        QTest.keyClick(dialog.category, Qt.Key.Key_Down)
        QTest.keyClick(dialog.category, Qt.Key.Key_Down)  # other categories only: complete the look

        def name_it(asking: QDialog) -> None:
            edit = asking.findChild(QLineEdit)
            QTest.keyClicks(edit, "Complete the look")
            box = asking.findChild(QDialogButtonBox)
            QTest.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

        with_modal(dialog, lambda: QTest.mouseClick(dialog.save_preset_button, Qt.MouseButton.LeftButton), name_it)
        assert dialog.preset.currentText() == "Complete the look"
        QTest.keyClick(dialog, Qt.Key.Key_Escape)  # closed without making lists: the preset is kept all the same

    with_modal(window, ctrl(window, Qt.Key.Key_L), save_preset)

    other = new_window(qtbot, tmp_path / "settings.ini")  # the same user's settings, another catalog
    second = tmp_path / "second catalog"
    shutil.copytree(window.session.ws.catalog, second, ignore=shutil.ignore_patterns(".lookalike"))
    seen: dict[str, tuple[str, str]] = {}
    try:
        with qtbot.waitSignal(other.session.indexed, timeout=WAIT):
            other.open_catalog(second)

        def use_preset(dialog: QDialog) -> None:
            seen["before"] = (dialog.category.currentText(), dialog.k.text())
            QTest.keyClick(dialog.preset, Qt.Key.Key_Down)
            seen["preset"] = (dialog.preset.currentText(), "")
            seen["after"] = (dialog.category.currentText(), dialog.k.text())
            shot(dialog, "lists-dialog-preset")
            QTest.keyClick(dialog, Qt.Key.Key_Return)

        with qtbot.waitSignal(other.session.generated, timeout=WAIT):
            with_modal(other, ctrl(other, Qt.Key.Key_L), use_preset)
        assert seen["before"] == ("Any category", "10")
        assert seen["preset"][0] == "Complete the look"
        assert seen["after"] == ("Other categories only (complete the look)", "3")
        made = other.session.last_rules()["related"]
        assert (made.k, made.category) == (3, "other")
    finally:
        other.session.shutdown()


def test_products_left_out_of_an_export_are_shown_every_one(qtbot, tmp_path, demo_source, default_encoder):
    catalog = tmp_path / "catalog"
    shutil.copytree(demo_source, catalog)
    rows = (catalog / "products.csv").read_text().splitlines()
    for n in (1, 2, 3):  # three products without a SKU: a WooCommerce import cannot take them
        path, sku, rest = rows[n].split(",", 2)
        rows[n] = f"{path},,{rest}"
    (catalog / "products.csv").write_text("\n".join(rows) + "\n")
    window = new_window(qtbot, tmp_path / "settings.ini")
    try:
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
            window.open_catalog(catalog)
        with qtbot.waitSignal(window.session.generated, timeout=WAIT):
            with_modal(window, ctrl(window, Qt.Key.Key_L), press_return)
        out = tmp_path / "exports" / "woo.csv"
        out.parent.mkdir()
        with qtbot.waitSignal(window.session.exported, timeout=WAIT):
            with_modal(window, ctrl(window, Qt.Key.Key_E), fill_file_dialog(out, "WooCommerce"))
        qtbot.waitUntil(lambda: not window.progress_bar.isVisible())
        text = window.banner.label.text()
        assert window.banner.isVisible() and "Left out of woo.csv: " in text and "no SKU" in text and "(and 2 more)" in text
        assert drawn_message(window) == f"Wrote 27 products' lists to {out}"
        shot(window, "woocommerce-left-out")

        details: list[str] = []

        def read_all(box: QDialog) -> None:
            details.extend(box.detailedText().splitlines())
            QTest.keyClick(box, Qt.Key.Key_Return)

        show_all = next(b for b in window.banner.buttons if b.text() == "Show All…")
        with_modal(window, lambda: QTest.mouseClick(show_all, Qt.MouseButton.LeftButton), read_all)
        assert len(details) == 3 and all(line.startswith("Left out: ") and "no SKU" in line for line in details)
    finally:
        window.session.shutdown()
