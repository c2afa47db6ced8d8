from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QEvent, QModelIndex, QSize
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QListView, QStyleOptionViewItem, QToolTip
from pytestqt.qtbot import QtBot

from core.catalog.thumbnails import ThumbnailCache
from gui.delegate import ThumbnailDelegate
from gui.roles import ItemIdRole, NameRole, PathRole, ScoreRole, SkuRole, SourcePathRole, ThumbKeyRole
from gui.thumbnails import ThumbnailLoader

RED = (200, 30, 30)


def photo(
    path: Path, colour: tuple[int, int, int] = RED, size: tuple[int, int] = (1200, 900), shape: str = "box"
) -> Path:
    """A real JPEG product shot: one filled shape on white."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    box = (width * 0.2, height * 0.2, width * 0.8, height * 0.8)
    if shape == "disc":
        draw.ellipse(box, fill=colour)
    else:
        draw.rectangle(box, fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=90)
    return path


def broken(path: Path) -> Path:
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"garbage" * 20)
    return path


class GatedCache(ThumbnailCache):
    """A real cache whose makes wait at a gate, so tests can queue requests behind a busy worker."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.entered = threading.Event()
        self.gate = threading.Event()

    def get_or_make(self, source: Path, key: str) -> Path:
        self.entered.set()
        if not self.gate.wait(5):
            raise TimeoutError("gate never opened")
        return super().get_or_make(source, key)


@pytest.fixture
def loader(qtbot: QtBot, tmp_path: Path) -> Iterator[ThumbnailLoader]:
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs"))
    yield loader
    loader.shutdown()


