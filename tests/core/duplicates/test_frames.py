"""Frame prints tell one photo altered from another photo framed the same way."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.bench.duplicates import ALTERATIONS
from core.catalog import FRAME_PRINT, fit_square, frame_print
from core.common import CancelToken
from core.duplicates import DuplicateSettings, group_photos
from core.duplicates.find import Frames
from core.duplicates import frames as frame_prints
from core.similarity.colour import colour_descriptors
from core.storage import Item

SETTINGS = DuplicateSettings()


def _product(pattern: str, colour=(150, 80, 40), size: int = 224) -> Image.Image:
    """A studio shot: one bag-like outline on white, its inside patterned by `pattern`."""
    im = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    body = (40, 80, 184, 190)
    draw.rounded_rectangle(body, radius=18, fill=colour, outline=(40, 30, 20), width=3)
    draw.arc((80, 30, 144, 110), 180, 360, fill=(40, 30, 20), width=6)
    dark = tuple(v // 2 for v in colour)
    if pattern == "stripes":
        for x in range(52, 180, 16):
            draw.rectangle((x, 92, x + 6, 180), fill=dark)
    elif pattern == "squares":
        for y in range(96, 176, 28):
            for x in range(56, 170, 28):
                draw.rectangle((x, y, x + 12, y + 12), fill=dark)
    return im


def _score(first: Image.Image, second: Image.Image) -> tuple[float, float]:
    prints = np.stack([frame_print(first), frame_print(second)])
    scores = frame_prints.score_pairs(prints, np.array([0]), np.array([1]), SETTINGS.frame_tolerance, SETTINGS.backdrop)
    return float(scores.alike[0]), float(scores.off[0])


def _is_one_photo(alike: float, off: float) -> bool:
    return alike >= SETTINGS.frame_alike and off <= SETTINGS.frame_off


def _is_two_photos(alike: float, off: float) -> bool:
    return alike >= SETTINGS.veto_alike and off > SETTINGS.veto_off


def test_the_print_is_the_whole_frame_in_grey_with_bars_cut_off():
    photo = _product("stripes")
    print_ = frame_print(photo)
    assert print_.shape == (FRAME_PRINT, FRAME_PRINT) and print_.dtype == np.uint8
    boxed = ALTERATIONS["letterbox"](photo)  # black bars either side
    assert np.abs(frame_print(boxed).astype(int) - print_).mean() < 2
    # Nothing else is trimmed: a photo with more white around it is another frame.
    framed = ALTERATIONS["border30"](photo)
    assert np.abs(frame_print(framed).astype(int) - print_).mean() > 5


def _on_backdrop(backdrop: np.ndarray, product=(40, 90, 160)) -> Image.Image:
    """A product in the middle of a backdrop given as (H, W, 3) pixels."""
    im = Image.fromarray(backdrop.astype(np.uint8))
    ImageDraw.Draw(im).rounded_rectangle((60, 50, 164, 190), radius=12, fill=product, outline=(20, 20, 20), width=3)
    return im


def _whole_print(photo: Image.Image) -> np.ndarray:
    return np.asarray(photo.convert("L").resize((FRAME_PRINT, FRAME_PRINT), Image.Resampling.BOX))


def _gradient(top: int, bottom: int) -> np.ndarray:
    """A studio wall lit from above: grey levels from `top` down to `bottom`."""
    return np.repeat(np.linspace(top, bottom, 224)[:, None, None], 224, axis=1).repeat(3, axis=2)


def test_a_frame_or_bars_put_round_a_photo_are_cut_off_however_close_in_colour():
    """A white frame round a light grey backdrop (within the trimming threshold), and black bars that
    the photo's own wall meets (no plain line of another colour), are cut from the print as well."""
    grey = _on_backdrop(np.full((224, 224, 3), 236))
    for photo, altered in ((grey, ALTERATIONS["border30"](grey)), (grey, ALTERATIONS["border30"](grey).convert("L").convert("RGB"))):
        assert np.abs(frame_print(altered).astype(int) - frame_print(photo)).mean() < 2
    lit = _on_backdrop(_gradient(250, 190))
    boxed = ALTERATIONS["letterbox"](lit)
    assert np.abs(frame_print(boxed).astype(int) - frame_print(lit)).mean() < 2
    compressed = io.BytesIO()
    boxed.save(compressed, format="JPEG", quality=75)  # ringing along the bars' edges
    assert np.abs(frame_print(Image.open(compressed).convert("RGB")).astype(int) - frame_print(lit)).mean() < 3


