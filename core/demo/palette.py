"""Colours and patterns of demo products: one palette and one pattern mix for every kind of product.

Every kind is drawn from the same distributions, so only the silhouette and its details tell the
kinds apart, which is what a shape-based encoder should learn.
"""
from __future__ import annotations

import math
from colorsys import hls_to_rgb
from dataclasses import dataclass

import numpy as np
from PIL import Image

# name, hue (degrees), lightness, saturation
_PALETTE: tuple[tuple[str, float, float, float], ...] = (
    ("Red", 2, 0.45, 0.75),
    ("Coral", 8, 0.64, 0.75),
    ("Orange", 25, 0.52, 0.85),
    ("Mustard", 44, 0.50, 0.70),
    ("Yellow", 52, 0.60, 0.85),
    ("Olive", 65, 0.36, 0.45),
    ("Green", 130, 0.38, 0.55),
    ("Mint", 150, 0.70, 0.45),
    ("Teal", 178, 0.34, 0.60),
    ("Sky blue", 200, 0.66, 0.65),
    ("Blue", 215, 0.45, 0.70),
    ("Navy", 225, 0.22, 0.55),
    ("Purple", 275, 0.38, 0.50),
    ("Lilac", 280, 0.72, 0.40),
    ("Pink", 335, 0.68, 0.70),
    ("Burgundy", 345, 0.27, 0.60),
    ("Brown", 25, 0.30, 0.45),
    ("Beige", 38, 0.74, 0.38),
    ("Grey", 0, 0.55, 0.0),
    ("Charcoal", 0, 0.25, 0.0),
    ("Black", 0, 0.10, 0.0),
)

# hue, lightness, saturation of small hardware: silver, gold, gunmetal, rose gold
_METALS = ((0, 0.76, 0.0), (43, 0.58, 0.55), (0, 0.36, 0.0), (15, 0.62, 0.35))

_PATTERNS = ("solid", "stripes", "dots", "checks", "two-tone")
_PATTERN_WEIGHTS = (0.32, 0.19, 0.16, 0.16, 0.17)
PATTERN_ADJECTIVES = {
    "solid": "",
    "stripes": "striped",
    "dots": "polka-dot",
    "checks": "checked",
    "two-tone": "two-tone",
}

RGB = tuple[int, int, int]


def _rgb(hue: float, lightness: float, saturation: float) -> RGB:
    r, g, b = hls_to_rgb((hue % 360) / 360, min(max(lightness, 0.02), 0.98), min(max(saturation, 0.0), 1.0))
    return round(r * 255), round(g * 255), round(b * 255)


def _jittered_colour(rng: np.random.Generator) -> tuple[str, float, float, float]:
    name, hue, lightness, saturation = _PALETTE[rng.integers(len(_PALETTE))]
    return (
        name,
        hue + rng.uniform(-6, 6),
        lightness + rng.uniform(-0.05, 0.05),
        saturation * rng.uniform(0.8, 1.1),
    )


@dataclass(frozen=True)
class Style:
    """A product's colour name, pattern and the colour of each named role its drawing uses."""

    colour: str
    pattern: str
    colours: dict[str, RGB]
    second: RGB  # the pattern's other colour
    period: float  # pattern repeat, in product units
    stripe_share: float
    stripe_angle: float  # degrees
    dot_share: float
    gingham: bool
    split: float  # two-tone: where the second colour starts, as a share of the product's height
    split_angle: float  # degrees


