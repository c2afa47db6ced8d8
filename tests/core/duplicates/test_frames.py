"""Frame prints: the whole frame in grey with bars cut off, and the candidate pairs they give."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from core.bench.duplicates import ALTERATIONS
from core.catalog import FRAME_PRINT, frame_print
from core.common import CancelToken
from core.duplicates import frames as frame_prints



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