def test_pixmap_is_none_then_ready_then_the_right_size(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    source = photo(tmp_path / "p.jpg")

    with qtbot.waitSignal(loader.ready, timeout=5000) as blocker:
        assert loader.pixmap("k1", source) is None
        assert loader.pixmap("k1", source) is None  # asked again while loading: still one job
    assert blocker.args == ["k1"]

    pixmap = loader.pixmap("k1", source)
    assert isinstance(pixmap, QPixmap)
    assert pixmap.size() == QSize(160, 120)
    assert loader.failure("k1") is None and not loader.is_pending("k1")


def test_bad_file_fails_once_and_is_not_retried(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    bad = broken(tmp_path / "bad.jpg")
    failures: list[tuple[str, str]] = []
    loader.failed.connect(lambda key, reason: failures.append((key, reason)))

    with qtbot.waitSignal(loader.failed, timeout=5000):
        loader.pixmap("bad", bad)
        loader.pixmap("bad", bad)
    assert loader.pixmap("bad", bad) is None  # remembered: no new job
    loader.shutdown()
    qtbot.wait(10)  # let any stray queued signal arrive

    assert len(failures) == 1
    key, reason = failures[0]
    assert key == "bad" and reason and "\n" not in reason
    assert loader.failure("bad") == reason
    assert not loader.is_pending("bad")


def test_newest_requests_are_served_first(qtbot: QtBot, tmp_path: Path) -> None:
    cache = GatedCache(tmp_path / "thumbs")
    loader = ThumbnailLoader(cache, threads=1)
    sources = [photo(tmp_path / f"p{i}.jpg", size=(120, 90)) for i in range(20)]
    served: list[str] = []
    loader.ready.connect(served.append)
    try:
        loader.pixmap("k0", sources[0])
        assert cache.entered.wait(5)  # the only worker is now busy with k0
        for i in range(1, 20):
            loader.pixmap(f"k{i}", sources[i])
        loader.pixmap("k5", sources[5])  # asked again: moves to the top
        with qtbot.waitSignal(loader.ready, timeout=5000, check_params_cb=lambda key: key == "k1"):
            cache.gate.set()
    finally:
        loader.shutdown()

    assert served == ["k0", "k5"] + [f"k{i}" for i in range(19, 0, -1) if i != 5]


def test_clear_pending_drops_requests_not_started(qtbot: QtBot, tmp_path: Path) -> None:
    cache = GatedCache(tmp_path / "thumbs")
    loader = ThumbnailLoader(cache, threads=1)
    sources = [photo(tmp_path / f"p{i}.jpg", size=(120, 90)) for i in range(6)]
    served: list[str] = []
    loader.ready.connect(served.append)
    try:
        loader.pixmap("k0", sources[0])
        assert cache.entered.wait(5)
        for i in range(1, 6):
            loader.pixmap(f"k{i}", sources[i])
        assert loader.pending_count() == 6
        loader.clear_pending()
        assert not loader.is_pending("k3") and loader.is_pending("k0")
        assert loader.pending_count() == 1
        with qtbot.waitSignal(loader.ready, timeout=5000):
            cache.gate.set()
        assert served == ["k0"]
        assert all(cache.get(f"k{i}") is None for i in range(1, 6))

        with qtbot.waitSignal(loader.ready, timeout=5000):  # asked again later: loaded again
            assert loader.pixmap("k3", sources[3]) is None
    finally:
        loader.shutdown()
    assert served == ["k0", "k3"]


def test_memory_keeps_only_the_most_recent_pixmaps(qtbot: QtBot, tmp_path: Path) -> None:
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs"), memory_items=2, threads=1)
    sources = [photo(tmp_path / f"p{i}.jpg", size=(120, 90)) for i in range(3)]
    try:
        for i, source in enumerate(sources):
            with qtbot.waitSignal(loader.ready, timeout=5000):
                loader.pixmap(f"k{i}", source)
        assert loader.pixmap("k0", sources[0]) is None  # evicted, reloaded from the disk cache
        assert loader.pixmap("k2", sources[2]) is not None
    finally:
        loader.shutdown()


# ---- delegate ----------------------------------------------------------------------------

PRODUCTS = [
    ("Red box", "SKU-0001", (200, 30, 30), "box", (1200, 900)),
    ("Green disc with a very long product name indeed", "SKU-0002", (30, 160, 40), "disc", (900, 1200)),
    ("Blue box", None, (40, 60, 200), "box", (800, 800)),
    (None, "SKU-0004", (230, 150, 20), "disc", (1200, 700)),
    ("Broken photo", "SKU-0005", None, "", (0, 0)),
    ("Black disc", "SKU-0006", (20, 20, 20), "disc", (1000, 1000)),
]


def product_model(folder: Path, scores: bool) -> QStandardItemModel:
    """A tiny catalog model using the shared roles, one photo per product (one of them broken)."""
    model = QStandardItemModel()
    for i, (name, sku, colour, shape, size) in enumerate(PRODUCTS):
        rel = f"products/item-{i}.jpg"
        source = broken(folder / f"item-{i}.jpg") if colour is None else photo(folder / rel, colour, size, shape)
        item = QStandardItem()
        item.setEditable(False)
        item.setData(i, ItemIdRole)
        item.setData(rel, PathRole)
        item.setData(name, NameRole)
        item.setData(sku, SkuRole)
        item.setData(0.97 - 0.061 * i if scores else None, ScoreRole)
        item.setData(f"hash-{i}", ThumbKeyRole)
        item.setData(str(source), SourcePathRole)
        model.appendRow(item)
    return model


def grid_view(model: QStandardItemModel, delegate: ThumbnailDelegate) -> QListView:
    """A list view set up the way the catalog grid is meant to be."""
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
    view.setModel(model)
    delegate.attach(view)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    cell = delegate.sizeHint(option, QModelIndex())
    view.resize(3 * cell.width() + 2 * view.frameWidth() + 24, 2 * cell.height() + 2 * view.frameWidth() + 8)
    return view


def loaded_grid(qtbot: QtBot, tmp_path: Path, scores: bool = True) -> tuple[QListView, ThumbnailLoader]:
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "thumbs"))
    delegate = ThumbnailDelegate(loader)
    view = grid_view(product_model(tmp_path / "catalog", scores), delegate)
    delegate.setParent(view)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.selectionModel().select(view.model().index(1, 0), view.selectionModel().SelectionFlag.Select)
    keys = [f"hash-{i}" for i in range(len(PRODUCTS))]
    qtbot.waitUntil(lambda: all(loader.peek(k) or loader.failure(k) for k in keys), timeout=5000)
    return view, loader


