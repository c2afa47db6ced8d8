"""Two products side by side: their photos and details, their score, and how much of it is shape and how much colour."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.catalog import inside_catalog
from core.similarity import ScoreParts, Swatch
from core.storage import Item
from gui.session import CatalogSession
from gui.shop_links import open_shop_page, shop_page
from gui.workers import Job

PHOTO_SIDE = 320
SHAPE_COLOUR = QColor(52, 101, 164)
COLOUR_COLOUR = QColor(222, 128, 34)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ScoreBar(QWidget):
    """The score as a bar from 0 to 1: the shape's part, then the colour's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parts: ScoreParts | None = None
        self.setMinimumHeight(18)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(300, 18)

    def show_parts(self, parts: ScoreParts | None) -> None:
        self.parts = parts
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
            painter.setPen(self.palette().mid().color())
            painter.setBrush(self.palette().base())
            painter.drawRect(frame)
            if self.parts is None:
                return
            painter.setPen(Qt.PenStyle.NoPen)
            left = frame.left()
            for part, colour in ((self.parts.shape, SHAPE_COLOUR), (self.parts.colour, COLOUR_COLOUR)):
                width = max(0.0, min(part, 1.0)) * frame.width()
                width = min(width, frame.right() - left)
                if width > 0:
                    painter.fillRect(QRectF(left, frame.top(), width, frame.height()), colour)
                    left += width
        finally:
            painter.end()


