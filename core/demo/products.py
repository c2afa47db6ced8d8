"""The kinds of demo product: how each is sketched, named and set down."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.demo.sketch import (
    Points,
    Sketch,
    arc,
    bezier,
    both_sides,
    ellipse,
    filled,
    flip_x,
    join,
    mirrored,
    rounded_rect,
    stroke,
    xy,
)


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
        front = xy((0, depth), (neck, 0))
    else:
        front = bezier((0, depth), (neck * 0.8, depth), (neck, 0))
    flare = u(-0.5, 2.5)
    half_outline = join(
        front,
        (shoulder, drop),
        sleeve_top,
        sleeve_bottom,
        (half, armpit),
        bezier((half, armpit), (half - 0.8, (armpit + length) / 2), (half + flare, length)),
        (0, length + u(0, 1.5)),
    )
    back = bezier((-neck, 0), (0, u(2.5, 4.5)), (neck, 0))
    inside = join(back, front[::-1], flip_x(front)[1:])
    hem = length - u(2.5, 3.5)
    ops = [
        filled(mirrored(half_outline)),
        filled(inside, "inner", "seam", 0.4),
        stroke(join(front[::-1], flip_x(front)), "trim", u(1.6, 2.6)),
        stroke(xy((-half - flare + 0.8, hem), (half + flare - 0.8, hem)), "seam", 0.5),
    ]
    cuff_seam = join(sleeve_top - 2.5 * along + 0.8 * across, sleeve_bottom - 2.5 * along - 0.8 * across)
    ops += both_sides(stroke(cuff_seam, "seam", 0.5))
    if rng.random() < 0.35:
        x = -half * u(0.45, 0.65)
        ops.append(filled(rounded_rect(x - 5, armpit - 4, x + 5, armpit + 8, 1.5, 3), "pattern", "seam", 0.5))
    return ops


def _trousers(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    waist, rise, length = u(16, 21), u(27, 35), u(90, 108)
    hip = waist + u(1, 3)
    leg = u(12, 19)
    inner = max(waist + u(-1, 6) - leg, u(1.0, 3.0))
    outer = inner + leg
    band = u(5, 7)
    half = join(
        (0, 0),
        (waist, 0),
        bezier((waist, 0), (hip, rise * 0.45), (hip - 0.3, rise)),
        (outer, length),
        (inner, length),
        bezier((inner, length), (inner + 0.5, rise + 12), (1.2, rise + 1)),
        (0, rise),
    )
    ops = [
        filled(mirrored(half)),
        filled(xy((-waist, 0), (waist, 0), (waist + 0.25, band), (-waist - 0.25, band)), "trim", "seam", 0.5),
        filled(ellipse(0, band / 2, 1.1, 1.1, 12), "detail", None),
        stroke(join((1.8, band), bezier((1.8, rise - 9), (1.8, rise - 4), (0.2, rise - 3))), "seam", 0.5),
    ]
    for x in (-waist * 0.8, -waist * 0.3, waist * 0.3, waist * 0.8):
        ops.append(filled(rounded_rect(x - 0.8, -0.4, x + 0.8, band + 1.2, 0.4), "seam", None))
    pocket = bezier((waist - u(6, 8), band), (waist - 2, band + 4), (hip - 0.2, band + u(8, 12)))
    ops += both_sides(stroke(pocket, "seam", 0.5))
    crease = xy(((waist + 1) / 2 + 1, band + 4), ((outer + inner) / 2, length - 1))
    ops += both_sides(stroke(crease, "seam", 0.35))
    cuff = xy((inner + 0.3, length - 3), (outer - 0.3, length - 3))
    ops += both_sides(stroke(cuff, "seam", 0.45))
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
        upper = join(
            bezier((0, depth), (neck * 0.7, depth), (neck, 0)),
            (bust + 1, 2),
            (bust + u(4, 7), 2 + u(7, 10)),
            (bust, armpit),
        )
    else:  # straps
        strap_x, strap_w = u(6, 9), u(2, 3.4)
        depth = top + u(3, 9)
        armpit = top + u(3, 6)
        upper = join(bezier((0, depth), (strap_x * 0.8, depth - 1), (strap_x, top)), (bust, armpit))
        low = top + 1.5
        strap = xy((strap_x + 0.3, 0), (strap_x + strap_w + 0.3, 0), (strap_x + strap_w, low), (strap_x, low))
        ops += both_sides(filled(strap, "pattern", "seam", 0.4))
    drop = u(1, 4)
    half = join(
        upper,
        bezier((bust, armpit), (bust + 0.5, (armpit + waist_y) / 2), (waist, waist_y)),
        bezier((waist, waist_y), ((3 * waist + hem) / 4, (3 * waist_y + 2 * length) / 5), (hem, length)),
        bezier((hem, length), (hem * 0.5, length + drop), (0, length + drop)),
    )
    ops.append(filled(mirrored(half)))
    if rng.random() < 0.5:
        above, below = waist_y - 1.6, waist_y + 1.6
        belt = xy((-waist - 0.1, above), (waist + 0.1, above), (waist + 0.3, below), (-waist - 0.3, below))
        ops.append(filled(belt, "trim", "seam", 0.4))
    else:
        ops.append(stroke(xy((-waist, waist_y), (waist, waist_y)), "seam", 0.6))
    folds = int(rng.integers(2, 5))
    for i in range(folds):
        t = (i + 1) / (folds + 1) * 2 - 1
        start = (t * waist * 0.7, waist_y + u(8, 16))
        end = (t * hem * 0.75, length - u(1, 4))
        ops.append(stroke(bezier(start, (start[0] * 1.1, (start[1] + end[1]) / 2), end, n=8), "seam", 0.4))
    return ops


def _sneaker(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    sole, collar, toe = u(6, 10), u(24, 30), u(10, 13)
    ground = 45.0
    top = ground - sole  # top of the sole
    back_y = top - collar
    lace_line = ((33, back_y - 0.5), (52, back_y + collar * 0.2), (70, top - toe - 2))
    upper = join(
        bezier((2, top), (-1, top - collar * 0.5), (4, back_y)),
        bezier((4, back_y), (14, back_y + u(2, 5)), (27, back_y + 1)),
        bezier(*lace_line),
        bezier((70, top - toe - 2), (94, top - toe + 0.5), (100, top - 2)),
        (98, top + 1),
    )
    tongue_top = back_y - u(3, 6)
    tongue = xy((26, back_y + 2), (28, tongue_top), (35, tongue_top + 0.5), (38, back_y + 3))
    ops = [filled(tongue, "trim", "seam", 0.5), filled(upper)]
    if rng.random() < 0.5:  # heel overlay
        overlay = join((1.5, top), bezier((0, top - 8), (4, top - collar * 0.7), (22, top + 0.5)))
        ops.append(filled(overlay, "trim", "seam", 0.4))
    else:  # side stripes
        for k in range(3):
            x = 38 + k * 5
            ops.append(stroke(xy((x, top - 1), (x + 6, top - collar * 0.55)), "trim", 1.6))
    ops.append(stroke(bezier((78, top), (79, top - toe * 0.8), (93, top - toe + 1.5)), "seam", 0.5))
    for t in np.linspace(0.12, 0.88, int(rng.integers(4, 6))):
        x, y = bezier(*lace_line, n=33)[int(t * 32)]
        ops.append(stroke(xy((x - 2, y + 1.5), (x + 2.5, y - 1.2)), "detail", 1.3))
    ops.append(filled(rounded_rect(0, top - 1, 100, ground, sole * 0.45, sole * 0.7), "sole", "seam", 0.5))
    ops.append(stroke(xy((2, ground - 1.2), (98, ground - 1.2)), "trim", 1.4))
    ops.append(stroke(xy((3, top + sole * 0.45), (97, top + sole * 0.45)), "seam", 0.4))
    ops.append(filled(rounded_rect(1.5, back_y - 2, 6, back_y + 6, 1.2), "trim", None))
    return ops


def _boot(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    ground = 100.0
    front, instep = u(24, 32), u(46, 60)
    heel, toe, sole = u(2, 14), u(70, 78), u(3, 5)
    welt = ground - sole  # where the upper meets the sole under the forefoot
    seat = welt - heel  # ... and under the heel
    bottom = join(
        bezier((toe, welt), (toe - 12, welt + 0.3), (toe - 30, welt)),
        bezier((toe - 30, welt), (24, welt - heel * 0.4), (16, seat)),
        (2, seat),
    )
    upper = join(
        (1, 0),
        (front, 0),
        bezier((front, 0), (front + 1, instep * 0.6), (front + 2, instep)),
        bezier((front + 2, instep), (front + 8, ground - 20), (toe - 14, welt - 16)),
        bezier((toe - 14, welt - 16), (toe + 1.5, welt - 14), (toe, welt)),
        bottom,
        bezier((2, seat), (-1, seat - 10), (2, seat - 22)),
        bezier((2, seat - 22), (5, (seat - 22) / 2), (1, 0)),
    )
    outsole = join(bottom[:-1], bottom[-2::-1] + (0, sole), (toe + 0.8, welt + 1.5))
    ops = [
        filled(rounded_rect(-1.5, -5, 5, 7, 2), "trim", "seam", 0.5),
        filled(upper),
        filled(outsole, "sole", "seam", 0.5),
        filled(xy((1.5, seat), (17, seat), (16, ground), (3, ground)), "trim", "seam", 0.5),
        stroke(xy((2, 1.2), (front - 0.5, 1.2)), "trim", 2.2),
        stroke(bottom[:-1] - (0, 1.5), "seam", 0.4),
        stroke(bezier((toe - 16, welt), (toe - 15, welt - 13), (toe - 2, welt - 12)), "seam", 0.5),
    ]
    style = rng.random()
    if style < 0.5:  # laced
        for y in np.linspace(6, instep + 4, int(rng.integers(5, 8))):
            x = front + 2 * (y / instep) ** 2 - 1.5
            ops.append(stroke(xy((x - 5, y + 2.5), (x + 0.5, y - 1.0)), "detail", 1.1))
            ops.append(filled(ellipse(x - 5, y + 2.5, 0.8, 0.8, 10), "metal", None))
    elif style < 0.75:  # chelsea gusset
        gusset = xy((front * 0.3, 0), (front * 0.75, 0), (front * 0.55, u(24, 32)))
        ops.append(filled(gusset, "trim", "seam", 0.5))
    else:  # side zip
        ops.append(stroke(xy((front * 0.45, 2.5), (front * 0.5, instep)), "detail", 0.9))
        ops.append(filled(rounded_rect(front * 0.45 - 1, 2.5, front * 0.45 + 1, 7, 0.5), "metal", None))
    return ops


def _handbag(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    bottom = u(35, 46)
    top_w = bottom * u(0.72, 0.95)
    height, r = u(42, 60), u(5, 12)
    handle_x, handle_h = top_w * u(0.4, 0.7), u(18, 34)
    corner = bezier((bottom, height - r), (bottom, height), (bottom - r, height))
    half = join((0, 0), (top_w, 0), corner, (0, height))
    ops = [
        stroke(arc(0, 1, handle_x, handle_h, 180, 360, 28), "trim", u(2.5, 4.5)),
        filled(mirrored(half)),
    ]
    ops += both_sides(filled(rounded_rect(handle_x - 2.5, -1.5, handle_x + 2.5, 4.5, 1), "trim", "seam", 0.4))
    if rng.random() < 0.55:  # flap with clasp
        flap = height * u(0.35, 0.55)
        side = top_w + (bottom - top_w) * flap / (height - r)
        edge = bezier((side, flap * 0.75), (side * 0.6, flap * 1.2), (0, flap * 1.2))
        ops.append(filled(mirrored(join((0, 0), (top_w, 0), edge)), "trim", "seam", 0.5))
        ops.append(filled(rounded_rect(-3.5, flap * 1.2 - 3, 3.5, flap * 1.2 + 2.5, 1), "metal", "seam", 0.3))
    else:  # zip top
        ops.append(stroke(xy((-top_w + 3, 4), (top_w - 3, 4)), "detail", 0.8))
        ops.append(filled(rounded_rect(top_w - 6, 3, top_w - 4, 9, 0.6), "metal", None))
    ops.append(stroke(xy((-bottom + r, height - 3), (bottom - r, height - 3)), "seam", 0.5))
    return ops


def _cap(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    rx, ry = u(28, 34), u(25, 32)
    lean = u(0.05, 0.25)  # the crown peaks towards the front
    dome = arc(0, 0, rx, ry, 180, 360, 36)
    dome[:, 0] -= dome[:, 1] * lean
    crown = join(dome, (rx, 2.5), (-rx, 2.5))
    brim, droop, thick = u(22, 32), u(2, 7), u(3, 4.5)
    peak = join(
        bezier((rx * 0.5, -2), (rx + brim * 0.5, -2.5), (rx + brim, 2 + droop)),
        arc(rx + brim - thick / 2, 2 + droop + thick / 2, thick / 2, thick / 2, -90, 90, 8),
        bezier((rx + brim - thick / 2, 2 + droop + thick), (rx + brim / 2, 1 + thick), (rx / 2, 1 + thick)),
    )
    apex = (ry * lean, -ry)
    ops = [
        filled(crown),
        filled(peak, "trim" if rng.random() < 0.5 else "pattern", "seam", 0.5),
        stroke(xy((-rx + 0.5, 1.3), (rx * 0.6, 1.3)), "trim", 2.0),
        filled(ellipse(apex[0], apex[1] + 0.4, 2.6, 1.3, 14), "trim", "seam", 0.3),
    ]
    for x in (-rx * 0.45, rx * 0.4):
        ops.append(stroke(bezier(apex, (x * 1.05 + apex[0] * 0.3, -ry * 0.5), (x, 0)), "seam", 0.5))
        ops.append(filled(ellipse(x * 0.6 + apex[0] * 0.4 - 3, -ry * 0.72, 0.8, 0.8, 10), "detail", None))
    if rng.random() < 0.3:
        ops.append(filled(rounded_rect(rx * 0.25, -ry * 0.45, rx * 0.65, -ry * 0.2, 1.5), "detail", None))
    return ops


def _backpack(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    w, h = u(27, 35), u(74, 94)
    r_top, r_bottom = w * u(0.55, 0.95), u(5, 10)
    ops = [stroke(arc(0, 0.5, u(5, 8), u(5, 9), 180, 360, 16), "trim", 2.2)]
    strap = bezier((w - 3, r_top * 0.7), (w + 6, h * 0.45), (w - 1, h * 0.9))
    ops += both_sides(stroke(strap, "trim", 4.0))
    ops.append(filled(rounded_rect(-w, 0, w, h, r_top, r_bottom)))
    ops.append(stroke(arc(0, r_top + 3.5, w - 4, r_top, 195, 345, 20), "detail", 0.7))
    pocket_top = h * u(0.45, 0.6)
    pocket_fill = "trim" if rng.random() < 0.5 else "pattern"
    ops.append(filled(rounded_rect(-w * 0.72, pocket_top, w * 0.72, h * 0.93, 5, 4), pocket_fill, "seam", 0.6))
    ops.append(stroke(xy((-w * 0.72 + 3, pocket_top + 2.5), (w * 0.72 - 3, pocket_top + 2.5)), "detail", 0.7))
    ops.append(filled(rounded_rect(w * 0.3, pocket_top + 2, w * 0.3 + 2, pocket_top + 8, 0.6), "metal", None))
    if rng.random() < 0.4:
        ops.append(filled(rounded_rect(-4, r_top * 0.8, 4, r_top * 0.8 + 5, 1), "detail", None))
    return ops


def _lens(shape: str, cx: float, width: float, height: float, grow: float) -> Points:
    w, h = width / 2 + grow, height / 2 + grow
    if shape == "round":
        return ellipse(cx, 0, w, h)
    if shape == "square":
        pts = rounded_rect(cx - w, -h, cx + w, h, h * 0.55)
        pts[:, 0] = cx + (pts[:, 0] - cx) * (1 - 0.12 * np.clip(pts[:, 1] / h, 0, 1))
        return pts
    pts = ellipse(cx, 0, w, h)  # aviator: the lens drops towards the nose
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
    ops += both_sides(stroke(xy((edge - 1, -height * 0.3), (edge + 5, -height * 0.26)), "base", frame))
    ops += both_sides(filled(_lens(shape, cx, width, height, frame)))
    reach = gap / 2 + frame
    bridge = bezier((-reach, -height * 0.22), (0, -height * 0.42), (reach, -height * 0.22))
    ops.append(stroke(bridge, "base", frame * 1.1))
    ops += both_sides(filled(_lens(shape, cx, width, height, 0), "lens", "seam", 0.4))
    high, w = -height * 0.32, width
    glare = xy((cx - w * 0.32, 0), (cx - w * 0.12, high), (cx - w * 0.04, high), (cx - w * 0.24, 0))
    ops += both_sides(filled(glare, "lens_hi", None))
    return ops


def _watch(rng: np.random.Generator) -> Sketch:
    u = rng.uniform
    strap, r, length = u(8, 11), u(15, 20), u(95, 110)
    cy = length / 2
    end = strap * u(0.8, 0.95)
    top_strap = join((-strap, cy), (-end, 6), arc(0, 6, end, u(2, 5), 180, 360, 12), (strap, cy))
    tip = length - 8
    bottom_strap = join((strap, cy), (end, tip), arc(0, tip, end, u(3, 8), 0, 180, 12), (-strap, cy))
    case = "metal" if rng.random() < 0.6 else "trim"
    ops = [
        filled(top_strap),
        filled(bottom_strap),
        filled(rounded_rect(-strap - 1.5, 10, strap + 1.5, 17, 1), None, "metal", 1.3),
        filled(rounded_rect(-strap - 0.3, 21, strap + 0.3, 24, 0.5), "trim", "seam", 0.3),
        filled(rounded_rect(-strap - 1.2, cy - r - 5, strap + 1.2, cy + r + 5, 2.5), case, "seam", 0.4),
        filled(rounded_rect(r - 1, cy - 2.5, r + 3, cy + 2.5, 1), case, "seam", 0.3),
    ]
    for y in cy + r + 10 + np.arange(4) * 5:
        ops.append(filled(ellipse(0, y, 1.0, 1.0, 10), "inner", None))
    if rng.random() < 0.65:
        ops.append(filled(ellipse(0, cy, r, r), case, "seam", 0.4))
        ops.append(filled(ellipse(0, cy, r * 0.82, r * 0.82), "face", "seam", 0.3))
    else:
        ops.append(filled(rounded_rect(-r, cy - r, r, cy + r, r * 0.3), case, "seam", 0.4))
        face = r * 0.8
        ops.append(filled(rounded_rect(-face, cy - face, face, cy + face, r * 0.22), "face", "seam", 0.3))
    def dial(turn: float, reach: float) -> tuple[float, float]:
        return r * reach * math.sin(turn * 2 * math.pi), cy - r * reach * math.cos(turn * 2 * math.pi)

    for hour in range(12):
        quarter = hour % 3 == 0
        tick = xy(dial(hour / 12, 0.6 if quarter else 0.68), dial(hour / 12, 0.74))
        ops.append(stroke(tick, "ink", 1.2 if quarter else 0.8))
    for reach, width in ((0.42, 1.4), (0.62, 0.9)):
        ops.append(stroke(xy((0, cy), dial(u(0, 1), reach)), "ink", width))
    ops.append(filled(ellipse(0, cy, 1.2, 1.2, 10), "ink", None))
    return ops


@dataclass(frozen=True)
class Kind:
    """How to draw one category and how it is named."""

    code: str  # three letters, the SKU prefix
    noun: str  # one product, in names and file names
    sketch: Callable[[np.random.Generator], Sketch]
    standing: bool  # stands on the floor (contact shadow, little tilt) rather than lying flat
    flippable: bool  # drawn in side view, so it may face either way


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

KINDS: dict[str, Kind] = {
    "t-shirts": Kind("TSH", "t-shirt", _tshirt, standing=False, flippable=False),
    "trousers": Kind("TRO", "trousers", _trousers, standing=False, flippable=False),
    "dresses": Kind("DRE", "dress", _dress, standing=False, flippable=False),
    "sneakers": Kind("SNE", "sneaker", _sneaker, standing=True, flippable=True),
    "boots": Kind("BOO", "boot", _boot, standing=True, flippable=True),
    "handbags": Kind("BAG", "handbag", _handbag, standing=True, flippable=False),
    "caps": Kind("CAP", "cap", _cap, standing=True, flippable=True),
    "backpacks": Kind("BPK", "backpack", _backpack, standing=True, flippable=False),
    "sunglasses": Kind("SUN", "sunglasses", _sunglasses, standing=False, flippable=False),
    "watches": Kind("WAT", "watch", _watch, standing=False, flippable=False),
}
