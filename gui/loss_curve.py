"""A small live plot of the reconstruction error (the training loss) per step, drawn with QPainter."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class LossCurve(QWidget):
    """Reconstruction error on the training photos (one point per step) and on photos held back (one per pass)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train: list[tuple[int, float]] = []
        self.validation: list[tuple[int, float]] = []
        self.total_steps = 1
        self.setMinimumSize(320, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Reconstruction error (loss): how far the encoder's redrawing of a photo is from the photo; "
                        "lower is better. Blue: the photos it learns from (training loss); orange dots: photos held "
                        "back to check it (validation loss), once per pass over the photos.")

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
            painter.drawText(plot.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "The reconstruction error appears here as training runs: lower is better")
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
        painter.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), 16), Qt.AlignmentFlag.AlignCenter, "reconstruction error by step")
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
        painter.drawText(QRectF(plot.right() - 316, plot.top() + 4, 150, 14), Qt.AlignmentFlag.AlignRight, "photos learnt from")
        painter.setPen(QColor(230, 120, 20))
        painter.drawText(QRectF(plot.right() - 160, plot.top() + 4, 154, 14), Qt.AlignmentFlag.AlignRight, "photos held back")
