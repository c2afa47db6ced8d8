"""Paints one catalog item as a card: its thumbnail in a square, then name, sku and score.

Thumbnails come from a ThumbnailLoader; the delegate never decodes anything itself, so the
views stay smooth at any catalog size (only the visible rows are ever painted).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from gui.colours import FOCUS_CONTRAST, contrast
from gui.roles import MissingRole, NameRole, PhotoCountRole, PinnedRole, ScoreRole, SkuRole, SourcePathRole, ThumbKeyRole
from gui.thumbnails import ThumbnailLoader

MIN_THUMB = 48
MAX_THUMB = 512
DEFAULT_THUMB = 128

_INSET = 2  # gap between a card and its cell, so neighbouring highlights never touch
_PAD = 8  # inside the card, around the thumbnail and the captions
_GAP = 6  # between the thumbnail and the first caption line
_RADIUS = 6.0
_SMALL_FONT_SCALE = 0.85
_BADGE = 18
_FOCUS_WIDTH = 3.0
NAME_LINES = 2  # a product name wraps once before it is cut ("Women's Brown H…" said little)
_AnyIndex = QModelIndex | QPersistentModelIndex


class _ViewRefresher(QObject):
    """Repaints its view when a thumbnail arrives; dies with the view, which ends the connection."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view

    @Slot(str)
    def refresh(self, _key: str) -> None:
        """Schedule a repaint of the visible items (Qt coalesces repeated requests)."""
        self._view.viewport().update()


