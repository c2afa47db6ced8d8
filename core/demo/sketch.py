"""Sketching demo products: outlines as point lists in the product's own units (about 100 across,
y down), and the drawing steps made of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Points = np.ndarray  # shape (n, 2)


def xy(*xy: tuple[float, float]) -> Points:
    return np.asarray(xy, dtype=float).reshape(-1, 2)


def join(*parts: Points | tuple[float, float]) -> Points:
    return np.concatenate([np.asarray(part, dtype=float).reshape(-1, 2) for part in parts])


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int = 24) -> Points:
    """Points on an ellipse from angle `start` to `stop` (degrees; 90 points down)."""
    t = np.radians(np.linspace(start, stop, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 40) -> Points:
    return arc(cx, cy, rx, ry, 0, 360, n + 1)[:-1]


def bezier(*control: tuple[float, float], n: int = 16) -> Points:
    c = np.asarray(control, dtype=float)
    k = len(c) - 1
    t = np.linspace(0, 1, n)[:, None]
    return sum(math.comb(k, i) * t**i * (1 - t) ** (k - i) * c[i] for i in range(k + 1))


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r_top: float, r_bottom: float | None = None) -> Points:
    """A rectangle with rounded corners (top and bottom radii may differ)."""
    r_bottom = r_top if r_bottom is None else r_bottom
    limit = min(x1 - x0, y1 - y0) / 2
    rt, rb = min(r_top, limit), min(r_bottom, limit)
    return join(
        arc(x1 - rt, y0 + rt, rt, rt, 270, 360, 10),
        arc(x1 - rb, y1 - rb, rb, rb, 0, 90, 10),
        arc(x0 + rb, y1 - rb, rb, rb, 90, 180, 10),
        arc(x0 + rt, y0 + rt, rt, rt, 180, 270, 10),
    )


def mirrored(half: Points) -> Points:
    """A left-right symmetric outline from its right half, traced from the axis at top to bottom."""
    return join(half, half[::-1] * (-1.0, 1.0))


def flip_x(points: Points) -> Points:
    return points * (-1.0, 1.0)


@dataclass(frozen=True)
class Op:
    """One drawing step: a filled outline (fill may be 'pattern') and/or a line, in product units."""

    points: Points
    fill: str | None = None
    line: str | None = None
    width: float = 0.0
    closed: bool = True


def filled(
    points: Points, fill: str | None = "pattern", outline: str | None = "seam", width: float = 0.6
) -> Op:
    return Op(points, fill, outline, width, True)


def stroke(points: Points, colour: str, width: float) -> Op:
    return Op(points, None, colour, width, False)


def both_sides(op: Op) -> list[Op]:
    return [op, Op(flip_x(op.points), op.fill, op.line, op.width, op.closed)]


Sketch = list[Op]
