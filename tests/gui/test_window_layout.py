"""The window uses its room and can be read: grids of cards that fill their rows at any size, a ring round
the card the keyboard is on, and a banner readable on light and dark palettes alike. Offscreen, real input."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QListView, QWidget

from gui.colours import contrast
from gui.grid_fit import fitted_thumb
from gui.main_window import MainWindow
from tests.gui.hands import screenshot_folder

WAIT = 60_000
NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def dark_palette() -> QPalette:
    """A dark theme as a desktop sets it: light text on dark grey, a blue highlight."""
    palette = QPalette()
    text, window, base, button = QColor(232, 232, 232), QColor(45, 45, 48), QColor(28, 28, 30), QColor(58, 58, 62)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text, QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: window, QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Highlight: QColor(42, 130, 218), QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.ToolTipBase: window, QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(150, 150, 150), QPalette.ColorRole.Light: QColor(80, 80, 84),
        QPalette.ColorRole.Midlight: QColor(68, 68, 72), QPalette.ColorRole.Mid: QColor(50, 50, 54),
        QPalette.ColorRole.Dark: QColor(22, 22, 24), QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    return palette


@pytest.fixture(params=["light", "dark"])
def theme(request, qapp) -> Iterator[str]:
    """The application's palette, light (the style's own) or dark, put back afterwards."""
    before = QPalette(qapp.palette())
    qapp.setPalette(qapp.style().standardPalette() if request.param == "light" else dark_palette())
    yield request.param
    qapp.setPalette(before)


@pytest.fixture
def window(qtbot, tmp_path, demo_source, default_encoder) -> Iterator[MainWindow]:
    """The window on a fresh copy of the demo catalog, indexed, the first product chosen by a click."""
    catalog = tmp_path / "catalog"
    shutil.copytree(demo_source, catalog)
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(win.session.indexed, timeout=WAIT):
        win.open_catalog(catalog)
    with qtbot.waitSignal(win.query_shown, timeout=WAIT):
        click(win.catalog_view, win.catalog_filter.index(0, 0))
    yield win
    win.session.shutdown()


def click(view: QListView, index: QModelIndex) -> None:
    view.scrollTo(index)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, NONE, view.visualRect(index).center())


def shot(widget: QWidget, name: str) -> Path:
    folder = screenshot_folder()
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def settle(qtbot, window: MainWindow) -> None:
    """Let the grids lay out and their visible thumbnails arrive."""
    QApplication.processEvents()
    window.grab()
    qtbot.waitUntil(lambda: window.loader.pending_count() == 0, timeout=10_000)
    QTest.qWait(150)  # QListView lays out again a moment after a resize


def columns(view: QListView) -> int:
    model = view.model()
    tops = [view.visualRect(model.index(row, 0)).top() for row in range(model.rowCount())]
    return tops.count(min(tops))


def right_gap(view: QListView) -> int:
    """The room left on the right of the first row of cards."""
    model = view.model()
    last = view.visualRect(model.index(columns(view) - 1, 0))
    return view.viewport().width() - last.right() - 1


def sized(qtbot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size() == QSize(width, height), timeout=5000)
    settle(qtbot, window)


# sizes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "height", "least"), [(1024, 700, 2), (1280, 800, 3)])
def test_the_catalog_grid_shows_columns_of_cards_that_fill_its_rows(qtbot, window, width, height, least):
    sized(qtbot, window, width, height)
    grid, results = window.catalog_view, window.results_view
    assert columns(grid) >= least
    cell = grid.visualRect(grid.model().index(0, 0)).width() + grid.spacing()
    # no room left for another card, and little left over: the cards take the row
    for view in (grid, results):
        assert right_gap(view) < view.visualRect(view.model().index(0, 0)).width() // 2 + view.spacing() + 20
    assert abs(window.catalog_delegate.shown_size - window.catalog_delegate.thumb_size) <= cell // 2
    shot(window, f"window-{width}x{height}")


def test_cards_keep_to_the_size_chosen(qtbot, window):
    """Ctrl+- and Ctrl++ still make the cards smaller and larger, the row filled at each size."""
    sized(qtbot, window, 1280, 800)
    grid = window.catalog_view
    before = columns(grid)
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_Minus, CTRL)
    QTest.keyClick(grid, Qt.Key.Key_Minus, CTRL)
    settle(qtbot, window)
    assert window.catalog_delegate.thumb_size == 64
    assert columns(grid) > before
    assert right_gap(grid) < grid.visualRect(grid.model().index(0, 0)).width()
    QTest.keyClick(grid, Qt.Key.Key_Plus, CTRL)
    QTest.keyClick(grid, Qt.Key.Key_Plus, CTRL)
    QTest.keyClick(grid, Qt.Key.Key_Plus, CTRL)
    settle(qtbot, window)
    assert window.catalog_delegate.thumb_size == 160
    assert columns(grid) < before + 1


def catalog_share(window: MainWindow) -> float:
    left, right = window.splitter.sizes()
    return left / (left + right)


def test_the_panes_keep_their_shares_of_a_window_made_small_then_large(qtbot, window):
    sized(qtbot, window, 1280, 800)
    assert abs(catalog_share(window) - 0.4) < 0.02  # the catalog two fifths, the rest half each
    sized(qtbot, window, 1024, 700)  # the lookalikes and the list at their least widths: the catalog squeezed
    assert catalog_share(window) < 0.35
    sized(qtbot, window, 2560, 1400)  # and grown back to its share, not left at the squeezed one
    assert abs(catalog_share(window) - 0.4) < 0.02
    lookalikes, listed = window.curation_splitter.sizes()
    assert abs(lookalikes - listed) < 0.02 * (lookalikes + listed)

    handle = window.splitter.handle(1)  # the user widens the catalog: that share is kept from now on
    start = handle.rect().center()
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, NONE, start)
    QTest.mouseMove(handle, start + QPoint(300, 0))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, NONE, start + QPoint(300, 0))
    chosen = catalog_share(window)
    assert chosen > 0.45
    sized(qtbot, window, 1280, 800)
    sized(qtbot, window, 2000, 1000)
    assert abs(catalog_share(window) - chosen) < 0.02
    shot(window, "window-2000x1000-wider-catalog")


def test_a_few_cards_grow_to_fill_a_pane_that_has_room():
    chrome = QSize(20, 65)
    # a narrow pane: two columns of about the chosen size, filling the row
    assert fitted_thumb(QSize(307, 400), 128, chrome, 4) == (307 - 1 - 4) // 2 - 4 - 20
    # a tall wide pane and twelve matches: larger cards, all in view, no larger than the stored thumbnails
    big = fitted_thumb(QSize(740, 1050), 128, chrome, 4, count=12)
    assert 160 <= big <= 192
    cols = (740 - 1 - 4) // (big + chrome.width() + 4)
    rows = -(-12 // cols)
    assert 4 + rows * (big + chrome.height() + 4) <= 1050
    # more matches than fit: the cards stay near the chosen size
    assert fitted_thumb(QSize(740, 1050), 128, chrome, 4, count=200) == fitted_thumb(QSize(740, 1050), 128, chrome, 4)


# keyboard focus ------------------------------------------------------------------------------
def edge(view: QListView, row: int) -> list[QColor]:
    """The pixels across the left edge of a card, halfway down, from its cell's edge inwards."""
    image = view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    rect = view.visualRect(view.model().index(row, 0))
    y = rect.center().y()
    return [image.pixelColor(round(x * ratio), round(y * ratio)) for x in range(rect.left(), rect.left() + 6)]