def test_the_photos_own_backdrop_is_no_frame():
    """A wall lit unevenly, and the white either side of a product as tall as the photo, stay in the print."""
    lit = _on_backdrop(_gradient(250, 190))
    assert np.array_equal(frame_print(lit), _whole_print(lit))
    tall = Image.new("RGB", (224, 224), (255, 255, 255))
    draw = ImageDraw.Draw(tall)
    draw.rectangle((50, 40, 174, 217), fill=(150, 30, 40))  # a folded shirt all but filling the height
    draw.rectangle((90, 6, 134, 40), fill=(150, 30, 40))  # its collar
    for y in range(46, 214, 12):
        draw.line((50, y, 174, y), fill=(90, 20, 30), width=3)  # its stripes
    assert np.array_equal(frame_print(tall), _whole_print(tall))
    framed = ALTERATIONS["border30"](_on_backdrop(np.full((224, 224, 3), 255)))  # white on white: one backdrop
    assert np.array_equal(frame_print(framed), _whole_print(framed))


@pytest.mark.parametrize("alteration", ["banner", "watermark", "bright25", "mirror", "half"])
def test_a_photo_altered_in_place_is_one_photo(alteration):
    photo = _product("stripes")
    alike, off = _score(photo, ALTERATIONS[alteration](photo))
    assert _is_one_photo(alike, off), (alike, off)


def test_another_product_framed_the_same_way_is_two_photos():
    alike, off = _score(_product("stripes"), _product("squares"))
    assert _is_two_photos(alike, off) and not _is_one_photo(alike, off), (alike, off)


def test_another_photo_altogether_is_not_framed_alike():
    other = Image.new("RGB", (224, 224), (255, 255, 255))
    ImageDraw.Draw(other).ellipse((20, 20, 120, 200), fill=(30, 60, 160))
    alike, off = _score(_product("stripes"), other)
    assert alike < SETTINGS.veto_alike and not _is_one_photo(alike, off), (alike, off)


def test_candidates_hold_each_photo_and_its_altered_copy():
    photos = [_product(p, c) for p in ("stripes", "squares", "plain") for c in ((150, 80, 40), (40, 90, 160))]
    photos.append(ALTERATIONS["banner"](photos[0]))
    prints = np.stack([frame_print(p) for p in photos])
    rows = np.arange(len(prints))
    a, b = frame_prints.candidates(prints, rows, 1, 4, lambda _: None, CancelToken())
    assert np.all(a < b) and len(set(zip(a.tolist(), b.tolist()))) == len(a)
    assert (0, len(photos) - 1) in set(zip(a.tolist(), b.tolist()))
    none = frame_prints.candidates(prints[:1], rows[:1], 15, 4, lambda _: None, CancelToken())
    assert len(none[0]) == 0


def test_candidates_by_outlines_hold_a_copy_the_light_falls_on_otherwise():
    """Row 0: a print lit from the top; row 1: the same print lit from the bottom; rows 2-13: six other
    outlines, each lit both ways. By grey the light decides which prints are alike, by outline it does not."""
    rng = np.random.default_rng(5)
    light = np.linspace(0, 150, 32, dtype=np.float32)[:, None]

    def outlines() -> np.ndarray:
        shape = np.zeros((32, 32), np.float32)
        for _ in range(4):
            y, x = rng.integers(2, 24, 2)
            shape[y : y + 8, x : x + 8] = 60
        return shape

    first = outlines()
    others = [outline + lit for outline in (outlines() for _ in range(6)) for lit in (light, light[::-1])]
    prints = np.stack([first + light, first + light[::-1], *others]).astype(np.uint8)
    rows = np.arange(len(prints))
    a, b = frame_prints.candidates(prints, rows, 1, 4, lambda _: None, CancelToken())
    assert (0, 1) not in set(zip(a.tolist(), b.tolist()))
    a, b = frame_prints.candidates(prints, rows, 1, 4, lambda _: None, CancelToken(), outline_count=1)
    assert (0, 1) in set(zip(a.tolist(), b.tolist()))


