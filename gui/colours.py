"""Colour contrast as WCAG 2 measures it, to pick colours readable on light and dark palettes alike."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

FOCUS_CONTRAST = 3.0  # WCAG's least for a focus indicator against what it sits on
TEXT_CONTRAST = 4.5  # WCAG's least for text of ordinary size


def luminance(colour: QColor) -> float:
    """Relative luminance, 0 for black to 1 for white."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The contrast ratio of two opaque colours, from 1 (the same) to 21 (black on white)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def is_dark(palette: QPalette) -> bool:
    """Whether `palette` draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightness() < palette.color(QPalette.ColorRole.WindowText).lightness()