class ThumbnailDelegate(QStyledItemDelegate):
    """Product cards for a QListView in icon mode; reads the roles in gui.roles."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None, pinned_tag: str = "PINNED") -> None:
        """`pinned_tag` is what the corner tag of an entry marked pinned says (a duplicate group's keeper "STAYS")."""
        super().__init__(parent)
        self._loader = loader
        self._thumb_size = DEFAULT_THUMB
        self._fitted: int | None = None  # the side a grid sized the cards to, near the chosen one (see gui.grid_fit)
        self._pinned_tag = pinned_tag

    @property
    def thumb_size(self) -> int:
        """Side of the thumbnail square in pixels, as chosen; the cards show it at `shown_size`."""
        return self._thumb_size

    @thumb_size.setter
    def thumb_size(self, size: int) -> None:
        size = max(MIN_THUMB, min(MAX_THUMB, int(size)))
        if size != self._thumb_size:
            self._thumb_size = size
            # Views connect this signal to doItemsLayout(): they re-read the size hint and
            # relay out on their next pass through the event loop.
            self.sizeHintChanged.emit(QModelIndex())

    @property
    def shown_size(self) -> int:
        """Side of the thumbnail square as painted: the chosen size, or the one the grid fitted to its room."""
        return self._fitted if self._fitted is not None else self._thumb_size

    def fit(self, size: int | None) -> None:
        """Paint thumbnails `size` pixels square (None: at the chosen `thumb_size`)."""
        fitted = None if size is None else max(MIN_THUMB, min(MAX_THUMB, int(size)))
        if fitted != self._fitted:
            shown = self.shown_size
            self._fitted = fitted
            if self.shown_size != shown:
                self.sizeHintChanged.emit(QModelIndex())

    def card_size(self, font: QFont, thumb: int | None = None) -> QSize:
        """The size of a card in `font` whose thumbnail is `thumb` pixels square (by default as shown)."""
        side = self.shown_size if thumb is None else thumb
        lines = NAME_LINES * QFontMetrics(font).height() + QFontMetrics(_small_font(font)).height()
        return QSize(side + 2 * (_PAD + _INSET), side + _GAP + lines + 2 * (_PAD + _INSET))

    def attach(self, view: QAbstractItemView) -> None:
        """Become `view`'s delegate and repaint it whenever a thumbnail is ready or fails."""
        view.setItemDelegate(self)
        view.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover, True)
        refresher = _ViewRefresher(view)
        self._loader.ready.connect(refresher.refresh)
        self._loader.failed.connect(refresher.refresh)  # the reason is dropped; the key is enough

    def sizeHint(self, option: QStyleOptionViewItem, index: _AnyIndex) -> QSize:
        """The thumbnail square plus the caption (a name of up to two lines, then sku and score), padded; the same for every item."""
        return self.card_size(option.font)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _AnyIndex) -> None:
        """Draw the card: highlight, thumbnail (or placeholder and failure badge), captions."""
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            card = QRectF(option.rect).adjusted(_INSET, _INSET, -_INSET, -_INSET)
            self._paint_highlight(painter, option, card)
            side = self.shown_size
            square = QRect(int(card.x()) + _PAD, int(card.y()) + _PAD, side, side)
            key, source = _key_and_source(index)
            pixmap = self._loader.pixmap(key, source) if key and source else None
            if pixmap is not None and not pixmap.isNull():
                painter.drawPixmap(_fit(pixmap, square), pixmap)
            else:
                painter.fillRect(square, _placeholder_colour(option.palette))
            missing = index.data(MissingRole)
            if missing is not None:
                painter.fillRect(square, _veil(option.palette))
            elif key and self._loader.failure(key) is not None:
                _paint_badge(painter, square)
            if index.data(PinnedRole):
                _paint_tag(painter, square, self._pinned_tag, QColor(30, 100, 200))
            if missing is not None:
                _paint_tag(painter, square, "MISSING", QColor(150, 60, 20), bottom=True)
            photos = index.data(PhotoCountRole)
            if photos is not None and int(photos) > 1:
                _paint_tag(painter, square, f"{int(photos)} photos", QColor(60, 60, 60, 210), bottom=True, right=True)
            top = square.bottom() + 1 + _GAP
            self._paint_captions(painter, option, index, QRect(square.x(), top, square.width(), 0))
            if option.state & QStyle.StateFlag.State_HasFocus:
                _paint_focus(painter, option, card)
        finally:
            painter.restore()

    def helpEvent(
        self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem, index: _AnyIndex
    ) -> bool:
        """Show why a thumbnail failed as the tooltip of its item."""
        if event is not None and event.type() == QEvent.Type.ToolTip and index.isValid():
            key, _ = _key_and_source(index)
            reason = self._loader.failure(key) if key else None
            if reason is not None:
                QToolTip.showText(event.globalPos(), reason, view)
                return True
        return super().helpEvent(event, view, option, index)

    def _paint_highlight(self, painter: QPainter, option: QStyleOptionViewItem, card: QRectF) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if not (selected or hovered):
            return
        colour = QColor(option.palette.color(_colour_group(option), QPalette.ColorRole.Highlight))
        painter.setPen(Qt.PenStyle.NoPen)
        if selected:
            colour.setAlpha(70)
            painter.setBrush(colour)
            painter.drawRoundedRect(card, _RADIUS, _RADIUS)
            colour.setAlpha(255)
            painter.setPen(colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(card.adjusted(0.5, 0.5, -0.5, -0.5), _RADIUS, _RADIUS)
        else:
            colour.setAlpha(30)
            painter.setBrush(colour)
            painter.drawRoundedRect(card, _RADIUS, _RADIUS)

    def _paint_captions(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _AnyIndex, area: QRect
    ) -> None:
        group = _colour_group(option)
        text = option.palette.color(group, QPalette.ColorRole.Text)
        dim = _blend(text, option.palette.color(group, QPalette.ColorRole.Base), 0.45)
        width = area.width()
        font = QFont(option.font)
        metrics = QFontMetrics(font)
        painter.setFont(font)
        painter.setPen(text)
        for n, name_line in enumerate(_wrapped(metrics, _title(index), width, NAME_LINES)):
            line = QRect(area.x(), area.y() + n * metrics.height(), width, metrics.height())
            painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name_line)
        line = QRect(area.x(), area.y() + (NAME_LINES - 1) * metrics.height(), width, metrics.height())  # sku and score go below

        small = _small_font(option.font)
        small_metrics = QFontMetrics(small)
        painter.setFont(small)
        line = QRect(area.x(), line.bottom() + 1, width, small_metrics.height())
        score = index.data(ScoreRole)
        score_text = f"{float(score):.3f}" if score is not None else ""
        score_width = small_metrics.horizontalAdvance(score_text) + _GAP if score_text else 0
        sku = index.data(SkuRole)
        if sku:
            painter.setPen(dim)
            sku_text = small_metrics.elidedText(str(sku), Qt.TextElideMode.ElideRight, max(0, width - score_width))
            painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sku_text)
        if score_text:
            painter.setPen(text)
            painter.drawText(line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, score_text)


def _wrapped(metrics: QFontMetrics, text: str, width: int, most: int) -> list[str]:
    """`text` in at most `most` lines of `width`, broken between words where it can be, the last one cut with an ellipsis."""
    lines: list[str] = []
    rest = text.strip()
    while rest and len(lines) < most - 1 and metrics.horizontalAdvance(rest) > width:
        words = rest.split(" ")
        fit = next((n for n in range(len(words) - 1, 0, -1) if metrics.horizontalAdvance(" ".join(words[:n])) <= width), 0)
        if fit == 0:  # one word wider than the card: broken where the width ends
            cut = next((n for n in range(len(rest), 0, -1) if metrics.horizontalAdvance(rest[:n]) <= width), 1)
            lines.append(rest[:cut])
            rest = rest[cut:]
        else:
            lines.append(" ".join(words[:fit]))
            rest = " ".join(words[fit:])
    if rest:
        lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
    return lines


