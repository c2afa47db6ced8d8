"""Render resources/lookalike.svg to the PNG icon that the window and the desktop entry use.

Run it after editing the SVG: `QT_QPA_PLATFORM=offscreen python packaging/render_icon.py`.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def render_icon(svg: Path, png: Path, size: int) -> None:
    """Draw `svg` into a transparent `size` x `size` PNG with Qt's SVG renderer."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # Qt painting wants one
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"Qt cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png)):
        raise OSError(f"could not write {png}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=RESOURCES / "lookalike.svg")
    parser.add_argument("--png", type=Path, default=RESOURCES / "lookalike.png")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    render_icon(args.svg, args.png, args.size)
    print(f"wrote {args.png} ({args.size} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