def ring(view: QListView, row: int) -> int:
    """How many pixels across the card's edge stand out from the grid's background (a focus ring: 3)."""
    base = view.palette().color(QPalette.ColorRole.Base)
    return sum(contrast(pixel, base) >= 3.0 for pixel in edge(view, row))


def test_the_card_the_keyboard_is_on_has_a_ring_in_both_grids(qtbot, window, theme):
    sized(qtbot, window, 1280, 800)
    grid, results = window.catalog_view, window.results_view
    assert QApplication.focusWidget() is grid
    with qtbot.waitSignal(window.query_shown, timeout=WAIT):
        QTest.keyClick(grid, Qt.Key.Key_Right)
    settle(qtbot, window)
    assert grid.currentIndex().row() == 1
    assert ring(grid, 1) >= 3 and ring(grid, 2) == 0
    QTest.keyClick(grid, Qt.Key.Key_Right, CTRL)  # the keyboard moves on; the selection stays
    settle(qtbot, window)
    assert grid.currentIndex().row() == 2 and not grid.selectionModel().isSelected(grid.currentIndex())
    assert ring(grid, 2) >= 3  # only the ring tells where the keyboard is
    assert ring(grid, 1) <= 1 and ring(grid, 3) == 0  # the selected card has its thin border, no ring
    shot(grid, f"focus-catalog-{theme}")

    for _ in range(8):  # Tab on to the lookalikes
        if QApplication.focusWidget() is results:
            break
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is results
    settle(qtbot, window)
    assert results.currentIndex().row() == 0 and not results.selectionModel().hasSelection()
    assert ring(results, 0) >= 3 and ring(results, 1) == 0
    below = columns(results)
    QTest.keyClick(results, Qt.Key.Key_Down)
    settle(qtbot, window)
    assert QApplication.focusWidget() is results  # Down moves in the grid, not back to the catalog
    assert results.currentIndex().row() == below
    assert ring(results, below) >= 3 and ring(results, 0) == 0
    QTest.keyClick(results, Qt.Key.Key_Right, CTRL)
    settle(qtbot, window)
    assert results.currentIndex().row() == below + 1
    assert ring(results, below + 1) >= 3 and ring(results, below) <= 1
    shot(window, f"focus-lookalikes-{theme}")


