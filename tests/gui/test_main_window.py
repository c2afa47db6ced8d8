"""The real main window, offscreen, driven as a user would."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QDropEvent, QGuiApplication, QImage

from core.demo import write_demo_catalog
from gui.main_window import MainWindow
from gui.roles import Roles
from gui.session import CatalogSession

WAIT = 60_000


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo-src") / "demo"
    write_demo_catalog(folder, count=40)
    return folder


def open_and_index(qtbot, window: MainWindow, catalog: Path):
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as blocker:
        assert window.open_catalog(catalog)
    return blocker.args[0]


def drop(window: MainWindow, mime: QMimeData) -> None:
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_open_catalog_indexes_in_the_background_and_fills_the_grid(qtbot, window, catalog):
    report = open_and_index(qtbot, window, catalog)
    assert report.images == 40 and report.encoded == 40
    assert window.catalog_model.rowCount() == 40
    assert "40 products" in window.count_label.text()
    assert "index built" in window.model_label.text()
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=WAIT)
    assert window.recent_catalogs()[0] == str(catalog.resolve())


def test_selecting_an_item_shows_its_lookalikes(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    window.k_spin.setValue(7)
    index = window.catalog_filter.index(3, 0)
    chosen = index.data(Roles.PathRole)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as blocker:
        window.catalog_view.setCurrentIndex(index)
    assert blocker.args[0].item_id == index.data(Roles.ItemIdRole)
    assert window.results_model.rowCount() == 7
    paths = [window.results_model.index(r, 0).data(Roles.PathRole) for r in range(7)]
    assert chosen not in paths
    scores = [m.score for m in window.results_model.matches()]
    assert scores == sorted(scores, reverse=True)
    assert window.history_list.count() == 1


def test_re_indexing_keeps_the_selected_product_and_its_list(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    index = window.catalog_filter.index(10, 0)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(index)
    chosen = index.data(Roles.ItemIdRole)
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        window.reindex_action.trigger()
    qtbot.waitUntil(lambda: window.catalog_view.currentIndex().isValid(), timeout=WAIT)
    assert window.catalog_view.currentIndex().data(Roles.ItemIdRole) == chosen
    assert window.curation_panel.item_id == chosen
    assert window.history_list.count() == 1  # keeping the place is not a new query


def test_browsing_the_grid_leaves_python_intact(qtbot, window, catalog):
    """Every empty value a view reads from a model must not cost Python a reference to None.

    PySide6 6.12.0 took one each time: on Python 3.11 the app aborted after seconds of scrolling.
    """
    open_and_index(qtbot, window, catalog)
    index = window.catalog_filter.index(0, 0)
    assert index.data(Roles.ScoreRole) is None  # the catalog grid has no scores
    before = sys.getrefcount(None)
    for _ in range(5000):
        index.data(Roles.ScoreRole)
    for _ in range(20):
        window.catalog_view.viewport().repaint()
    assert sys.getrefcount(None) > before - 500


def test_a_large_catalog_shows_a_first_page_at_once_and_every_item_once_loaded(qtbot, window, catalog, monkeypatch):
    monkeypatch.setattr(CatalogSession, "LOAD_IN_BACKGROUND_ABOVE", 10)
    monkeypatch.setattr(CatalogSession, "FIRST_PAGE", 6)
    open_and_index(qtbot, window, catalog)
    qtbot.waitUntil(window.catalog_complete, timeout=WAIT)
    every = [window.catalog_model.index(r, 0).data(Roles.PathRole) for r in range(window.catalog_model.rowCount())]
    assert len(every) == 40 and every == sorted(every)

    with qtbot.waitSignals([window.session.indexed, window.query_shown], timeout=WAIT):  # opened again
        assert window.open_catalog(catalog)
        assert not window.catalog_complete() and window.catalog_model.rowCount() == 6
        assert [window.catalog_model.index(r, 0).data(Roles.PathRole) for r in range(6)] == every[:6]
        assert window.count_label.text() == "Loading 40 photos…"
        assert window.session.searcher is None and window.model_label.text() == "Opening the index…"  # off the GUI thread too
        asked = window.catalog_filter.index(2, 0).data(Roles.ItemIdRole)
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(2, 0))  # asked now, answered once it is open
    assert window.session.last_query.item_id == asked and window.model_label.text().startswith("Built-in encoder")
    assert window.results_model.rowCount() > 0 and window.last_error == ""
    qtbot.waitUntil(window.catalog_complete, timeout=WAIT)
    assert window.catalog_model.rowCount() == 40 and window.count_label.text() == "40 products"
    assert window.catalog_filter.prepared(), "the filter's texts came with the items"
    window.filter_edit.setText("sneaker")
    qtbot.waitUntil(lambda: 0 < window.catalog_filter.rowCount() < 40, timeout=WAIT)
    assert all("sneaker" in window.catalog_filter.index(r, 0).data(Roles.PathRole) for r in range(window.catalog_filter.rowCount()))
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(0, 0))
    assert window.results_model.rowCount() > 0


def test_a_large_catalog_read_again_keeps_every_item_and_the_place_until_the_new_reading_is_in(qtbot, window, catalog, monkeypatch):
    monkeypatch.setattr(CatalogSession, "LOAD_IN_BACKGROUND_ABOVE", 10)
    monkeypatch.setattr(CatalogSession, "FIRST_PAGE", 6)
    open_and_index(qtbot, window, catalog)
    qtbot.waitUntil(window.catalog_complete, timeout=WAIT)
    index = window.catalog_filter.index(30, 0)  # beyond the first page
    chosen = index.data(Roles.ItemIdRole)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(index)
    rows_seen: list[int] = []
    window.catalog_model.modelReset.connect(lambda: rows_seen.append(window.catalog_model.rowCount()))
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        window.reindex_action.trigger()
    qtbot.waitUntil(lambda: bool(rows_seen), timeout=WAIT)  # the new reading, loaded after the run
    assert set(rows_seen) == {40}, "no first page replaced the whole grid"
    assert window.catalog_view.currentIndex().data(Roles.ItemIdRole) == chosen


def test_filter_narrows_the_grid(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    with qtbot.waitSignal(window.filter_timer.timeout, timeout=WAIT):
        window.filter_edit.setText("sneaker")
    shown = window.catalog_filter.rowCount()
    assert 0 < shown < 40
    assert all("sneaker" in window.catalog_filter.index(r, 0).data(Roles.PathRole) for r in range(shown))
    assert f"{shown} of 40 products" in window.count_label.text()


def test_dropped_photo_files_are_queried(qtbot, window, catalog, tmp_path):
    open_and_index(qtbot, window, catalog)
    outside = tmp_path / "outside"
    write_demo_catalog(outside, count=12, seed=5)
    photo = next((outside / "boots").glob("*.jpg"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as blocker:
        drop(window, mime)
    assert blocker.args[0].label == photo.name
    categories = [window.results_model.index(r, 0).data(Roles.CategoryRole) for r in range(3)]
    assert categories.count("boots") >= 2
    assert window.history_list.item(0).text() == f"Photo: {photo.name}"


def test_an_unreadable_dropped_file_shows_an_error_and_the_app_carries_on(qtbot, window, catalog, tmp_path):
    open_and_index(qtbot, window, catalog)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(bad))])
    drop(window, mime)
    assert window.banner.isVisible()
    assert "broken.jpg" in window.banner.label.text()
    good = next(catalog.glob("*/*.jpg"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good))])
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        drop(window, mime)
    assert window.results_model.matches()[0].score >= 0.99


def test_selecting_an_unreadable_photo_says_why_and_is_not_a_query(qtbot, window, catalog):
    (catalog / "zz-broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    open_and_index(qtbot, window, catalog)
    row = window.catalog_model.row_of(window.session.store.item_by_path("zz-broken.jpg").id)
    window.catalog_view.setCurrentIndex(window.catalog_filter.mapFromSource(window.catalog_model.index(row)))
    assert window.banner.isVisible()
    assert window.banner.label.text().startswith("zz-broken.jpg could not be read: ")
    assert window.history_list.count() == 0


def test_dropping_a_folder_opens_it_as_a_catalog(qtbot, window, catalog):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(catalog))])
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        drop(window, mime)
    assert window.catalog_model.rowCount() == 40


def test_pasting_a_picture_queries_it(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    image = QImage(str(next((catalog / "handbags").glob("*.jpg"))))
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as blocker:
        window.paste_action.trigger()
    assert blocker.args[0].label == "pasted picture"
    assert window.results_model.matches()[0].score >= 0.99
    assert window.results_model.index(0, 0).data(Roles.CategoryRole) == "handbags"


def test_history_survives_a_restart(qtbot, window, catalog, tmp_path):
    open_and_index(qtbot, window, catalog)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(0, 0))
    window.close()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.session.indexed, timeout=WAIT):
        again.open_catalog(catalog)
    assert again.history_list.count() == 1
    with qtbot.waitSignal(again.query_shown, timeout=WAIT):
        again.history_list.itemClicked.emit(again.history_list.item(0))
    assert again.results_model.rowCount() == again.k_spin.value()
    again.session.shutdown()


def test_cancelled_training_keeps_the_old_model_in_use(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    ws = window.session.ws
    before = ws.encoder_in_use().read_bytes()
    label_before = window.model_label.text()
    window.open_train_dialog()
    dialog = window.train_dialog
    dialog.steps.setValue(5000)
    started = []

    def cancel_once_training(p) -> None:
        if p.stage == "train" and not started:
            started.append(p)
            dialog.cancel_button.click()

    assert dialog.start()
    dialog.job.progress.connect(cancel_once_training)
    with qtbot.waitSignal(dialog.job.cancelled, timeout=WAIT):
        pass
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=WAIT)
    assert started and "Cancelled" in dialog.status.text()
    assert ws.encoder_in_use().read_bytes() == before
    qtbot.waitUntil(lambda: window.model_label.text() == label_before, timeout=WAIT)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(1, 0))


def test_the_event_loop_keeps_turning_while_indexing(qtbot, window, tmp_path):
    big = tmp_path / "big"
    write_demo_catalog(big, count=240, seed=3)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        window.open_catalog(big)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 20, "the timer hardly ran while indexing"
    longest = max(gaps)
    print(f"event loop: {len(ticks)} ticks, longest gap {longest * 1000:.0f} ms")
    assert longest < 0.5, f"the window froze for {longest * 1000:.0f} ms"


def test_screenshot_shows_catalog_and_results(qtbot, window, catalog, tmp_path):
    from gui.app import settle_thumbnails

    open_and_index(qtbot, window, catalog)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(0, 0))
    settle_thumbnails(window)
    image = window.grab().toImage()
    path = tmp_path / "window.png"
    assert image.save(str(path))
    # The results grid shows real thumbnails: plenty of non-background colour in it.
    grid = window.results_view.viewport().grab().toImage()
    coloured = sum(
        1
        for x in range(0, grid.width(), 7)
        for y in range(0, grid.height(), 7)
        if QColor(grid.pixel(x, y)).saturation() > 60
    )
    assert coloured > 30


def test_loading_encoders_refuses_bad_ones_and_reindexes_with_good_ones(qtbot, window, catalog, tmp_path, small_encoder):
    open_and_index(qtbot, window, catalog)
    label = window.model_label.text()
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07 definitely not onnx")
    assert not window.session.load_model(corrupt)
    assert "not a usable ONNX model" in window.banner.label.text()
    assert window.model_label.text() == label
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as blocker:
        assert window.session.load_model(small_encoder)
    assert blocker.args[0].encoded == 40
    assert "trained on tests" in window.model_label.text()
    exported = tmp_path / "out" / "mine.onnx"
    assert window.session.export_model(exported)
    assert exported.read_bytes() == small_encoder.read_bytes()


def test_colour_slider_reruns_the_query_by_colour(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    index = window.catalog_filter.index(0, 0)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(index)
    by_shape = [m.path for m in window.results_model.matches()]
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.colour_slider.setValue(100)
    by_colour = window.results_model.matches()
    assert window.session.colour_weight == 1.0
    assert [m.path for m in by_colour] != by_shape
    source_category = index.data(Roles.CategoryRole)
    shape_same = sum(window.catalog_model.item(window.catalog_model.row_of(m.item_id)).category == source_category for m in window.results_model.matches())
    assert shape_same < len(by_colour)  # by colour alone, other kinds of product come in


def test_a_one_photo_catalog_counts_one_product(qtbot, window, tmp_path):
    from tests.conftest import draw_product

    draw_product(tmp_path / "single" / "only.png", "disc", (200, 30, 30))
    open_and_index(qtbot, window, tmp_path / "single")
    assert window.count_label.text() == "1 product"


def test_a_recent_product_query_selects_that_product_so_its_list_follows(qtbot, window, catalog):
    open_and_index(qtbot, window, catalog)
    first, second = window.catalog_filter.index(0, 0), window.catalog_filter.index(5, 0)
    for index in (first, second):
        with qtbot.waitSignal(window.query_shown, timeout=WAIT):
            window.catalog_view.setCurrentIndex(index)
    wanted = first.data(Roles.ItemIdRole)
    entry = next(window.history_list.item(r) for r in range(window.history_list.count())
                 if window.history_list.item(r).data(Qt.ItemDataRole.UserRole).ref == str(wanted))
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as blocker:
        window.history_list.itemClicked.emit(entry)
    assert blocker.args[0].item_id == wanted
    assert window.catalog_view.currentIndex().data(Roles.ItemIdRole) == wanted
    assert window.curation_panel.item_id == wanted
    with qtbot.waitSignal(window.query_shown, timeout=WAIT) as blocker:  # the selected product's own entry
        window.history_list.itemClicked.emit(window.history_list.item(0))
    assert blocker.args[0].item_id == wanted


def test_the_context_menu_names_the_list_a_lookalike_would_be_added_to(qtbot, window, catalog):
    from PySide6.QtWidgets import QApplication

    open_and_index(qtbot, window, catalog)
    index = window.catalog_filter.index(2, 0)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(index)
    listed = window.session.store.item(index.data(Roles.ItemIdRole))
    pos = window.results_view.visualRect(window.results_model.index(0, 0)).center()
    window.results_view.customContextMenuRequested.emit(pos)
    menu = QApplication.activePopupWidget()
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    menu.close()
    assert f"Add to the List of {listed.name}" in texts


def test_from_the_filter_the_keyboard_goes_to_the_grid_it_filters(qtbot, window, catalog):
    from PySide6.QtWidgets import QApplication

    open_and_index(qtbot, window, catalog)
    window.activateWindow()
    window.filter_edit.setFocus()
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.catalog_view
    window.filter_edit.setFocus()
    window.filter_edit.setText("boot")
    qtbot.waitUntil(lambda: window.catalog_filter.rowCount() < 40, timeout=WAIT)
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        qtbot.keyClick(window.filter_edit, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is window.catalog_view
    assert "boot" in window.catalog_view.currentIndex().data(Roles.PathRole)


def test_a_one_photo_catalog_has_an_empty_list_not_a_missing_one(qtbot, window, tmp_path):
    from core.lists.curation import Rules
    from tests.conftest import draw_product

    draw_product(tmp_path / "single" / "only.png", "disc", (200, 30, 30))
    open_and_index(qtbot, window, tmp_path / "single")
    panel = window.curation_panel
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        window.catalog_view.setCurrentIndex(window.catalog_filter.index(0, 0))
    assert panel.hint.text().startswith("No list yet")
    with qtbot.waitSignal(window.session.generated, timeout=WAIT):
        assert window.make_lists(Rules(k=5))
    assert panel.hint.text().startswith("Nothing matched the rules")


def test_the_model_menu_goes_back_to_the_previous_encoder(qtbot, window, catalog, small_encoder):
    open_and_index(qtbot, window, catalog)
    # the model's part of the label; the index's build time after it changes with every build
    default_model = window.model_label.text().split(" · index built")[0]
    assert default_model == "Built-in encoder" and "trained on tests" not in default_model
    assert not window.previous_model_action.isEnabled(), "nothing to go back to on the first encoder"
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.session.load_model(small_encoder)
    qtbot.waitUntil(lambda: "trained on tests" in window.model_label.text(), timeout=WAIT)
    assert window.previous_model_action.isEnabled()
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as blocker:
        window.previous_model_action.trigger()
    assert blocker.args[0].encoded == 40
    qtbot.waitUntil(lambda: window.model_label.text().split(" · index built")[0] == default_model, timeout=WAIT)
    assert window.previous_model_action.isEnabled(), "and back again to the one just left"


def test_the_model_menu_switches_to_the_small_fast_encoder_and_back(qtbot, window, catalog):
    from core.similarity import OnnxEncoder
    from tests.gui.hands import menu_entry

    open_and_index(qtbot, window, catalog)
    window.activateWindow()
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as blocker:
        menu_entry(window, "Model", window.small_model_action)()
    assert blocker.args[0].encoded == 40
    qtbot.waitUntil(lambda: window.model_label.text().startswith("Built-in small encoder · index built"), timeout=WAIT)
    assert OnnxEncoder(window.session.ws.encoder_in_use()).input_size == 64
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        menu_entry(window, "Model", window.previous_model_action)()
    qtbot.waitUntil(lambda: window.model_label.text().startswith("Built-in encoder · index built"), timeout=WAIT)
    assert OnnxEncoder(window.session.ws.encoder_in_use()).input_size == 224


def test_training_a_small_catalog_keeps_the_encoder_in_use_and_says_why(qtbot, window, catalog, tmp_path):
    open_and_index(qtbot, window, catalog)
    ws = window.session.ws
    before = ws.encoder_in_use().read_bytes()
    window.open_train_dialog()
    dialog = window.train_dialog
    assert not dialog.latent.isEnabled(), "an encoder trained further keeps its shape"
    dialog.steps.setValue(dialog.steps.minimum())
    assert dialog.keep.currentData() == "better"
    assert dialog.start()
    with qtbot.waitSignal(dialog.job.finished, timeout=WAIT * 3):
        pass
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Done"), timeout=WAIT)
    assert dialog.verdict.text().startswith("The encoder in use stays. 40 photos are too few to tell which encoder is better")
    assert ws.encoder_in_use().read_bytes() == before
    aside = (ws.root / "last-trained.onnx").read_bytes()
    assert dialog.use_new_button.isVisible()
    assert dialog.grab().save(str(tmp_path / "train-dialog.png"))
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as blocker:
        dialog.use_new_button.click()
    assert blocker.args[0].encoded == 40
    assert ws.encoder_in_use().read_bytes() == aside
    assert not dialog.use_new_button.isEnabled()
    qtbot.waitUntil(window.previous_model_action.isEnabled, timeout=WAIT)