def test_delegate_paints_thumbnails_captions_and_failure_badge(qtbot: QtBot, tmp_path: Path) -> None:
    view, loader = loaded_grid(qtbot, tmp_path)
    try:
        path = tmp_path / "grid.png"
        assert view.grab().save(str(path))
        image = QImage(str(path))
        ratio = image.width() / view.width()
        offset = view.viewport().mapTo(view, view.viewport().rect().topLeft())

        def pixel(x: int, y: int) -> QColor:
            return image.pixelColor(round((x + offset.x()) * ratio), round((y + offset.y()) * ratio))

        delegate = view.itemDelegate()
        size = delegate.thumb_size
        for row, (_, _, colour, _, _) in enumerate(PRODUCTS):
            rect = view.visualRect(view.model().index(row, 0))
            square_x, square_y = rect.x() + 10, rect.y() + 10  # inset + padding
            centre = pixel(square_x + size // 2, square_y + size // 2)
            if colour is None:
                badge = pixel(square_x + size - 3 - 9, square_y + 4 + 9)
                assert badge.red() > 150 and badge.green() < 100  # the red "!" badge
                assert loader.failure(f"hash-{row}")
            else:
                assert abs(centre.red() - colour[0]) < 40 and abs(centre.blue() - colour[2]) < 40
            caption_rows = range(square_y + size + 6, rect.bottom() - 10)
            caption = [pixel(x, y) for x in range(rect.left(), rect.right()) for y in caption_rows]
            assert sum(c.lightness() < 120 for c in caption) > 20  # some caption text was drawn
    finally:
        loader.shutdown()


def test_thumb_size_changes_the_layout(qtbot: QtBot, tmp_path: Path) -> None:
    view, loader = loaded_grid(qtbot, tmp_path, scores=False)
    try:
        delegate = view.itemDelegate()
        first = view.model().index(0, 0)
        before = view.visualRect(first).size()
        with qtbot.waitSignal(delegate.sizeHintChanged, timeout=1000):
            delegate.thumb_size = 200
        qtbot.waitUntil(lambda: view.visualRect(first).size() != before, timeout=1000)  # relaid out
        after = view.visualRect(first).size()
        assert (after.width() - before.width(), after.height() - before.height()) == (72, 72)
        delegate.thumb_size = 10_000
        assert delegate.thumb_size == 512
    finally:
        loader.shutdown()


def test_failed_item_tooltip_gives_the_reason(qtbot: QtBot, tmp_path: Path) -> None:
    view, loader = loaded_grid(qtbot, tmp_path)
    try:
        index = view.model().index(4, 0)
        rect = view.visualRect(index)
        event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), view.viewport().mapToGlobal(rect.center()))
        option = QStyleOptionViewItem()
        option.initFrom(view)
        option.rect = rect

        assert view.itemDelegate().helpEvent(event, view, option, index)
        assert QToolTip.text() == loader.failure("hash-4") == "truncated image data"
    finally:
        QToolTip.hideText()
        loader.shutdown()


def test_a_long_name_wraps_once_before_it_is_cut_and_the_tooltip_holds_it_whole(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QFontMetrics

    from core.storage import Item
    from gui.delegate import NAME_LINES, _wrapped
    from gui.models import CatalogModel

    metrics, width = QFontMetrics(QFont()), 128
    name = "Women's Brown Heeled Leather Sandal With Ankle Strap"
    lines = _wrapped(metrics, name, width, NAME_LINES)
    assert len(lines) == 2 and all(metrics.horizontalAdvance(line) <= width for line in lines)
    assert name.startswith(lines[0] + " ") and lines[1].endswith("…")  # broken between words, then cut
    assert _wrapped(metrics, "Red box", width, NAME_LINES) == ["Red box"]
    long_word = "X" * 60
    assert "".join(_wrapped(metrics, long_word, width, NAME_LINES)).startswith("X" * 10)

    model = CatalogModel()
    model.reset(tmp_path, [Item(id=1, path="shoes/1.jpg", size=1, mtime_ns=0, hash="h", status="ok", name=name, sku="SH-1")])
    assert model.index(0).data(Qt.ItemDataRole.ToolTipRole).splitlines()[:2] == [name, "shoes/1.jpg"]