def random_style(rng: np.random.Generator) -> Style:
    """A random look, drawn the same way whatever the kind of product."""
    colour, hue, light, sat = _jittered_colour(rng)
    pattern = _PATTERNS[rng.choice(len(_PATTERNS), p=_PATTERN_WEIGHTS)]
    toward_contrast = 1.0 if light < 0.45 else -1.0  # details must show against the base colour
    trim_sign = toward_contrast if light < 0.25 or light > 0.65 else float(rng.choice((-1.0, 1.0)))
    sole_sign = toward_contrast if light < 0.3 or light > 0.6 else float(rng.choice((-1.0, 1.0)))
    lens_light = rng.uniform(0.08, 0.2)
    colours = {
        "base": _rgb(hue, light, sat),
        "trim": _rgb(hue, light + trim_sign * 0.16, sat),
        "seam": _rgb(hue, light + toward_contrast * 0.13, sat),
        "detail": _rgb(hue, light + toward_contrast * 0.36, sat * 0.9),
        "sole": _rgb(hue, light + sole_sign * 0.3, sat * 0.8),
        "inner": _rgb(hue, light * 0.62, sat),
        "lens": _rgb(hue, lens_light, sat * 0.5),
        "lens_hi": _rgb(hue, lens_light + 0.13, sat * 0.5),
        "face": _rgb(hue, rng.uniform(0.88, 0.95), sat * 0.25),
        "ink": _rgb(hue, 0.12, sat * 0.3),
        "metal": _rgb(*_METALS[rng.integers(len(_METALS))]),
    }
    return Style(
        colour=colour,
        pattern=pattern,
        colours=colours,
        second=_second_colour(rng, pattern, hue, light, sat),
        period=rng.uniform(5, 11),
        stripe_share=rng.uniform(0.3, 0.55),
        stripe_angle=float(rng.choice((0.0, 0.0, 90.0, 45.0, -45.0))),
        dot_share=rng.uniform(0.17, 0.3),
        gingham=bool(rng.random() < 0.5),
        split=rng.uniform(0.4, 0.62),
        split_angle=rng.uniform(-25, 25) if rng.random() < 0.4 else 0.0,
    )


def _second_colour(rng: np.random.Generator, pattern: str, hue: float, light: float, sat: float) -> RGB:
    """The pattern's other colour: a shade of the first, an off-white, or any palette colour."""
    toward_contrast = 1.0 if light < 0.45 else -1.0
    shade, off_white = (0.5, 0.0) if pattern == "two-tone" else (0.45, 0.25)
    pick = rng.random()
    if pick < shade:
        return _rgb(hue, light + toward_contrast * rng.uniform(0.22, 0.4), sat)
    if pick < shade + off_white:
        return _rgb(hue, rng.uniform(0.9, 0.96), rng.uniform(0.05, 0.2))
    _, other_hue, other_light, other_sat = _jittered_colour(rng)
    return _rgb(other_hue, other_light, other_sat)


def pattern_image(
    style: Style,
    box: tuple[int, int, int, int],
    centre: tuple[float, float],
    angle: float,
    unit: float,
    height: float,
) -> Image.Image:
    """The product's fabric over `box` (canvas pixels), aligned with the product's own axes."""
    x0, y0, x1, y1 = box
    width, tall = x1 - x0, y1 - y0
    base = np.array(style.colours["base"], np.float32)
    if style.pattern == "solid":
        return Image.new("RGB", (width, tall), style.colours["base"])
    second = np.array(style.second, np.float32)
    xs = (np.arange(x0, x1, dtype=np.float32) - centre[0])[None, :] / unit
    ys = (np.arange(y0, y1, dtype=np.float32) - centre[1])[:, None] / unit
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    u = xs * cos + ys * sin  # product-aligned coordinates, in product units
    v = ys * cos - xs * sin
    period = style.period
    if style.pattern == "stripes":
        phi = math.radians(style.stripe_angle)
        t = u * math.sin(phi) + v * math.cos(phi)
        share = np.asarray((t / period) % 1.0 < style.stripe_share, np.float32)
    elif style.pattern == "dots":
        row = np.floor(v / period)
        du = (u + (row % 2) * period / 2) % period - period / 2
        dv = v % period - period / 2
        share = np.asarray(du * du + dv * dv < (style.dot_share * period) ** 2, np.float32)
    elif style.pattern == "checks":
        a = (u / period) % 1.0 < 0.5
        b = (v / period) % 1.0 < 0.5
        if style.gingham:
            share = (a.astype(np.float32) + b.astype(np.float32)) / 2
        else:
            share = np.asarray(a ^ b, np.float32)
    else:  # two-tone
        phi = math.radians(style.split_angle)
        t = v * math.cos(phi) + u * math.sin(phi)
        share = np.asarray(t > (style.split - 0.5) * height, np.float32)
    shades = np.rint([base, (base + second) / 2, second]).astype(np.uint8)
    pixels = shades[np.rint(np.broadcast_to(share, (tall, width)) * 2).astype(np.intp)]
    return Image.fromarray(pixels, "RGB")
