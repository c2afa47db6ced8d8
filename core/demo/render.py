"""Rendering a demo product photo: place the sketch on a canvas, draw it at twice the size,
downsample, light it and add a shadow.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.common import InputError
from core.demo.palette import RGB, pattern_image, random_style
from core.demo.products import CATEGORIES, KINDS, Kind
from core.demo.sketch import Points, Sketch

SUPERSAMPLE = 2  # draw at this multiple of the output size, then downsample: anti-aliased edges


def render_product(
    category: str, rng: np.random.Generator, size: tuple[int, int] | None = None
) -> Image.Image:
    """One RGB product photo of `category`; `size` (width, height) is random when not given."""
    kind = KINDS.get(category)
    if kind is None:
        raise InputError(f"unknown demo category {category!r}; expected one of {', '.join(CATEGORIES)}")
    return render(kind, rng, size)[0]


def _pick_size(rng: np.random.Generator) -> tuple[int, int]:
    """Square or a little taller than wide, like studio pack shots."""
    width = int(rng.integers(240, 401))
    if rng.random() < 0.5:
        return width, width
    return width, min(480, round(width * rng.uniform(1.08, 1.25)))


@dataclass(frozen=True)
class _Placement:
    """Where a sketch lands on the canvas: mirrored, turned, scaled and shifted."""

    middle: np.ndarray  # the sketch's bounding-box centre, in product units
    mirror: float  # -1 to face the other way
    angle: float  # degrees
    unit: float  # canvas pixels per product unit
    centre: np.ndarray  # canvas pixel where `middle` lands
    box: tuple[int, int, int, int]  # canvas pixels covering the product
    height: float  # the turned product's height, in product units

    def turn(self, points: Points) -> Points:
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta), math.sin(theta)
        return ((points - self.middle) * (self.mirror, 1.0)) @ np.array([[cos, sin], [-sin, cos]])

    def to_px(self, points: Points) -> Points:
        return self.turn(points) * self.unit + self.centre


def _place(ops: Sketch, kind: Kind, canvas: tuple[int, int], rng: np.random.Generator) -> _Placement:
    """Fit the turned product so its larger side spans about 55-90% of the canvas, a little off centre."""
    every = np.concatenate([op.points for op in ops])
    middle = (every.min(axis=0) + every.max(axis=0)) / 2
    mirror = -1.0 if kind.flippable and rng.random() < 0.5 else 1.0
    angle = rng.uniform(-2, 2) if kind.standing else rng.uniform(-5, 5)
    unplaced = _Placement(middle, mirror, angle, 1.0, np.zeros(2), (0, 0, 0, 0), 0.0)
    turned = unplaced.turn(every)
    low, high = turned.min(axis=0), turned.max(axis=0)
    extent = high - low
    size = np.array(canvas, dtype=float)
    unit = rng.uniform(0.55, 0.86) * float(np.min(size / extent))  # line widths and shadow add a little
    room = (size - extent * unit) / 2 - 0.06 * size  # keep clear of the edges, shadow included
    shift = rng.uniform(-1, 1, 2) * np.clip(np.minimum(0.1 * size, room), 0, None)
    centre = size / 2 + shift - (low + high) / 2 * unit
    x0, y0 = np.floor(np.maximum(low * unit + centre - 2, 0)).astype(int)
    x1, y1 = np.ceil(np.minimum(high * unit + centre + 3, size)).astype(int)
    box = (int(x0), int(y0), int(x1), int(y1))
    return _Placement(middle, mirror, angle, unit, centre, box, float(extent[1]))


def render(
    kind: Kind, rng: np.random.Generator, size: tuple[int, int] | None = None
) -> tuple[Image.Image, str, str]:
    """The product photo, its colour name and its pattern."""
    width, height = size if size is not None else _pick_size(rng)
    style = random_style(rng)
    ops = kind.sketch(rng)
    big = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    placement = _place(ops, kind, big, rng)
    backdrop = tuple(int(c) for c in np.clip(rng.uniform(242, 253) + rng.normal(0, 1.2, 3), 0, 255))
    canvas = Image.new("RGB", big, backdrop)
    mask = Image.new("L", big, 0)
    centre = (float(placement.centre[0]), float(placement.centre[1]))
    fabric = pattern_image(style, placement.box, centre, placement.angle, placement.unit, placement.height)
    _draw(ops, placement, canvas, mask, fabric, style.colours)
    small, alpha = canvas.reduce(SUPERSAMPLE), mask.reduce(SUPERSAMPLE)
    photo = _light(small, alpha, np.array(backdrop, np.float32), kind.standing, rng)
    return photo, style.colour, style.pattern


def _draw(ops: Sketch, placement: _Placement, canvas: Image.Image, mask: Image.Image,
          fabric: Image.Image, colours: dict[str, RGB]) -> None:
    """Draw each step on the canvas, and what it covers on the mask."""
    draw, cover = ImageDraw.Draw(canvas), ImageDraw.Draw(mask)
    for op in ops:
        pts = placement.to_px(op.points)
        xy = pts.ravel().tolist()
        if op.closed and op.fill == "pattern":
            x0, y0 = np.floor(pts.min(axis=0)).astype(int)
            x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 1
            stencil = Image.new("L", (int(x1 - x0), int(y1 - y0)), 0)
            ImageDraw.Draw(stencil).polygon((pts - (x0, y0)).ravel().tolist(), fill=255)
            fx, fy = int(x0) - placement.box[0], int(y0) - placement.box[1]
            patch = fabric.crop((fx, fy, fx + stencil.width, fy + stencil.height))
            canvas.paste(patch, (int(x0), int(y0)), stencil)
            cover.polygon(xy, fill=255)
        elif op.closed and op.fill is not None:
            draw.polygon(xy, fill=colours[op.fill])
            cover.polygon(xy, fill=255)
        if op.line is not None:
            width = max(1, round(op.width * placement.unit))
            if op.closed:
                xy = xy + xy[:2]
            draw.line(xy, fill=colours[op.line], width=width, joint="curve")
            cover.line(xy, fill=255, width=width, joint="curve")


def _blurred(image: Image.Image, radius: float) -> np.ndarray:
    return np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255


def _light(image: Image.Image, alpha_image: Image.Image, backdrop: np.ndarray, standing: bool,
           rng: np.random.Generator) -> Image.Image:
    """Composite the product over a studio backdrop with a soft shadow and gentle lighting.

    `image` shows the product over the flat colour `backdrop`; `alpha_image` is its coverage.
    """
    width, height = image.size
    side = min(width, height)
    alpha = np.asarray(alpha_image, np.float32)[..., None] / 255
    product = np.asarray(image, np.float32) - (1 - alpha) * backdrop  # premultiplied product colour
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]

    offset = (round(rng.uniform(-0.01, 0.02) * width), round(rng.uniform(0.008, 0.025) * height))
    dropped = Image.new("L", (width, height), 0)
    dropped.paste(alpha_image, offset)
    shadow = _blurred(dropped, side * rng.uniform(0.012, 0.025)) * rng.uniform(0.12, 0.22)
    box = alpha_image.getbbox()
    if standing and box is not None:
        floor = Image.new("L", (width, height), 0)
        cx, base = (box[0] + box[2]) / 2, box[3]
        rx, ry = (box[2] - box[0]) * 0.5, side * 0.022
        ImageDraw.Draw(floor).ellipse((cx - rx, base - ry, cx + rx, base + ry * 0.8), fill=255)
        shadow += _blurred(floor, side * 0.018) * rng.uniform(0.2, 0.32)
    studio = (backdrop + rng.uniform(0, 5) * (0.5 - ys)) * (1 - np.clip(shadow, 0, 0.6)[..., None])

    # Light from the upper left, and a little darkening near the outline for some volume.
    light = 1 + rng.uniform(0.04, 0.1) * (1 - xs - ys)
    light = light * (1 - rng.uniform(0.08, 0.2) * (1 - _blurred(alpha_image, side * 0.02)[..., None]))
    out = product * light + (1 - alpha) * studio
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")
