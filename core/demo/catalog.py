"""A procedurally drawn demo catalog: studio-style product photos, so a new user sees the app work.

Every kind of product is drawn from the same colour and pattern distributions, so only the
silhouette and its details tell the kinds apart, which is what a shape-based encoder should learn.
Pillow and NumPy only; each image depends only on (seed, position in the catalog).
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
from colorsys import hls_to_rgb
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.common import (
    METADATA_NAME,
    WORKSPACE_DIRNAME,
    CancelToken,
    CatalogError,
    InputError,
    Progress,
    ProgressFn,
    no_progress,
)
from core.storage import atomic


@dataclass(frozen=True)
class DemoProduct:
    """One generated product, as listed in the demo catalog's products.csv."""

    path: str  # relative posix path inside the catalog, e.g. "sneakers/sneaker-0007.jpg"
    sku: str  # e.g. "SNE-0007"
    name: str  # e.g. "Red striped sneaker"
    category: str  # e.g. "sneakers"


CATEGORIES: tuple[str, ...] = (
    "t-shirts",
    "trousers",
    "dresses",
    "sneakers",
    "boots",
    "handbags",
    "caps",
    "backpacks",
    "sunglasses",
    "watches",
)

CSV_COLUMNS = ("path", "sku", "name", "category")
JPEG_QUALITY = 90
SUPERSAMPLE = 2  # draw at this multiple of the output size, then downsample: anti-aliased edges