class SwatchStrip(QWidget):
    """A photo's main colours as one strip, each colour as wide as its share of the product."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.swatches: list[Swatch] = []
        self.setFixedHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(PHOTO_SIDE, 22)

    def show_swatches(self, swatches: list[Swatch]) -> None:
        self.swatches = list(swatches)
        self.setToolTip("\n".join(f"#{s.rgb[0]:02x}{s.rgb[1]:02x}{s.rgb[2]:02x}  {s.share:.0%}" for s in self.swatches))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            area = QRectF(self.rect())
            total = sum(s.share for s in self.swatches)
            left = area.left()
            for swatch in self.swatches:
                width = area.width() * swatch.share / total
                painter.fillRect(QRectF(left, area.top(), width, area.height()), QColor(*swatch.rgb))
                left += width
            painter.setPen(self.palette().mid().color())
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(area.adjusted(0.5, 0.5, -0.5, -0.5))
        finally:
            painter.end()


class _ProductColumn(QWidget):
    """One product: its photo, name, SKU and category, main colours, and its page in the shop."""

    def __init__(self, item: Item, pixmap: QPixmap, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.photo = QLabel()
        self.photo.setFixedSize(PHOTO_SIDE, PHOTO_SIDE)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setStyleSheet("QLabel { background: white; border: 1px solid palette(mid); }")
        if pixmap.isNull():
            self.photo.setText("The photo cannot be shown")
        else:
            self.photo.setPixmap(pixmap.scaled(PHOTO_SIDE - 2, PHOTO_SIDE - 2, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))
        self.title = QLabel(f"<small>{role}</small><br><b>{_escape(item.title)}</b>")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        facts = [f"SKU {item.sku}" if item.sku else "No SKU", item.category or "No category", item.path]
        self.details = QLabel("<br>".join(_escape(fact) for fact in facts))
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.colours_caption = QLabel("Main colours: reading the photo…")
        self.swatches = SwatchStrip()
        self.shop_button = QPushButton("Open in Shop")
        page = shop_page(item.link, item.title)
        self.shop_button.setEnabled(page.url is not None)
        self.shop_button.setToolTip(page.url.toString() if page.url is not None else page.why)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.colours_caption)
        layout.addWidget(self.swatches)
        layout.addWidget(self.shop_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.setFixedWidth(PHOTO_SIDE)


class CompareDialog(QDialog):
    """`second` as a lookalike of `first`: the score the lookalikes grid gives it, split into shape and colour."""

    colours_shown = Signal()  # both photos' main colours are on screen (or why not is)

    def __init__(self, session: CatalogSession, first: Item, second: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.first, self.second = first, second
        self.parts: ScoreParts | None = None
        self.problem = ""  # why a shop page was not opened, or why the score cannot be given
        self.setWindowTitle(f"Compare {first.title} and {second.title}")
        catalog = session.ws.catalog if session.ws is not None else None
        self.catalog = catalog  # the ids of these products mean them in this catalog only

        def pixmap(item: Item) -> QPixmap:
            source = inside_catalog(catalog, item.path) if catalog is not None else None
            return QPixmap(str(source)) if source is not None else QPixmap()

        self.columns = (_ProductColumn(first, pixmap(first), "The product"), _ProductColumn(second, pixmap(second), "Its lookalike"))
        for column in self.columns:
            column.shop_button.clicked.connect(lambda checked=False, item=column.item: self._open_in_shop(item))

        self.score_label = QLabel()
        self.score_label.setWordWrap(True)
        self.bar = ScoreBar()
        self.shape_label = QLabel()
        self.colour_label = QLabel()
        self.note = QLabel()
        self.note.setWordWrap(True)
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.close)

        photos = QHBoxLayout()
        photos.setSpacing(24)
        for column in self.columns:
            photos.addWidget(column, 0, Qt.AlignmentFlag.AlignTop)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        parts = QGridLayout()
        parts.setColumnStretch(1, 1)
        for row, (colour, label) in enumerate(((SHAPE_COLOUR, self.shape_label), (COLOUR_COLOUR, self.colour_label))):
            key = QLabel()
            key.setFixedSize(12, 12)
            key.setStyleSheet(f"QLabel {{ background: {colour.name()}; }}")
            parts.addWidget(key, row, 0)
            parts.addWidget(label, row, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)  # as tall as its wrapped lines need: nothing drawn over
        layout.addLayout(photos)
        layout.addWidget(rule)
        layout.addWidget(self.score_label)
        layout.addWidget(self.bar)
        layout.addLayout(parts)
        layout.addLayout(buttons)

        self.refresh_score()
        self._read_colours()

    def refresh_score(self) -> None:
        """Score the pair again at the colour weight in use (the slider may have moved since)."""
        searcher, ws = self.session.searcher, self.session.ws
        same = ws is not None and ws.catalog == self.catalog
        parts = searcher.score_parts(self.first.id, self.second.id, self.session.colour_weight) if searcher is not None and same else None
        self.parts = parts
        self.bar.show_parts(parts)
        if parts is None:
            self.problem = ("Both products must be indexed to be compared: re-index the catalog (F5)" if same
                            else "The catalog of these products is no longer open")
            self.score_label.setText(f"<b>No score</b>: {self.problem}.")
            self.shape_label.clear()
            self.colour_label.clear()
            return
        self.problem = ""
        shape_weight, colour_weight = 1.0 - parts.weight_used, parts.weight_used
        self.score_label.setText(
            f"<b>Score {parts.score:.3f}</b>: what {_escape(_short(self.second.title))} scores among the lookalikes of "
            f"{_escape(_short(self.first.title))}, matched {colour_weight:.0%} by colour"
        )
        self.shape_label.setText(f"Shape <b>{parts.shape:.3f}</b> = {shape_weight:.0%} × {parts.shape_similarity:.3f}, how alike the shapes are")
        if parts.colour_similarity is None:
            self.colour_label.setText("Colour <b>0.000</b>: this index holds no colours yet; re-index the catalog to match by colour")
        else:
            self.colour_label.setText(
                f"Colour <b>{parts.colour:.3f}</b> = {colour_weight:.0%} × {parts.colour_similarity:.3f}, how alike the colours are"
            )

    def _read_colours(self) -> None:
        """The main colours of both photos, read off the GUI thread."""
        searcher = self.session.searcher
        if searcher is None:
            self._colours_failed("the catalog is not indexed")
            return
        first, second = self.first.id, self.second.id
        self._colours_job = Job("colours", lambda progress, cancel: (searcher.main_colours(first), searcher.main_colours(second)))
        self._colours_job.finished.connect(self._colours_read)
        self._colours_job.failed.connect(self._colours_failed)
        self._colours_job.start()

    def _colours_read(self, found: Any) -> None:
        for column, swatches in zip(self.columns, found):
            column.swatches.show_swatches(swatches)
            column.colours_caption.setText("Main colours" if swatches else "Main colours: none stand out")
        self.colours_shown.emit()

    def _colours_failed(self, message: str) -> None:
        for column in self.columns:
            column.colours_caption.setText(f"Main colours: cannot be read ({message})")
        self.colours_shown.emit()

    def _open_in_shop(self, item: Item) -> None:
        self.problem = open_shop_page(item.link, item.title)
        self.note.setText(self.problem)


def _short(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
