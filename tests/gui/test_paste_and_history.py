"""Pasting a photo's web address or file path, and recent queries asked again after a restart:
driven by keys and clicks on the real window, photos served from a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListWidget, QMessageBox

from core.bench.photo_server import PhotoHandler, PhotoServer
from core.demo import write_demo_catalog
from gui.app import settle_thumbnails
from gui.main_window import MainWindow
from gui.roles import Roles
from tests.gui.hands import activate, key, press_enter, shot, type_name, with_modal

WAIT = 60_000
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


class Web(PhotoHandler):
    """The photo server, with a page that is no photo and an address that answers only after a long wait."""

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/page.html":
            self.send_body(200, b"<html><body>Our new boots</body></html>", "text/html")
        elif self.path == "/slow.jpg":
            time.sleep(8)
            self.send_body(200, b"", "image/jpeg")
        else:
            super().do_GET()


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo-src") / "demo"
    write_demo_catalog(folder, count=24)
    return folder


@pytest.fixture
def web(catalog, tmp_path):
    """A server of a copy of the catalog's photos (a shop's own pages would show them)."""
    shutil.copytree(catalog, tmp_path / "site", ignore=shutil.ignore_patterns(".lookalike"))
    with PhotoServer(tmp_path / "site", Web) as server:
        yield server


def open_by_hand(qtbot, window: MainWindow, catalog: Path | None = None) -> None:
    """File › Open Catalog by its key: `catalog` typed, or (None) the one the chooser offers, as after a restart."""
    drive = type_name(str(catalog)) if catalog is not None else press_enter()
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        with_modal(window, key(window, Qt.Key.Key_O, CTRL_SHIFT), drive)
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible(), timeout=WAIT)


def click_product(qtbot, window: MainWindow, row: int):
    view = window.catalog_view
    rect = view.visualRect(window.catalog_filter.index(row, 0))
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.hasFocus()
    return shown.args[0]


def paste(text: str | None = None, image: QImage | None = None) -> None:
    """Put `text` or `image` on the clipboard, then press Ctrl+V where the keyboard is."""
    if image is not None:
        QGuiApplication.clipboard().setImage(image)
    else:
        QGuiApplication.clipboard().setText(text or "")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_V, CTRL)


def test_a_pasted_web_address_of_a_photo_is_fetched_and_its_lookalikes_shown(qtbot, window, catalog, web):
    activate(window)
    open_by_hand(qtbot, window, catalog)
    click_product(qtbot, window, 0)
    photo = next(catalog.glob("handbags/*.jpg"))
    address = f"{web.url}/handbags/{photo.name}"
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        paste(address)
        assert window.progress_label.text().startswith("Fetching the photo")
    query = shown.args[0]
    assert query.label == photo.name
    assert query.image.parent == window.session.ws.root / "queries"  # kept, for the history
    assert window.results_model.matches()[0].score >= 0.99
    assert window.results_model.index(0, 0).data(Roles.CategoryRole) == "handbags"
    assert window.history_list.item(0).text() == f"Photo: {photo.name}"
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible(), timeout=WAIT)
    assert not window.banner.isVisible()
    settle_thumbnails(window)
    assert shot(window, "paste-address").stat().st_size > 20_000


def test_a_pasted_address_or_path_that_is_no_photo_is_said_in_one_line(qtbot, window, catalog, web, tmp_path):
    activate(window)
    open_by_hand(qtbot, window, catalog)
    before = click_product(qtbot, window, 3)
    shown: list = []
    window.query_shown.connect(shown.append)
    page = f"{web.url}/page.html"
    paste(page)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT)
    assert window.banner.label.text() == f"{page}: not an image"
    shot(window.banner, "paste-not-an-image")
    paste(f"{web.url}/gone.jpg")
    qtbot.waitUntil(lambda: "gone.jpg" in window.banner.label.text(), timeout=WAIT)
    assert window.banner.label.text() == f"{web.url}/gone.jpg: the server answered 404 Not Found"
    paste(str(tmp_path / "nowhere" / "boot.jpg"))
    assert window.banner.label.text() == f"{tmp_path / 'nowhere' / 'boot.jpg'}: no such file"
    paste("Our new boots, in three colours")
    assert window.banner.label.text() == "the clipboard holds no picture, nor a photo's web address or file path"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    paste(str(notes))
    assert window.banner.label.text().startswith("notes.txt: ")
    assert not shown and before.label in window.query_title.text()  # what was on screen stays


def test_a_pasted_file_path_is_queried(qtbot, window, catalog, tmp_path):
    activate(window)
    open_by_hand(qtbot, window, catalog)
    click_product(qtbot, window, 1)
    outside = tmp_path / "downloads" / "boot photo.jpg"
    outside.parent.mkdir()
    shutil.copy(next(catalog.glob("boots/*.jpg")), outside)
    for text in (str(outside), outside.as_uri()):
        with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
            paste(text)
        assert shown.args[0].label == "boot photo.jpg"
        assert window.results_model.index(0, 0).data(Roles.CategoryRole) == "boots"


def test_fetching_a_pasted_address_is_cancelled_at_once(qtbot, window, catalog, web):
    activate(window)
    open_by_hand(qtbot, window, catalog)
    first = click_product(qtbot, window, 2)
    shown: list = []
    window.query_shown.connect(shown.append)
    paste(f"{web.url}/slow.jpg")
    qtbot.waitUntil(window.cancel_button.isVisible)
    assert window.progress_label.text().startswith("Fetching the photo")
    started = time.monotonic()
    with qtbot.waitSignal(window.session.fetching.cancelled, timeout=3000):
        QTest.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert time.monotonic() - started < 2
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible())
    assert window.statusBar().currentMessage() == "Fetching the photo cancelled"
    assert not shown and first.label in window.query_title.text()
    assert not window.banner.isVisible()


def history_rows(window: MainWindow) -> list[str]:
    return [window.history_list.item(row).text() for row in range(window.history_list.count())]


def click_history(qtbot, window: MainWindow, text: str, shows: bool = True):
    """Click the recent query shown as `text`; its lookalikes are awaited when `shows`."""
    listed: QListWidget = window.history_list
    row = history_rows(window).index(text)
    listed.scrollToItem(listed.item(row))
    rect = listed.visualItemRect(listed.item(row))
    if not shows:
        QTest.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        return None
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as shown:
        QTest.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    return shown.args[0]


def restart(qtbot, tmp_path: Path) -> MainWindow:
    again = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    again.resize(1200, 760)
    again.show()
    activate(again)
    return again


def ask_three_ways(qtbot, window: MainWindow, catalog: Path, web: PhotoServer) -> tuple[str, str, str]:
    """A product clicked, a picture pasted, a photo's address pasted: the three history rows, newest last."""
    activate(window)
    open_by_hand(qtbot, window, catalog)
    product = click_product(qtbot, window, 4).label
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        paste(image=QImage(str(next(catalog.glob("backpacks/*.jpg")))))
    photo = next(catalog.glob("handbags/*.jpg"))
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        paste(f"{web.url}/handbags/{photo.name}")
    return f"Product: {product}", "Photo: pasted picture", f"Photo: {photo.name}"


