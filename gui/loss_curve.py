"""A small live plot of training loss per step, drawn with QPainter."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class LossCurve(QWidget):
    """Training loss (one point per step) and validation loss (one point per epoch)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train: list[tuple[int, float]] = []
        self.validation: list[tuple[int, float]] = []
        self.total_steps = 1
        self.setMinimumSize(320, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def clear(self, total_steps: int = 1) -> None:
        self.train.clear()
        self.validation.clear()
        self.total_steps = max(1, total_steps)
        self.update()

    def add_train(self, step: int, loss: float) -> None:
        self.train.append((step, loss))
        self.update()

    def add_validation(self, step: int, loss: float) -> None:
        self.validation.append((step, loss))
        self.update()

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.base())
        plot = QRectF(self.rect()).adjusted(48, 10, -12, -24)
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.drawRect(plot)
        values = [v for _, v in self.train + self.validation]
        if not values:
            painter.setPen(palette.text().color())
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Loss appears here as training runs")
            return
        low, high = min(values), max(values)
        if high - low < 1e-9:
            low, high = low - 0.5, high + 0.5

        def point(step: int, value: float) -> QPointF:
            x = plot.left() + plot.width() * step / self.total_steps
            y = plot.bottom() - plot.height() * (value - low) / (high - low)
            return QPointF(x, y)

        painter.setPen(palette.text().color())
        painter.drawText(QRectF(0, plot.top() - 6, 44, 14), Qt.AlignmentFlag.AlignRight, f"{high:.3f}")
        painter.drawText(QRectF(0, plot.bottom() - 8, 44, 14), Qt.AlignmentFlag.AlignRight, f"{low:.3f}")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), 16), Qt.AlignmentFlag.AlignCenter, "step")
        for series, colour, dots in ((self.train, QColor(40, 110, 220), False), (self.validation, QColor(230, 120, 20), True)):
            if not series:
                continue
            painter.setPen(QPen(colour, 2))
            path = QPainterPath(point(*series[0]))
            for step, value in series[1:]:
                path.lineTo(point(step, value))
            painter.drawPath(path)
            if dots:
                painter.setBrush(colour)
                for step, value in series:
                    painter.drawEllipse(point(step, value), 3.5, 3.5)
        painter.setPen(QColor(40, 110, 220))
        painter.drawText(QRectF(plot.right() - 190, plot.top() + 4, 90, 14), Qt.AlignmentFlag.AlignRight, "training")
        painter.setPen(QColor(230, 120, 20))
        painter.drawText(QRectF(plot.right() - 96, plot.top() + 4, 90, 14), Qt.AlignmentFlag.AlignRight, "validation")