def _paint_focus(painter: QPainter, option: QStyleOptionViewItem, card: QRectF) -> None:
    """A ring round the card the keyboard is on, selected or not: the highlight colour, or the text colour
    where the highlight is too faint on the view's background."""
    group = _colour_group(option)
    base = option.palette.color(group, QPalette.ColorRole.Base)
    colour = option.palette.color(group, QPalette.ColorRole.Highlight)
    if contrast(colour, base) < FOCUS_CONTRAST:
        colour = option.palette.color(group, QPalette.ColorRole.Text)
    pen = QPen(colour, _FOCUS_WIDTH)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = _FOCUS_WIDTH / 2 - 1  # the ring straddles the card's edge, into the gap between cards
    painter.drawRoundedRect(card.adjusted(half, half, -half, -half), _RADIUS, _RADIUS)


def _key_and_source(index: _AnyIndex) -> tuple[str | None, Path | None]:
    """The thumbnail key (the source path when the model gives none) and the source photo."""
    source = index.data(SourcePathRole)
    key = index.data(ThumbKeyRole) or (str(source) if source else None)
    return key, Path(source) if source else None


def _title(index: _AnyIndex) -> str:
    """The product name, else the photo's file name, else the display text."""
    name = index.data(NameRole)
    if name:
        return str(name)
    source = index.data(SourcePathRole)
    if source:
        return Path(source).name
    display = index.data(Qt.ItemDataRole.DisplayRole)
    return str(display) if display is not None else ""


def _fit(pixmap: QPixmap, square: QRect) -> QRect:
    """The largest rectangle of the pixmap's aspect ratio centred in `square`."""
    ratio = pixmap.devicePixelRatio() or 1.0
    width, height = pixmap.width() / ratio, pixmap.height() / ratio
    scale = min(square.width() / width, square.height() / height)
    fitted = QSize(max(1, round(width * scale)), max(1, round(height * scale)))
    rect = QRect(square.topLeft(), fitted)
    rect.moveCenter(square.center())
    return rect


def _paint_badge(painter: QPainter, square: QRect) -> None:
    """A small red disc with a white '!' in the top right corner of the thumbnail square."""
    badge = QRectF(square.right() - _BADGE - 3, square.top() + 4, _BADGE, _BADGE)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(210, 40, 40))
    painter.drawEllipse(badge)
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(_BADGE - 5)
    painter.setFont(font)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "!")


def _paint_tag(painter: QPainter, square: QRect, text: str, colour: QColor, bottom: bool = False, right: bool = False) -> None:
    """A small tag in a corner of the thumbnail: 'PINNED' (a person placed this entry), 'MISSING' (the photo is gone), '2 photos'."""
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(9)
    metrics = QFontMetrics(font)
    height = metrics.height() + 2
    width = metrics.horizontalAdvance(text) + 8
    top = square.bottom() - height - 3 if bottom else square.top() + 4
    tag = QRectF(square.right() - width - 3 if right else square.left() + 3, top, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(tag, 3, 3)
    painter.setFont(font)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


def _veil(palette: QPalette) -> QColor:
    """The view's background at half strength: laid over the last thumbnail of a photo that is gone."""
    colour = QColor(palette.color(QPalette.ColorRole.Base))
    colour.setAlpha(150)
    return colour


def _small_font(font: QFont) -> QFont:
    small = QFont(font)
    if font.pointSizeF() > 0:
        small.setPointSizeF(max(6.0, font.pointSizeF() * _SMALL_FONT_SCALE))
    else:
        small.setPixelSize(max(8, round(font.pixelSize() * _SMALL_FONT_SCALE)))
    return small


def _colour_group(option: QStyleOptionViewItem) -> QPalette.ColorGroup:
    if not option.state & QStyle.StateFlag.State_Enabled:
        return QPalette.ColorGroup.Disabled
    if option.state & QStyle.StateFlag.State_Active:
        return QPalette.ColorGroup.Active
    return QPalette.ColorGroup.Inactive


def _placeholder_colour(palette: QPalette) -> QColor:
    """A quiet tone just off the view's background, light or dark theme alike."""
    base = palette.color(QPalette.ColorRole.Base)
    return base.darker(108) if base.lightness() > 128 else base.lighter(140)


def _blend(a: QColor, b: QColor, share_of_b: float) -> QColor:
    keep = 1.0 - share_of_b
    return QColor(
        round(a.red() * keep + b.red() * share_of_b),
        round(a.green() * keep + b.green() * share_of_b),
        round(a.blue() * keep + b.blue() * share_of_b),
    )