def test_recent_queries_show_their_lookalikes_again_after_a_restart(qtbot, window, catalog, web, tmp_path):
    product, picture, address = ask_three_ways(qtbot, window, catalog, web)
    window.close()

    again = restart(qtbot, tmp_path)
    open_by_hand(qtbot, again)  # the chooser offers the last catalog
    assert history_rows(again) == [address, picture, product]
    assert again.results_model.rowCount() == 0  # nothing asked yet
    categories = {}
    for text in (product, picture, address):
        query = click_history(qtbot, again, text)
        assert f"Photo: {query.label}" == text or f"Product: {query.label}" == text
        assert again.results_model.rowCount() == again.k_spin.value()
        categories[text] = again.results_model.index(0, 0).data(Roles.CategoryRole)
        assert history_rows(again)[0] == text  # asked again: the newest
    assert categories[picture] == "backpacks" and categories[address] == "handbags"
    assert again.catalog_view.currentIndex().data(Roles.ItemIdRole) is not None  # the product's query selected it
    assert not again.banner.isVisible()

    kept = again.session.last_query.image
    kept.unlink()  # the kept copy of the pasted address's photo, gone
    before = again.results_model.rowCount()
    click_history(qtbot, again, address, shows=False)
    qtbot.waitUntil(again.banner.isVisible)
    assert again.banner.label.text() == f"the photo of that query is gone: {address.removeprefix('Photo: ')}"
    assert again.results_model.rowCount() == before
    again.session.shutdown()


def test_a_pasted_picture_is_found_again_when_its_catalog_was_moved(qtbot, window, catalog, web, tmp_path):
    product, picture, address = ask_three_ways(qtbot, window, catalog, web)
    window.close()
    moved = catalog.rename(tmp_path / "catalog, moved")

    again = restart(qtbot, tmp_path)
    open_by_hand(qtbot, again, moved)
    assert history_rows(again) == [address, picture, product]
    query = click_history(qtbot, again, picture)
    assert query.image.parent == moved.resolve() / ".lookalike" / "queries"
    assert again.results_model.index(0, 0).data(Roles.CategoryRole) == "backpacks"
    assert not again.banner.isVisible()
    again.session.shutdown()


def test_a_recent_product_forgotten_since_is_said_to_be_gone(qtbot, window, catalog, tmp_path):
    activate(window)
    open_by_hand(qtbot, window, catalog)
    gone = click_product(qtbot, window, 5)
    photo = catalog / window.catalog_view.currentIndex().data(Roles.PathRole)
    click_product(qtbot, window, 6)
    window.close()
    photo.unlink()

    again = restart(qtbot, tmp_path)
    open_by_hand(qtbot, again)
    qtbot.waitUntil(lambda: any(b.text() == "Forget Missing Photos…" for b in again.banner.buttons), timeout=WAIT)
    forget = next(b for b in again.banner.buttons if b.text() == "Forget Missing Photos…")

    def discard(box) -> None:
        button = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    with qtbot.waitSignal(again.session.forgotten, timeout=WAIT):
        with_modal(again, lambda: QTest.mouseClick(forget, Qt.MouseButton.LeftButton), discard)
    shown: list = []
    again.query_shown.connect(shown.append)
    click_history(qtbot, again, f"Product: {gone.label}", shows=False)
    assert again.banner.isVisible() and again.banner.label.text() == f"{gone.label} is no longer in the catalog"
    assert not shown
    again.session.shutdown()