def _item(i: int) -> Item:
    return Item(i, f"p/{i:02d}.jpg", 1, 1, f"h{i}", "ok", sku=f"S{i}")


def test_frames_link_what_the_trimmed_shape_misses_and_part_what_it_joins():
    """Rows 0-1: a photo and its bannered copy, their shapes far apart. Rows 2-3: two products framed alike, their shapes as one.

    Row 3 is also row 0's pattern in row 2's colour, framed as row 0 is: another colourway of it.
    """
    stripes, squares = _product("stripes"), _product("squares", (40, 90, 160))
    photos = [stripes, ALTERATIONS["banner"](stripes), squares, _product("stripes", (40, 90, 160))]
    prints = np.stack([frame_print(p) for p in photos])
    shapes = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1], [0, 0.02, 1]], np.float32)
    colours = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32)
    items = [_item(i) for i in range(4)]
    by_shape = group_photos(items, shapes, colours)
    assert [(g.kind, g.item_ids) for g in by_shape] == [("near", (2, 3))]
    framed = group_photos(items, shapes, colours, frames=Frames(prints, np.ones(4, bool)))
    assert [(g.kind, g.item_ids) for g in framed] == [("near", (0, 1)), ("variant", (0, 3))]
    assert all(0 < m.score <= 1 for g in framed for m in g.members)
    # Photos without a print (indexed by an earlier version) are compared by shape alone.
    unknown = group_photos(items, shapes, colours, frames=Frames(prints, np.zeros(4, bool)))
    assert unknown == by_shape
    # A pair marked "not duplicates" is not linked by its frames either.
    dismissed = group_photos(items, shapes, colours, dismissed={(0, 1)}, frames=Frames(prints, np.ones(4, bool)))
    assert [g for g in dismissed if g.kind == "near"] == []


def test_a_chance_pair_between_two_copies_does_not_join_their_photos_groups():
    """Two photos, each with a bannered and a half-size copy; the two bannered copies look one to the shape embedding."""
    first, second = _product("stripes"), Image.new("RGB", (224, 224), (255, 255, 255))
    ImageDraw.Draw(second).ellipse((30, 60, 190, 170), fill=(140, 90, 50))
    photos = [first, ALTERATIONS["banner"](first), ALTERATIONS["half"](first)]
    photos += [second, ALTERATIONS["banner"](second), ALTERATIONS["half"](second)]
    prints = np.stack([frame_print(p) for p in photos])
    shapes = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0.01, 1], [0, 1, 0]], np.float32)
    colours = np.ones((6, 2), np.float32)
    items = [_item(i) for i in range(6)]
    groups = group_photos(items, shapes, colours, frames=Frames(prints, np.ones(6, bool)))
    assert [(g.kind, g.item_ids) for g in groups] == [("near", (0, 1, 2)), ("near", (3, 4, 5))]


def _grey_bag_with_a_stripe(stripe: tuple[int, int, int]) -> Image.Image:
    im = Image.new("RGB", (224, 224), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((40, 60, 184, 190), radius=14, fill=(120, 120, 120), outline=(40, 40, 40), width=3)
    draw.rectangle((43, 150, 181, 172), fill=stripe)  # its only colour: about a sixth of the bag
    return im


def test_a_brighter_copy_is_one_photo_and_a_colourway_framed_alike_is_one_design():
    """Brightening moves a photo's colour towards grey and keeps its hues; another colourway moves its hues."""
    bag = _grey_bag_with_a_stripe((200, 20, 40))
    colourway = _grey_bag_with_a_stripe((40, 60, 200))  # blue, as dark in grey as the red
    photos = [bag, ALTERATIONS["bright25"](bag), colourway]
    prints = np.stack([frame_print(p) for p in photos])
    colours = colour_descriptors(np.stack([fit_square(p, 64) for p in photos]))
    assert float(colours[0] @ colours[2]) >= SETTINGS.frame_colour  # the colour descriptor alone would take the colourway
    alike, off = _score(photos[0], photos[2])
    assert _is_one_photo(alike, off)  # and so would its grey levels
    shapes = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)  # far apart: only frames can link them
    groups = group_photos([_item(i) for i in range(3)], shapes, colours, frames=Frames(prints, np.ones(3, bool)))
    assert [(g.kind, g.item_ids) for g in groups] == [("near", (0, 1)), ("variant", (0, 2))]