# the banner ----------------------------------------------------------------------------------
def rendered_contrast(banner: QWidget, part: QWidget) -> float:
    """The contrast of `part`'s text on its background, as the banner is drawn: the commonest colour in
    the part is its background, the pixel that stands out most from it is its text."""
    image: QImage = banner.grab().toImage()
    ratio = image.devicePixelRatio()
    area = QRect(part.mapTo(banner, part.rect().topLeft()), part.size())
    pixels = [
        image.pixelColor(x, y)
        for x in range(round(area.left() * ratio) + 2, round((area.right() + 1) * ratio) - 2)
        for y in range(round(area.top() * ratio) + 2, round((area.bottom() + 1) * ratio) - 2)
    ]
    background = QColor(Counter(p.rgb() for p in pixels).most_common(1)[0][0])
    return max(contrast(p, background) for p in pixels)


def readable(banner: QWidget) -> dict[str, float]:
    parts = {"message": banner.label, **{b.text(): b for b in banner.findChildren(QAbstractButton) if b.isVisible()}}
    return {name: rendered_contrast(banner, part) for name, part in parts.items()}


def test_the_banner_and_its_buttons_are_readable_on_light_and_dark_palettes(qtbot, window, theme, tmp_path):
    grid = window.catalog_view
    grid.setFocus()
    QGuiApplication.clipboard().clear()
    QTest.keyClick(grid, Qt.Key.Key_V, CTRL)  # nothing to paste: an error
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    QTest.qWait(50)
    seen = readable(window.banner)
    assert "Dismiss" in seen and all(ratio >= 4.5 for ratio in seen.values()), seen
    shot(window.banner, f"banner-error-{theme}")

    # a photo gone from the folder: a notice, with a button for what can be done
    first = next(p for p in sorted(window.session.ws.catalog.rglob("*.jpg")) if ".lookalike" not in p.parts)
    first.unlink()
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        QTest.keyClick(grid, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.banner.isVisible() and len(window.banner.buttons) == 1, timeout=5000)
    QTest.qWait(50)
    seen = readable(window.banner)
    assert len(seen) == 3 and all(ratio >= 4.5 for ratio in seen.values()), seen
    shot(window.banner, f"banner-notice-{theme}")
    QTest.mouseClick(next(b for b in window.banner.findChildren(QAbstractButton) if b.text() == "Dismiss"), Qt.MouseButton.LeftButton)
    assert window.banner.isHidden()