def write_demo_catalog(
    dest: Path,
    count: int = 400,
    seed: int = 0,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[DemoProduct]:
    """Write `count` product images under dest (one subfolder per category) and dest/products.csv.

    Categories take turns, so their counts differ by at most one. `dest` must be missing, empty or an earlier
    demo (see `_earlier_demo`), else InputError before anything is written. Once the new products.csv is in
    place, the earlier demo's images it does not list (a larger count) are removed, and so are the category
    folders that leaves empty; Lookalike's workspace folder is left alone.
    """
    dest = Path(dest)
    if count <= 0:
        raise InputError(f"the demo catalog needs at least one image, not {count}")
    if dest.exists() and not dest.is_dir():
        raise InputError(f"cannot write the demo catalog into {dest}: it is a file, not a folder")
    products: list[DemoProduct] = []
    try:
        earlier = _earlier_demo(dest)
        progress(Progress(stage="demo", done=0, total=count))
        for index in range(count):
            if cancel is not None:
                cancel.raise_if_cancelled()
            path, sku, category = _product_place(index)
            kind = _KINDS[category]
            image, colour, pattern = _render(kind, _product_rng(seed, index))
            with atomic.atomic_path(dest / path) as tmp:
                image.save(tmp, format="JPEG", quality=JPEG_QUALITY)
            products.append(DemoProduct(path, sku, _name(colour, pattern, kind.noun), category))
            progress(Progress(stage="demo", done=index + 1, total=count, detail=path))
        atomic.write_text(dest / METADATA_NAME, _csv_text(products))
        written = {p.path for p in products}
        _remove(dest, [path for path in earlier if path not in written])
    except OSError as exc:
        raise CatalogError(f"cannot write the demo catalog in {dest}: {exc.strerror or exc}") from exc
    return products


def render_product(
    category: str, rng: np.random.Generator, size: tuple[int, int] | None = None
) -> Image.Image:
    """One RGB product photo of `category`; `size` (width, height) is random when not given."""
    kind = _KINDS.get(category)
    if kind is None:
        raise InputError(f"unknown demo category {category!r}; expected one of {', '.join(CATEGORIES)}")
    return _render(kind, rng, size)[0]


def _product_rng(seed: int, index: int) -> np.random.Generator:
    # One stream per image: an image does not depend on how many were drawn before it.
    return np.random.default_rng(np.random.SeedSequence([abs(seed), int(seed < 0), index]))


def _name(colour: str, pattern: str, noun: str) -> str:
    adjective = _PATTERN_ADJECTIVES[pattern]
    return " ".join(word for word in (colour, adjective, noun) if word)


def _product_place(index: int) -> tuple[str, str, str]:
    """The image path, SKU and category of the demo's product `index` (from 0); the seed does not change them."""
    category = CATEGORIES[index % len(CATEGORIES)]
    kind = _KINDS[category]
    number = f"{index + 1:04d}"
    return f"{category}/{kind.noun}-{number}.jpg", f"{kind.code}-{number}", category


# What file managers leave in folders they have shown (macOS Finder, Windows Explorer).
_DESKTOP_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_IMAGE_PATH = re.compile(r"[a-z-]+/[a-z-]+-(\d{4,})\.jpg")
# atomic's temp file for the target folder/name: ".name." + 8 random characters + ".tmp", beside it
_TEMP_PATH = re.compile(r"(?:([^/]+)/)?\.([^/]+)\.[a-z0-9_]{8}\.tmp")


def _demo_index(path: str) -> int | None:
    """The index of the demo product whose image the demo writes at `path`, or None if it writes none there."""
    match = _IMAGE_PATH.fullmatch(path)
    if match is None or int(match[1]) == 0:
        return None
    index = int(match[1]) - 1
    return index if _product_place(index)[0] == path else None


def _is_demo_temp(path: str) -> bool:
    """Whether `path` is the temp file of an interrupted write of the demo's products.csv or of one of its images."""
    match = _TEMP_PATH.fullmatch(path)
    if match is None:
        return False
    target = "/".join(part for part in match.groups() if part)
    return target == METADATA_NAME or _demo_index(target) is not None


def _is_demo_csv(path: Path) -> bool:
    """Whether `path` is a products.csv the demo wrote: exactly its columns, and a demo product on every row."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            if next(reader, None) != list(CSV_COLUMNS):
                return False
            listed = False
            for row in reader:
                index = _demo_index(row[0]) if len(row) == len(CSV_COLUMNS) else None
                if index is None or _product_place(index) != (row[0], row[1], row[3]):
                    return False
                listed = True
            return listed
    except (UnicodeDecodeError, csv.Error):
        return False


def _files(folder: Path, leave: str = "") -> Iterator[Path]:
    """Everything under `folder` but folders, by name, skipping its entry `leave`; a link is not followed."""
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name == leave:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _files(Path(entry.path))
        else:
            yield Path(entry.path)


def _earlier_demo(dest: Path) -> list[str]:
    """The files earlier demo runs left in `dest`, its products.csv aside; InputError if it holds anything else.

    A file is the demo's if it is a regular file (not a link) and either a products.csv with exactly the demo's
    columns whose every row is a demo product (the path, SKU and category this module writes for some index,
    whatever the seed), an image at a path the demo writes (listed or not: an interrupted run writes no csv), or
    the temp file of an interrupted write of one of those. Every other file, hidden ones too, is someone's,
    except what file managers leave behind (.DS_Store, Thumbs.db, desktop.ini).
    Empty folders hold nothing to lose; Lookalike's workspace folder `.lookalike` at the top is not looked into.
    """
    if not dest.is_dir():
        return []
    found: list[str] = []
    for path in _files(dest, leave=WORKSPACE_DIRNAME):
        relative = path.relative_to(dest).as_posix()
        if path.name in _DESKTOP_LITTER:
            continue  # a file manager's notes on the folder, not anyone's work (left as it is)
        regular = path.is_file() and not path.is_symlink()
        listing = relative == METADATA_NAME and regular and _is_demo_csv(path)
        if not listing and not (regular and (_demo_index(relative) is not None or _is_demo_temp(relative))):
            raise InputError(
                f"{dest} holds files that are not a Lookalike demo (e.g. {relative}); choose an empty or new folder"
            )
        if not listing:
            found.append(relative)
    return found


def _remove(dest: Path, paths: list[str]) -> None:
    """Delete these files of an earlier demo, then the folders of theirs that are left empty."""
    for path in paths:
        (dest / path).unlink(missing_ok=True)
    for folder in {PurePosixPath(path).parent for path in paths} - {PurePosixPath(".")}:
        if (dest / folder).is_dir() and not any((dest / folder).iterdir()):
            (dest / folder).rmdir()


def _csv_text(products: list[DemoProduct]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows((p.path, p.sku, p.name, p.category) for p in products)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Colours and patterns: one palette and one pattern mix for every kind of product.

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
_PATTERN_ADJECTIVES = {
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
class _Style:
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


def _style(rng: np.random.Generator) -> _Style:
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
    return _Style(
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


def _pattern_image(
    style: _Style,
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


# ---------------------------------------------------------------------------------------------
# Geometry: products are sketched as point lists in their own units (about 100 across, y down).

Points = np.ndarray  # shape (n, 2)


def _p(*xy: tuple[float, float]) -> Points:
    return np.asarray(xy, dtype=float).reshape(-1, 2)


def _join(*parts: Points | tuple[float, float]) -> Points:
    return np.concatenate([np.asarray(part, dtype=float).reshape(-1, 2) for part in parts])


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int = 24) -> Points:
    """Points on an ellipse from angle `start` to `stop` (degrees; 90 points down)."""
    t = np.radians(np.linspace(start, stop, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 40) -> Points:
    return _arc(cx, cy, rx, ry, 0, 360, n + 1)[:-1]


def _bezier(*control: tuple[float, float], n: int = 16) -> Points:
    c = np.asarray(control, dtype=float)
    k = len(c) - 1
    t = np.linspace(0, 1, n)[:, None]
    return sum(math.comb(k, i) * t**i * (1 - t) ** (k - i) * c[i] for i in range(k + 1))


def _rrect(x0: float, y0: float, x1: float, y1: float, r_top: float, r_bottom: float | None = None) -> Points:
    """A rectangle with rounded corners (top and bottom radii may differ)."""
    r_bottom = r_top if r_bottom is None else r_bottom
    limit = min(x1 - x0, y1 - y0) / 2
    rt, rb = min(r_top, limit), min(r_bottom, limit)
    return _join(
        _arc(x1 - rt, y0 + rt, rt, rt, 270, 360, 10),
        _arc(x1 - rb, y1 - rb, rb, rb, 0, 90, 10),
        _arc(x0 + rb, y1 - rb, rb, rb, 90, 180, 10),
        _arc(x0 + rt, y0 + rt, rt, rt, 180, 270, 10),
    )


def _mirror(half: Points) -> Points:
    """A left-right symmetric outline from its right half, traced from the axis at top to bottom."""
    return _join(half, half[::-1] * (-1.0, 1.0))


def _flip_x(points: Points) -> Points:
    return points * (-1.0, 1.0)


@dataclass(frozen=True)
class _Op:
    """One drawing step: a filled outline (fill may be 'pattern') and/or a line, in product units."""

    points: Points
    fill: str | None = None
    line: str | None = None
    width: float = 0.0
    closed: bool = True


def _shape(
    points: Points, fill: str | None = "pattern", outline: str | None = "seam", width: float = 0.6
) -> _Op:
    return _Op(points, fill, outline, width, True)


def _line(points: Points, colour: str, width: float) -> _Op:
    return _Op(points, None, colour, width, False)


def _both_sides(op: _Op) -> list[_Op]:
    return [op, _Op(_flip_x(op.points), op.fill, op.line, op.width, op.closed)]


Sketch = list[_Op]


# ---------------------------------------------------------------------------------------------
# The kinds of product.


def _tshirt(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    half, length, neck, drop = u(25, 32), u(72, 90), u(8, 11.5), u(2.5, 5)
    shoulder = half + u(1, 4)
    sleeve, angle = u(13, 26), math.radians(u(24, 40))
    along = np.array([math.cos(angle), math.sin(angle)])
    across = np.array([-math.sin(angle), math.cos(angle)])
    # Keep the cuff's lower corner outside the body, so the outline never folds over itself.
    cuff = max(9.0, min(u(14, 18), (shoulder + sleeve * along[0] - half - 3) / math.sin(angle)))
    sleeve_top = np.array([shoulder, drop]) + sleeve * along
    sleeve_bottom = sleeve_top + cuff * across
    armpit = max(drop + u(17, 23), sleeve_bottom[1] + 1)
    vneck = rng.random() < 0.25
    depth = u(10, 16) if vneck else u(5, 9)
    if vneck:
        front = _p((0, depth), (neck, 0))
    else:
        front = _bezier((0, depth), (neck * 0.8, depth), (neck, 0))
    flare = u(-0.5, 2.5)
    half_outline = _join(
        front,
        (shoulder, drop),
        sleeve_top,
        sleeve_bottom,
        (half, armpit),
        _bezier((half, armpit), (half - 0.8, (armpit + length) / 2), (half + flare, length)),
        (0, length + u(0, 1.5)),
    )
    back = _bezier((-neck, 0), (0, u(2.5, 4.5)), (neck, 0))
    inside = _join(back, front[::-1], _flip_x(front)[1:])
    hem = length - u(2.5, 3.5)
    ops = [
        _shape(_mirror(half_outline)),
        _shape(inside, "inner", "seam", 0.4),
        _line(_join(front[::-1], _flip_x(front)), "trim", u(1.6, 2.6)),
        _line(_p((-half - flare + 0.8, hem), (half + flare - 0.8, hem)), "seam", 0.5),
    ]
    cuff_seam = _join(sleeve_top - 2.5 * along + 0.8 * across, sleeve_bottom - 2.5 * along - 0.8 * across)
    ops += _both_sides(_line(cuff_seam, "seam", 0.5))
    if rng.random() < 0.35:
        x = -half * u(0.45, 0.65)
        ops.append(_shape(_rrect(x - 5, armpit - 4, x + 5, armpit + 8, 1.5, 3), "pattern", "seam", 0.5))
    return ops


def _trousers(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    waist, rise, length = u(16, 21), u(27, 35), u(90, 108)
    hip = waist + u(1, 3)
    leg = u(12, 19)
    inner = max(waist + u(-1, 6) - leg, u(1.0, 3.0))
    outer = inner + leg
    band = u(5, 7)
    half = _join(
        (0, 0),
        (waist, 0),
        _bezier((waist, 0), (hip, rise * 0.45), (hip - 0.3, rise)),
        (outer, length),
        (inner, length),
        _bezier((inner, length), (inner + 0.5, rise + 12), (1.2, rise + 1)),
        (0, rise),
    )
    ops = [
        _shape(_mirror(half)),
        _shape(_p((-waist, 0), (waist, 0), (waist + 0.25, band), (-waist - 0.25, band)), "trim", "seam", 0.5),
        _shape(_ellipse(0, band / 2, 1.1, 1.1, 12), "detail", None),
        _line(_join((1.8, band), _bezier((1.8, rise - 9), (1.8, rise - 4), (0.2, rise - 3))), "seam", 0.5),
    ]
    for x in (-waist * 0.8, -waist * 0.3, waist * 0.3, waist * 0.8):
        ops.append(_shape(_rrect(x - 0.8, -0.4, x + 0.8, band + 1.2, 0.4), "seam", None))
    pocket = _bezier((waist - u(6, 8), band), (waist - 2, band + 4), (hip - 0.2, band + u(8, 12)))
    ops += _both_sides(_line(pocket, "seam", 0.5))
    crease = _p(((waist + 1) / 2 + 1, band + 4), ((outer + inner) / 2, length - 1))
    ops += _both_sides(_line(crease, "seam", 0.35))
    cuff = _p((inner + 0.3, length - 3), (outer - 0.3, length - 3))
    ops += _both_sides(_line(cuff, "seam", 0.45))
    return ops


def _dress(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    top, bust = u(10, 14), u(13, 16)
    waist, waist_y = bust - u(2, 4), u(30, 38)
    hem, length = u(26, 42), u(80, 104)
    ops: Sketch = []
    if rng.random() < 0.4:  # cap sleeves
        neck, depth = u(6, 9), u(6, 12)
        armpit = u(13, 17)
        upper = _join(
            _bezier((0, depth), (neck * 0.7, depth), (neck, 0)),
            (bust + 1, 2),
            (bust + u(4, 7), 2 + u(7, 10)),
            (bust, armpit),
        )
    else:  # straps
        strap_x, strap_w = u(6, 9), u(2, 3.4)
        depth = top + u(3, 9)
        armpit = top + u(3, 6)
        upper = _join(_bezier((0, depth), (strap_x * 0.8, depth - 1), (strap_x, top)), (bust, armpit))
        low = top + 1.5
        strap = _p((strap_x + 0.3, 0), (strap_x + strap_w + 0.3, 0), (strap_x + strap_w, low), (strap_x, low))
        ops += _both_sides(_shape(strap, "pattern", "seam", 0.4))
    drop = u(1, 4)
    half = _join(
        upper,
        _bezier((bust, armpit), (bust + 0.5, (armpit + waist_y) / 2), (waist, waist_y)),
        _bezier((waist, waist_y), ((3 * waist + hem) / 4, (3 * waist_y + 2 * length) / 5), (hem, length)),
        _bezier((hem, length), (hem * 0.5, length + drop), (0, length + drop)),
    )
    ops.append(_shape(_mirror(half)))
    if rng.random() < 0.5:
        above, below = waist_y - 1.6, waist_y + 1.6
        belt = _p((-waist - 0.1, above), (waist + 0.1, above), (waist + 0.3, below), (-waist - 0.3, below))
        ops.append(_shape(belt, "trim", "seam", 0.4))
    else:
        ops.append(_line(_p((-waist, waist_y), (waist, waist_y)), "seam", 0.6))
    folds = int(rng.integers(2, 5))
    for i in range(folds):
        t = (i + 1) / (folds + 1) * 2 - 1
        start = (t * waist * 0.7, waist_y + u(8, 16))
        end = (t * hem * 0.75, length - u(1, 4))
        ops.append(_line(_bezier(start, (start[0] * 1.1, (start[1] + end[1]) / 2), end, n=8), "seam", 0.4))
    return ops


def _sneaker(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    sole, collar, toe = u(6, 10), u(24, 30), u(10, 13)
    ground = 45.0
    top = ground - sole  # top of the sole
    back_y = top - collar
    lace_line = ((33, back_y - 0.5), (52, back_y + collar * 0.2), (70, top - toe - 2))
    upper = _join(
        _bezier((2, top), (-1, top - collar * 0.5), (4, back_y)),
        _bezier((4, back_y), (14, back_y + u(2, 5)), (27, back_y + 1)),
        _bezier(*lace_line),
        _bezier((70, top - toe - 2), (94, top - toe + 0.5), (100, top - 2)),
        (98, top + 1),
    )
    tongue_top = back_y - u(3, 6)
    tongue = _p((26, back_y + 2), (28, tongue_top), (35, tongue_top + 0.5), (38, back_y + 3))
    ops = [_shape(tongue, "trim", "seam", 0.5), _shape(upper)]
    if rng.random() < 0.5:  # heel overlay
        overlay = _join((1.5, top), _bezier((0, top - 8), (4, top - collar * 0.7), (22, top + 0.5)))
        ops.append(_shape(overlay, "trim", "seam", 0.4))
    else:  # side stripes
        for k in range(3):
            x = 38 + k * 5
            ops.append(_line(_p((x, top - 1), (x + 6, top - collar * 0.55)), "trim", 1.6))
    ops.append(_line(_bezier((78, top), (79, top - toe * 0.8), (93, top - toe + 1.5)), "seam", 0.5))
    for t in np.linspace(0.12, 0.88, int(rng.integers(4, 6))):
        x, y = _bezier(*lace_line, n=33)[int(t * 32)]
        ops.append(_line(_p((x - 2, y + 1.5), (x + 2.5, y - 1.2)), "detail", 1.3))
    ops.append(_shape(_rrect(0, top - 1, 100, ground, sole * 0.45, sole * 0.7), "sole", "seam", 0.5))
    ops.append(_line(_p((2, ground - 1.2), (98, ground - 1.2)), "trim", 1.4))
    ops.append(_line(_p((3, top + sole * 0.45), (97, top + sole * 0.45)), "seam", 0.4))
    ops.append(_shape(_rrect(1.5, back_y - 2, 6, back_y + 6, 1.2), "trim", None))
    return ops


def _boot(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    ground = 100.0
    front, instep = u(24, 32), u(46, 60)
    heel, toe, sole = u(2, 14), u(70, 78), u(3, 5)
    welt = ground - sole  # where the upper meets the sole under the forefoot
    seat = welt - heel  # ... and under the heel
    bottom = _join(
        _bezier((toe, welt), (toe - 12, welt + 0.3), (toe - 30, welt)),
        _bezier((toe - 30, welt), (24, welt - heel * 0.4), (16, seat)),
        (2, seat),
    )
    upper = _join(
        (1, 0),
        (front, 0),
        _bezier((front, 0), (front + 1, instep * 0.6), (front + 2, instep)),
        _bezier((front + 2, instep), (front + 8, ground - 20), (toe - 14, welt - 16)),
        _bezier((toe - 14, welt - 16), (toe + 1.5, welt - 14), (toe, welt)),
        bottom,
        _bezier((2, seat), (-1, seat - 10), (2, seat - 22)),
        _bezier((2, seat - 22), (5, (seat - 22) / 2), (1, 0)),
    )
    outsole = _join(bottom[:-1], bottom[-2::-1] + (0, sole), (toe + 0.8, welt + 1.5))
    ops = [
        _shape(_rrect(-1.5, -5, 5, 7, 2), "trim", "seam", 0.5),
        _shape(upper),
        _shape(outsole, "sole", "seam", 0.5),
        _shape(_p((1.5, seat), (17, seat), (16, ground), (3, ground)), "trim", "seam", 0.5),
        _line(_p((2, 1.2), (front - 0.5, 1.2)), "trim", 2.2),
        _line(bottom[:-1] - (0, 1.5), "seam", 0.4),
        _line(_bezier((toe - 16, welt), (toe - 15, welt - 13), (toe - 2, welt - 12)), "seam", 0.5),
    ]
    style = rng.random()
    if style < 0.5:  # laced
        for y in np.linspace(6, instep + 4, int(rng.integers(5, 8))):
            x = front + 2 * (y / instep) ** 2 - 1.5
            ops.append(_line(_p((x - 5, y + 2.5), (x + 0.5, y - 1.0)), "detail", 1.1))
            ops.append(_shape(_ellipse(x - 5, y + 2.5, 0.8, 0.8, 10), "metal", None))
    elif style < 0.75:  # chelsea gusset
        gusset = _p((front * 0.3, 0), (front * 0.75, 0), (front * 0.55, u(24, 32)))
        ops.append(_shape(gusset, "trim", "seam", 0.5))
    else:  # side zip
        ops.append(_line(_p((front * 0.45, 2.5), (front * 0.5, instep)), "detail", 0.9))
        ops.append(_shape(_rrect(front * 0.45 - 1, 2.5, front * 0.45 + 1, 7, 0.5), "metal", None))
    return ops


def _handbag(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    bottom = u(35, 46)
    top_w = bottom * u(0.72, 0.95)
    height, r = u(42, 60), u(5, 12)
    handle_x, handle_h = top_w * u(0.4, 0.7), u(18, 34)
    corner = _bezier((bottom, height - r), (bottom, height), (bottom - r, height))
    half = _join((0, 0), (top_w, 0), corner, (0, height))
    ops = [
        _line(_arc(0, 1, handle_x, handle_h, 180, 360, 28), "trim", u(2.5, 4.5)),
        _shape(_mirror(half)),
    ]
    ops += _both_sides(_shape(_rrect(handle_x - 2.5, -1.5, handle_x + 2.5, 4.5, 1), "trim", "seam", 0.4))
    if rng.random() < 0.55:  # flap with clasp
        flap = height * u(0.35, 0.55)
        side = top_w + (bottom - top_w) * flap / (height - r)
        edge = _bezier((side, flap * 0.75), (side * 0.6, flap * 1.2), (0, flap * 1.2))
        ops.append(_shape(_mirror(_join((0, 0), (top_w, 0), edge)), "trim", "seam", 0.5))
        ops.append(_shape(_rrect(-3.5, flap * 1.2 - 3, 3.5, flap * 1.2 + 2.5, 1), "metal", "seam", 0.3))
    else:  # zip top
        ops.append(_line(_p((-top_w + 3, 4), (top_w - 3, 4)), "detail", 0.8))
        ops.append(_shape(_rrect(top_w - 6, 3, top_w - 4, 9, 0.6), "metal", None))
    ops.append(_line(_p((-bottom + r, height - 3), (bottom - r, height - 3)), "seam", 0.5))
    return ops


def _cap(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    rx, ry = u(28, 34), u(25, 32)
    lean = u(0.05, 0.25)  # the crown peaks towards the front
    dome = _arc(0, 0, rx, ry, 180, 360, 36)
    dome[:, 0] -= dome[:, 1] * lean
    crown = _join(dome, (rx, 2.5), (-rx, 2.5))
    brim, droop, thick = u(22, 32), u(2, 7), u(3, 4.5)
    peak = _join(
        _bezier((rx * 0.5, -2), (rx + brim * 0.5, -2.5), (rx + brim, 2 + droop)),
        _arc(rx + brim - thick / 2, 2 + droop + thick / 2, thick / 2, thick / 2, -90, 90, 8),
        _bezier((rx + brim - thick / 2, 2 + droop + thick), (rx + brim / 2, 1 + thick), (rx / 2, 1 + thick)),
    )
    apex = (ry * lean, -ry)
    ops = [
        _shape(crown),
        _shape(peak, "trim" if rng.random() < 0.5 else "pattern", "seam", 0.5),
        _line(_p((-rx + 0.5, 1.3), (rx * 0.6, 1.3)), "trim", 2.0),
        _shape(_ellipse(apex[0], apex[1] + 0.4, 2.6, 1.3, 14), "trim", "seam", 0.3),
    ]
    for x in (-rx * 0.45, rx * 0.4):
        ops.append(_line(_bezier(apex, (x * 1.05 + apex[0] * 0.3, -ry * 0.5), (x, 0)), "seam", 0.5))
        ops.append(_shape(_ellipse(x * 0.6 + apex[0] * 0.4 - 3, -ry * 0.72, 0.8, 0.8, 10), "detail", None))
    if rng.random() < 0.3:
        ops.append(_shape(_rrect(rx * 0.25, -ry * 0.45, rx * 0.65, -ry * 0.2, 1.5), "detail", None))
    return ops


def _backpack(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    w, h = u(27, 35), u(74, 94)
    r_top, r_bottom = w * u(0.55, 0.95), u(5, 10)
    ops = [_line(_arc(0, 0.5, u(5, 8), u(5, 9), 180, 360, 16), "trim", 2.2)]
    strap = _bezier((w - 3, r_top * 0.7), (w + 6, h * 0.45), (w - 1, h * 0.9))
    ops += _both_sides(_line(strap, "trim", 4.0))
    ops.append(_shape(_rrect(-w, 0, w, h, r_top, r_bottom)))
    ops.append(_line(_arc(0, r_top + 3.5, w - 4, r_top, 195, 345, 20), "detail", 0.7))
    pocket_top = h * u(0.45, 0.6)
    pocket_fill = "trim" if rng.random() < 0.5 else "pattern"
    ops.append(_shape(_rrect(-w * 0.72, pocket_top, w * 0.72, h * 0.93, 5, 4), pocket_fill, "seam", 0.6))
    ops.append(_line(_p((-w * 0.72 + 3, pocket_top + 2.5), (w * 0.72 - 3, pocket_top + 2.5)), "detail", 0.7))
    ops.append(_shape(_rrect(w * 0.3, pocket_top + 2, w * 0.3 + 2, pocket_top + 8, 0.6), "metal", None))
    if rng.random() < 0.4:
        ops.append(_shape(_rrect(-4, r_top * 0.8, 4, r_top * 0.8 + 5, 1), "detail", None))
    return ops


def _lens(shape: str, cx: float, width: float, height: float, grow: float) -> Points:
    w, h = width / 2 + grow, height / 2 + grow
    if shape == "round":
        return _ellipse(cx, 0, w, h)
    if shape == "square":
        pts = _rrect(cx - w, -h, cx + w, h, h * 0.55)
        pts[:, 0] = cx + (pts[:, 0] - cx) * (1 - 0.12 * np.clip(pts[:, 1] / h, 0, 1))
        return pts
    pts = _ellipse(cx, 0, w, h)  # aviator: the lens drops towards the nose
    outward = np.clip((pts[:, 0] - cx) / w * np.sign(cx), -1, 1)
    pts[:, 1] += np.clip(pts[:, 1], 0, None) * 0.35 * (-outward)
    return pts


def _sunglasses(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    width, height, gap, frame = u(34, 42), u(24, 34), u(8, 12), u(2, 4.5)
    shape = str(rng.choice(("round", "square", "square", "aviator")))
    cx = gap / 2 + frame + width / 2
    edge = cx + width / 2 + frame
    ops: Sketch = []
    ops += _both_sides(_line(_p((edge - 1, -height * 0.3), (edge + 5, -height * 0.26)), "base", frame))
    ops += _both_sides(_shape(_lens(shape, cx, width, height, frame)))
    reach = gap / 2 + frame
    bridge = _bezier((-reach, -height * 0.22), (0, -height * 0.42), (reach, -height * 0.22))
    ops.append(_line(bridge, "base", frame * 1.1))
    ops += _both_sides(_shape(_lens(shape, cx, width, height, 0), "lens", "seam", 0.4))
    high, w = -height * 0.32, width
    glare = _p((cx - w * 0.32, 0), (cx - w * 0.12, high), (cx - w * 0.04, high), (cx - w * 0.24, 0))
    ops += _both_sides(_shape(glare, "lens_hi", None))
    return ops


def _watch(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    strap, r, length = u(8, 11), u(15, 20), u(95, 110)
    cy = length / 2
    end = strap * u(0.8, 0.95)
    top_strap = _join((-strap, cy), (-end, 6), _arc(0, 6, end, u(2, 5), 180, 360, 12), (strap, cy))
    tip = length - 8
    bottom_strap = _join((strap, cy), (end, tip), _arc(0, tip, end, u(3, 8), 0, 180, 12), (-strap, cy))
    case = "metal" if rng.random() < 0.6 else "trim"
    ops = [
        _shape(top_strap),
        _shape(bottom_strap),
        _shape(_rrect(-strap - 1.5, 10, strap + 1.5, 17, 1), None, "metal", 1.3),
        _shape(_rrect(-strap - 0.3, 21, strap + 0.3, 24, 0.5), "trim", "seam", 0.3),
        _shape(_rrect(-strap - 1.2, cy - r - 5, strap + 1.2, cy + r + 5, 2.5), case, "seam", 0.4),
        _shape(_rrect(r - 1, cy - 2.5, r + 3, cy + 2.5, 1), case, "seam", 0.3),
    ]
    for y in cy + r + 10 + np.arange(4) * 5:
        ops.append(_shape(_ellipse(0, y, 1.0, 1.0, 10), "inner", None))
    if rng.random() < 0.65:
        ops.append(_shape(_ellipse(0, cy, r, r), case, "seam", 0.4))
        ops.append(_shape(_ellipse(0, cy, r * 0.82, r * 0.82), "face", "seam", 0.3))
    else:
        ops.append(_shape(_rrect(-r, cy - r, r, cy + r, r * 0.3), case, "seam", 0.4))
        face = r * 0.8
        ops.append(_shape(_rrect(-face, cy - face, face, cy + face, r * 0.22), "face", "seam", 0.3))
    def dial(turn: float, reach: float) -> tuple[float, float]:
        return r * reach * math.sin(turn * 2 * math.pi), cy - r * reach * math.cos(turn * 2 * math.pi)

    for hour in range(12):
        quarter = hour % 3 == 0
        tick = _p(dial(hour / 12, 0.6 if quarter else 0.68), dial(hour / 12, 0.74))
        ops.append(_line(tick, "ink", 1.2 if quarter else 0.8))
    for reach, width in ((0.42, 1.4), (0.62, 0.9)):
        ops.append(_line(_p((0, cy), dial(u(0, 1), reach)), "ink", width))
    ops.append(_shape(_ellipse(0, cy, 1.2, 1.2, 10), "ink", None))
    return ops


@dataclass(frozen=True)
class _Kind:
    """How to draw one category and how it is named."""

    code: str  # three letters, the SKU prefix
    noun: str  # one product, in names and file names
    sketch: Callable[[np.random.Generator], Sketch]
    standing: bool  # stands on the floor (contact shadow, little tilt) rather than lying flat
    flippable: bool  # drawn in side view, so it may face either way


_KINDS: dict[str, _Kind] = {
    "t-shirts": _Kind("TSH", "t-shirt", _tshirt, standing=False, flippable=False),
    "trousers": _Kind("TRO", "trousers", _trousers, standing=False, flippable=False),
    "dresses": _Kind("DRE", "dress", _dress, standing=False, flippable=False),
    "sneakers": _Kind("SNE", "sneaker", _sneaker, standing=True, flippable=True),
    "boots": _Kind("BOO", "boot", _boot, standing=True, flippable=True),
    "handbags": _Kind("BAG", "handbag", _handbag, standing=True, flippable=False),
    "caps": _Kind("CAP", "cap", _cap, standing=True, flippable=True),
    "backpacks": _Kind("BPK", "backpack", _backpack, standing=True, flippable=False),
    "sunglasses": _Kind("SUN", "sunglasses", _sunglasses, standing=False, flippable=False),
    "watches": _Kind("WAT", "watch", _watch, standing=False, flippable=False),
}


# ---------------------------------------------------------------------------------------------
# Rendering: place the sketch on a canvas, draw at 2x, downsample, light it and add a shadow.



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


def _place(ops: Sketch, kind: _Kind, canvas: tuple[int, int], rng: np.random.Generator) -> _Placement:
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


def _render(
    kind: _Kind, rng: np.random.Generator, size: tuple[int, int] | None = None
) -> tuple[Image.Image, str, str]:
    """The product photo, its colour name and its pattern."""
    width, height = size if size is not None else _pick_size(rng)
    style = _style(rng)
    ops = kind.sketch(rng)
    big = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    placement = _place(ops, kind, big, rng)
    backdrop = tuple(int(c) for c in np.clip(rng.uniform(242, 253) + rng.normal(0, 1.2, 3), 0, 255))
    canvas = Image.new("RGB", big, backdrop)
    mask = Image.new("L", big, 0)
    centre = (float(placement.centre[0]), float(placement.centre[1]))
    fabric = _pattern_image(style, placement.box, centre, placement.angle, placement.unit, placement.height)
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
