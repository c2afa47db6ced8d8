from __future__ import annotations

import concurrent.futures
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.catalog.images import (
    REDUCE_HEADROOM,
    fit_square,
    load_batch,
    load_square,
    open_rgb,
    sniff_format,
    trim_background,
)
from core.common.config import MAX_DECODE_BYTES, MAX_IMAGE_PIXELS
from core.common.errors import ImageError

RED = (255, 0, 0)
WHITE = (255, 255, 255)
ROOT = Path(__file__).resolve().parents[3]


def half_transparent_rgba(width: int = 8, height: int = 4) -> np.ndarray:
    """Left half fully transparent black, right half opaque red."""
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[:, width // 2 :] = (255, 0, 0, 255)
    return pixels


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG claiming width x height, with almost none of the pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes(1000))
    chunks = png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


# PNG colour type, bit depth, background and product pixel of the modes `write_big_png` writes.
_BIG_PNG_MODES = {
    "RGB": (2, 8, b"\xff" * 3, bytes(RED)),
    "RGBA": (6, 8, bytes(4), bytes(RED) + b"\xff"),  # transparent around an opaque product
    "I;16": (0, 16, b"\xff\xff", b"\x4c\x4c"),  # the product 0x4c4c: grey 76, as red comes out in grey
}


def write_big_png(path: Path, width: int, height: int, box: tuple[int, int, int, int], mode: str = "RGB") -> None:
    """A real PNG of a red product `box` on white, written a row at a time: large pictures in little memory."""
    colour_type, depth, background, product = _BIG_PNG_MODES[mode]
    x0, y0, x1, y1 = box
    plain = b"\x00" + background * width
    crossed = b"\x00" + background * x0 + product * (x1 - x0) + background * (width - x1)
    packer = zlib.compressobj(1)
    data = b"".join(packer.compress(crossed if y0 <= y < y1 else plain) for y in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    chunks = png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)


# ---- modes -------------------------------------------------------------------------------


def make_p_transparent_index() -> Image.Image:
    image = Image.new("P", (8, 4), 0)
    image.putpalette([0, 0, 0] + list(RED) + [0, 0, 0] * 254)
    image.paste(1, (4, 0, 8, 4))
    image.info["transparency"] = 0
    return image


def make_p_rgba_palette() -> Image.Image:
    return Image.fromarray(half_transparent_rgba()).quantize(colors=2, method=Image.Quantize.FASTOCTREE)


@pytest.mark.parametrize(
    ("suffix", "make"),
    [
        ("png", lambda: Image.fromarray(half_transparent_rgba())),
        ("png", lambda: Image.fromarray(half_transparent_rgba()).convert("LA")),
        ("png", make_p_transparent_index),
        ("png", make_p_rgba_palette),
        ("gif", make_p_transparent_index),
        ("webp", lambda: Image.fromarray(half_transparent_rgba())),
        ("tiff", lambda: Image.fromarray(half_transparent_rgba())),
    ],
    ids=["rgba-png", "la-png", "p-trns-png", "p-rgba-palette", "p-trns-gif", "rgba-webp", "rgba-tiff"],
)
def test_transparent_pixels_come_out_white(
    tmp_path: Path, suffix: str, make: Callable[[], Image.Image]
) -> None:
    path = tmp_path / f"image.{suffix}"
    source = make()
    if suffix == "webp":
        source.save(path, lossless=True)
    else:
        source.save(path)
    with Image.open(path) as reopened:
        assert reopened.mode == source.mode
    rgb = np.asarray(open_rgb(path))
    assert rgb.shape == (4, 8, 3)
    assert (rgb[:, :4] == WHITE).all()
    red_as_grey = 76
    expected = (red_as_grey,) * 3 if source.mode == "LA" else RED
    assert (np.abs(rgb[:, 4:].astype(int) - expected) <= 2).all()


def test_rgb_png_with_transparent_colour_key(tmp_path: Path) -> None:
    image = Image.new("RGB", (4, 2), RED)
    image.paste((0, 0, 255), (0, 0, 2, 2))
    image.save(tmp_path / "key.png", transparency=(0, 0, 255))
    rgb = np.asarray(open_rgb(tmp_path / "key.png"))
    assert (rgb[:, :2] == WHITE).all() and (rgb[:, 2:] == RED).all()


@pytest.mark.parametrize(
    ("mode", "suffix", "values", "expected"),
    [
        ("1", "png", np.array([[0, 1]], bool), [0, 255]),
        ("L", "png", np.array([[0, 200]], np.uint8), [0, 200]),
        ("I;16", "png", np.array([[0, 65535]], np.uint16), [0, 255]),
        ("I", "tiff", np.array([[0, 65535]], np.int32), [0, 255]),
        ("I", "tiff", np.array([[0, 200]], np.int32), [0, 200]),
        ("F", "tiff", np.array([[0.0, 1.0]], np.float32), [0, 255]),
        ("F", "tiff", np.array([[0.0, 200.0]], np.float32), [0, 200]),
    ],
    ids=["1", "L", "I;16", "I-16bit-range", "I-8bit-range", "F-unit", "F-bytes"],
)
def test_grey_modes_scale_to_8_bit_rgb(
    tmp_path: Path, mode: str, suffix: str, values: np.ndarray, expected: list[int]
) -> None:
    source = Image.fromarray(values)
    assert source.mode == mode
    path = tmp_path / f"grey.{suffix}"
    source.save(path)
    with Image.open(path) as reopened:
        assert reopened.mode == mode
    rgb = np.asarray(open_rgb(path))
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 2, 3)
    assert rgb[0, :, 0].tolist() == expected
    assert (rgb == rgb[..., :1]).all()


def test_p_without_transparency_and_cmyk(tmp_path: Path) -> None:
    palette = Image.new("RGB", (4, 4), RED).convert("P", palette=Image.Palette.ADAPTIVE)
    palette.save(tmp_path / "p.png")
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg", quality=95)
    Image.new("CMYK", (4, 4), (0, 255, 255, 0)).save(tmp_path / "cmyk.tiff")
    for name in ("p.png", "cmyk.jpg", "cmyk.tiff"):
        rgb = open_rgb(tmp_path / name)
        assert rgb.mode == "RGB"
        assert (np.abs(np.asarray(rgb).astype(int) - RED) <= 3).all(), name


ALL_MODES = ["1", "L", "P", "PA", "LA", "La", "RGBA", "RGBa", "CMYK", "YCbCr", "LAB", "HSV"]


@pytest.mark.parametrize("mode", ALL_MODES + ["I;16", "I;16B", "I", "F"])
def test_fit_square_accepts_every_mode(mode: str) -> None:
    if mode.startswith("I") or mode == "F":
        image = Image.new(mode, (4, 4))
    else:
        image = Image.new("RGBA", (4, 4), (0, 0, 0, 255)).convert(mode)
    assert image.mode == mode
    square = fit_square(image, 4)
    assert square.dtype == np.uint8 and square.shape == (4, 4, 3)
    assert (square <= 2).all()


def test_first_frame_of_animations(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (6, 6), colour) for colour in (RED, (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=50)
    frames[0].save(
        tmp_path / "anim.webp", save_all=True, append_images=frames[1:], duration=50, lossless=True
    )
    for name in ("anim.gif", "anim.webp"):
        with Image.open(tmp_path / name) as check:
            assert getattr(check, "n_frames", 1) == 2
        assert (np.abs(np.asarray(open_rgb(tmp_path / name)).astype(int) - RED) <= 2).all(), name


# ---- orientation and draft -----------------------------------------------------------------

# Top-left red, top-right green, bottom-left blue, bottom-right black.
QUADRANTS = np.array([[(255, 0, 0), (0, 255, 0)], [(0, 0, 255), (0, 0, 0)]], np.uint8)
# How each EXIF orientation turns the stored picture into the displayed one.
DISPLAYED = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, k=-1),
    7: lambda a: np.rot90(a[:, ::-1], k=-1),
    8: lambda a: np.rot90(a, k=1),
}


def save_oriented_jpeg(path: Path, orientation: int, block: int = 16) -> None:
    """A picture of the quadrants, twice as wide as tall, tagged with an EXIF orientation."""
    stored = QUADRANTS.repeat(block, axis=0).repeat(2 * block, axis=1)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(path, quality=95, exif=exif)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(tmp_path: Path, orientation: int) -> None:
    path = tmp_path / "oriented.jpg"
    save_oriented_jpeg(path, orientation)
    rgb = np.asarray(open_rgb(path)).astype(int)
    expected = DISPLAYED[orientation](QUADRANTS)
    rows, cols = expected.shape[:2]
    assert rgb.shape[:2] == ((32, 64) if orientation <= 4 else (64, 32))
    height, width = rgb.shape[:2]
    for r in range(rows):
        for c in range(cols):
            centre = rgb[(2 * r + 1) * height // 4, (2 * c + 1) * width // 4]
            assert (np.abs(centre - expected[r, c]) <= 12).all(), (orientation, r, c)


def test_exif_orientation_6_puts_top_left_at_top_right(tmp_path: Path) -> None:
    path = tmp_path / "six.jpg"
    save_oriented_jpeg(path, 6)
    rgb = np.asarray(open_rgb(path)).astype(int)
    assert rgb.shape == (64, 32, 3)
    assert (np.abs(rgb[2, -3] - RED) <= 12).all()


@pytest.fixture(scope="module")
def portrait_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("draft") / "portrait.jpg"
    gradient = np.linspace(0, 255, 1080, dtype=np.uint8)[None, :, None].repeat(1440, 0).repeat(3, 2)
    Image.fromarray(gradient).save(path, quality=80)
    return path


def test_draft_mode_decodes_jpeg_at_reduced_size(portrait_jpeg: Path) -> None:
    assert open_rgb(portrait_jpeg).size == (1080, 1440)
    assert open_rgb(portrait_jpeg, min_side=64).size == (135, 180)
    assert open_rgb(portrait_jpeg, min_side=200).size == (270, 360)
    assert open_rgb(portrait_jpeg, min_side=1000).size == (1080, 1440)
    assert load_square(portrait_jpeg, 64).shape == (64, 64, 3)


def test_draft_mode_with_orientation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (1440, 1080), RED).save(tmp_path / "turned.jpg", exif=exif)
    assert open_rgb(tmp_path / "turned.jpg", min_side=64).size == (135, 180)


def test_min_side_shrinks_other_formats_by_a_whole_factor(tmp_path: Path) -> None:
    Image.new("RGB", (300, 200), RED).save(tmp_path / "big.png")
    assert REDUCE_HEADROOM == 4
    assert open_rgb(tmp_path / "big.png", min_side=16).size == (100, 67)  # 200 // (4 * 16) = 3
    assert open_rgb(tmp_path / "big.png", min_side=50).size == (300, 200)
    assert (np.asarray(open_rgb(tmp_path / "big.png", min_side=16)) == RED).all()


# ---- failures ------------------------------------------------------------------------------


def assert_one_line_image_error(path: Path, expected: str | None = None) -> str:
    with pytest.raises(ImageError) as caught:
        open_rgb(path)
    message = str(caught.value)
    assert message and "\n" not in message and len(message) <= 120
    if expected is not None:
        assert message == expected
    with pytest.raises(ImageError):
        load_square(path, 16)
    return message


def test_unreadable_files_raise_image_error(tmp_path: Path, portrait_jpeg: Path) -> None:
    jpeg = portrait_jpeg.read_bytes()
    Image.new("RGB", (64, 64), RED).save(tmp_path / "whole.png")
    png = (tmp_path / "whole.png").read_bytes()
    cases = {
        "empty.jpg": (b"", "empty file"),
        "text.jpg": (b"sku,name\n1,shirt\n", "not an image"),
        "bitmap-ish.txt": (b"BMW cars and bikes, all models\n", "not an image"),
        "half.jpg": (jpeg[: len(jpeg) // 2], "truncated image data"),
        "header.jpg": (jpeg[:300], "truncated image data"),
        "half.png": (png[: len(png) // 2], "truncated image data"),
        "garbage.jpg": (b"\xff\xd8\xff" + bytes(range(256)) * 4, None),
        "garbage.png": (b"\x89PNG\r\n\x1a\n" + b"nonsense" * 20, None),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert_one_line_image_error(tmp_path / name, expected)
    assert_one_line_image_error(tmp_path / "missing.jpg", "file not found")
    (tmp_path / "folder.jpg").mkdir()
    assert_one_line_image_error(tmp_path / "folder.jpg")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_huge_headers_refused_before_decoding(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(40_000, 40_000))
    assert assert_one_line_image_error(bomb) == f"image too large: more than {MAX_IMAGE_PIXELS:,} pixels"
    big = tmp_path / "big.png"
    big.write_bytes(png_header_only(12_000, 12_000))
    with pytest.raises(ImageError, match=r"^image too large: 12000x12000 pixels$"):
        open_rgb(big, max_pixels=100_000_000)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "bmp", "gif", "tiff"])
def test_pixel_limit_enforced_for_every_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"photo.{fmt}"
    Image.new("RGB", (100, 80), RED).save(path, format=fmt.upper())
    assert open_rgb(path, max_pixels=8000).size == (100, 80)
    with pytest.raises(ImageError, match=r"^image too large: 100x80 pixels$"):
        open_rgb(path, max_pixels=7999)


# ---- memory budget -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12000x12000 RGB PNG under the pixel limit: a small file that decodes to 549 MB."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    write_big_png(path, 12_000, 12_000, (3000, 2000, 9000, 10_000))
    return path


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_photo_over_the_memory_budget_is_refused(huge_png: Path) -> None:
    assert huge_png.stat().st_size < 3_000_000 and 12_000 * 12_000 < MAX_IMAGE_PIXELS
    expected = f"image too large to decode: 12000x12000 PNG needs 549 MB (limit {MAX_DECODE_BYTES // 2**20} MB)"
    assert assert_one_line_image_error(huge_png) == expected
    for min_side in (128, 512):
        with pytest.raises(ImageError) as caught:
            open_rgb(huge_png, min_side=min_side)
        assert str(caught.value) == expected
    assert load_batch([huge_png], 64)[1] == [expected]


@pytest.mark.parametrize(
    ("mode", "fmt", "per_pixel"),
    [
        ("RGB", "PNG", 4),  # Pillow holds RGB in 4 bytes a pixel and returns the frame itself
        ("RGBA", "PNG", 8),  # the frame, and the RGB copy composited on white
        ("L", "PNG", 5),
        ("I;16", "PNG", 6),
        ("P", "GIF", 5),
        ("RGB", "WEBP", 16),  # libwebp's two canvases and the copy it hands over, besides the frame
    ],
)
def test_memory_budget_counts_the_frame_and_its_copies(tmp_path: Path, mode: str, fmt: str, per_pixel: int) -> None:
    path = tmp_path / f"photo.{fmt.lower()}"
    Image.new(mode, (100, 80)).save(path, format=fmt)
    needed = 100 * 80 * per_pixel
    assert open_rgb(path, max_bytes=needed).size == (100, 80)
    with pytest.raises(ImageError, match=rf"^image too large to decode: 100x80 {fmt} needs \d+ MB \(limit 0 MB\)$"):
        open_rgb(path, max_bytes=needed - 1)


def test_memory_budget_counts_what_is_decoded(tmp_path: Path, portrait_jpeg: Path) -> None:
    # A shrunk copy has a small fraction of the frame's pixels: only the frame counts.
    Image.new("RGBA", (1000, 800)).save(tmp_path / "rgba.png")
    assert open_rgb(tmp_path / "rgba.png", min_side=16, max_bytes=1000 * 800 * 4).size == (84, 67)
    # A drafted JPEG counts at the size it is decoded to.
    drafted = 135 * 180 * 4
    assert open_rgb(portrait_jpeg, min_side=64, max_bytes=drafted).size == (135, 180)
    with pytest.raises(ImageError, match=r"^image too large to decode: 1080x1440 JPEG"):
        open_rgb(portrait_jpeg, max_bytes=drafted)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "I;16"])
def test_large_photo_under_the_budget_gives_the_square_of_a_small_copy(tmp_path: Path, mode: str) -> None:
    write_big_png(tmp_path / "big.png", 6000, 4000, (1500, 1400, 4500, 2400), mode)  # a 3:1 product
    write_big_png(tmp_path / "small.png", 600, 400, (150, 140, 450, 240), mode)
    assert open_rgb(tmp_path / "big.png", min_side=128).size == (858, 572)  # shrunk 7 times: 4000 // (4 * 128)
    big, small = load_square(tmp_path / "big.png", 64), load_square(tmp_path / "small.png", 64)
    product = (76, 76, 76) if mode == "I;16" else RED
    inside = (np.abs(big.astype(int) - product) <= 16).all(axis=2)  # edges blend a little when shrunk
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    assert cols[0] in (3, 4) and cols[-1] in (59, 60) and 18 <= len(rows) <= 20
    assert (big[:20] == WHITE).all() and (big[45:] == WHITE).all()
    assert np.abs(big.astype(int) - small).mean() < 2


@pytest.mark.skipif(sys.platform == "win32", reason="reads the peak memory with the resource module")
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "I;16"])
def test_peak_memory_of_a_large_photo_stays_near_its_decoded_frame(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "big.png"
    write_big_png(path, 6000, 4000, (1500, 1000, 4500, 3000), mode)
    frame = 6000 * 4000 * (2 if mode == "I;16" else 4)
    # Peak resident memory of a fresh process, before and after the decode (KiB on Linux, bytes on macOS).
    script = textwrap.dedent(
        """
        import resource, sys
        from pathlib import Path
        from core.catalog.images import load_square
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        square = load_square(Path(sys.argv[1]), 64)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(after - before, square.shape == (64, 64, 3))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    grown, shaped = run.stdout.split()
    grown_bytes = int(grown) * (1 if sys.platform == "darwin" else 1024)
    assert shaped == "True"
    # The frame, band-sized conversions and a small shrunk copy; converting and trimming at full
    # size took 4.4 (RGB) to 9 (16-bit grey) times the frame.
    assert grown_bytes <= 1.5 * frame + 32 * 2**20, (grown_bytes / 2**20, frame / 2**20)


# ---- squares and batches -------------------------------------------------------------------


def _product_on(background: tuple[int, int, int], canvas: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    image = Image.new("RGB", canvas, background)
    image.paste(RED, box)
    return image


def test_load_square_keeps_aspect_with_background_padding(tmp_path: Path) -> None:
    _product_on(WHITE, (100, 50), (10, 5, 70, 25)).save(tmp_path / "wide.png")  # 60x20 product
    _product_on(WHITE, (30, 120), (5, 20, 15, 60)).save(tmp_path / "tall.png")  # 10x40 product
    wide = load_square(tmp_path / "wide.png", 64)
    assert wide.shape == (64, 64, 3) and wide.dtype == np.uint8
    red_rows = np.flatnonzero((wide == RED).all(axis=2).any(axis=1))
    red_cols = np.flatnonzero((wide == RED).all(axis=2).any(axis=0))
    # trimmed to the product, scaled to fill the square less its margin, aspect 3:1 kept, centred
    assert red_cols[0] in (3, 4) and red_cols[-1] in (59, 60)
    assert 18 <= len(red_rows) <= 20 and abs((red_rows[0] + red_rows[-1]) / 2 - 31.5) <= 1
    assert (wide[:20] == WHITE).all() and (wide[45:] == WHITE).all()
    tall = load_square(tmp_path / "tall.png", 64)
    red_cols = np.flatnonzero((tall == RED).all(axis=2).any(axis=0))
    assert 13 <= len(red_cols) <= 15 and (tall[:, :20] == WHITE).all()


def test_padding_takes_the_photo_background_colour(tmp_path: Path) -> None:
    grey = (200, 200, 200)
    _product_on(grey, (80, 40), (30, 10, 50, 30)).save(tmp_path / "grey.png")
    square = load_square(tmp_path / "grey.png", 32)
    assert (square[0] == grey).all() and (square[:, 0] == grey).all()
    assert (square[16, 16] == RED).all()


def test_plain_photo_is_not_trimmed(tmp_path: Path) -> None:
    Image.new("RGB", (8, 4), RED).save(tmp_path / "plain.png")
    assert (load_square(tmp_path / "plain.png", 32) == RED).all()


def _barred(image: Image.Image, bars: tuple[int, int, int, int], colour=(0, 0, 0)) -> Image.Image:
    """The photo framed by plain bars (top, bottom, left, right) of one colour."""
    top, bottom, left, right = bars
    framed = Image.new("RGB", (image.width + left + right, image.height + top + bottom), colour)
    framed.paste(image, (left, top))
    return framed


@pytest.mark.parametrize("bars, colour", [((0, 0, 30, 30), (0, 0, 0)), ((12, 12, 0, 0), (0, 0, 0)), ((0, 0, 9, 21), (60, 60, 180))])
def test_letterbox_and_pillarbox_bars_are_cut_off_before_trimming(tmp_path: Path, bars, colour) -> None:
    photo = _product_on(WHITE, (90, 70), (20, 15, 60, 50))
    photo.save(tmp_path / "photo.png")
    _barred(photo, bars, colour).save(tmp_path / "barred.png")
    assert (load_square(tmp_path / "barred.png", 32) == load_square(tmp_path / "photo.png", 32)).all()


def test_a_plain_backdrop_that_meets_the_product_is_no_bar(tmp_path: Path) -> None:
    """A product on a dark backdrop, and a dark product touching the edges, are framed as before."""
    dark = (20, 20, 20)
    _product_on(dark, (80, 40), (30, 10, 50, 30)).save(tmp_path / "dark.png")
    square = load_square(tmp_path / "dark.png", 32)
    assert (square[0] == dark).all() and (square[16, 16] == RED).all()
    tall = Image.new("RGB", (60, 40), WHITE)
    tall.paste(dark, (0, 0, 25, 40))  # a dark block from the left edge, top to bottom: the product itself
    tall.paste(RED, (40, 10, 50, 30))
    tall.save(tmp_path / "block.png")
    square = load_square(tmp_path / "block.png", 32)
    assert (square == dark).all(axis=2).sum() > 150  # the block is still there, not cut away as a bar


def _with_banner(image: Image.Image, edge: str, depth: int, colour=(200, 20, 40)) -> Image.Image:
    """The photo with a strip of one colour across one edge, white text on it."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    strip = {"top": (0, 0, w, depth), "bottom": (0, h - depth, w, h), "left": (0, 0, depth, h), "right": (w - depth, 0, w, h)}[edge]
    draw.rectangle((strip[0], strip[1], strip[2] - 1, strip[3] - 1), fill=colour)
    draw.text((strip[0] + 3, strip[1] + 2), "SALE", fill=WHITE)
    return out


@pytest.mark.parametrize("edge", ["top", "bottom", "left", "right"])
def test_a_banner_along_an_edge_is_cut_off_before_trimming(tmp_path: Path, edge) -> None:
    photo = _product_on(WHITE, (120, 120), (35, 30, 85, 90))
    photo.save(tmp_path / "photo.png")
    _with_banner(photo, edge, 18).save(tmp_path / "banner.png")
    assert (load_square(tmp_path / "banner.png", 32) == load_square(tmp_path / "photo.png", 32)).all()
    photo.save(tmp_path / "photo.jpg", quality=92)  # compression blends the banner's edge into the photo
    _with_banner(photo, edge, 18).save(tmp_path / "banner.jpg", quality=92)
    sizes = [trim_background(open_rgb(tmp_path / name))[0].size for name in ("photo.jpg", "banner.jpg")]
    assert abs(sizes[0][0] - sizes[1][0]) <= 2 and abs(sizes[0][1] - sizes[1][1]) <= 2, sizes


def test_strips_that_are_no_banner_stay(tmp_path: Path) -> None:
    """Too deep to be a banner, of the backdrop's own colour, or on a photo with no plain backdrop: kept."""
    photo = _product_on(WHITE, (120, 120), (35, 30, 85, 90))
    deep = _with_banner(photo, "bottom", 40)  # a third of the photo
    assert trim_background(deep)[0].size == (120, 120 - 30)
    pale = _with_banner(photo, "bottom", 18, colour=(250, 250, 250))
    assert trim_background(pale)[0].size == (50, 60)
    busy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 120, 3), dtype=np.uint8))
    assert trim_background(_with_banner(busy, "bottom", 18))[0].size == (120, 120)


def test_small_products_are_enlarged(tmp_path: Path) -> None:
    _product_on(WHITE, (200, 200), (90, 90, 110, 110)).save(tmp_path / "small.png")
    square = load_square(tmp_path / "small.png", 32)
    red = (square == RED).all(axis=2)
    assert red[3:29, 3:29].all() and not red[0].any() and not red[:, 0].any()


def test_fit_square_matches_load_square(tmp_path: Path) -> None:
    Image.new("RGB", (40, 20), RED).save(tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as image:
        assert (fit_square(image, 16) == load_square(tmp_path / "a.png", 16)).all()


@pytest.mark.parametrize("threaded", [False, True])
def test_load_batch_reports_errors_in_their_slots(tmp_path: Path, threaded: bool) -> None:
    Image.new("RGB", (20, 20), RED).save(tmp_path / "red.png")
    Image.new("RGB", (20, 20), (0, 0, 255)).save(tmp_path / "blue.jpg", quality=95)
    (tmp_path / "notes.jpg").write_text("not a photo")
    paths = [tmp_path / "red.png", tmp_path / "notes.jpg", tmp_path / "blue.jpg", tmp_path / "gone.png"]
    if threaded:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            batch, errors = load_batch(paths, 8, pool)
    else:
        batch, errors = load_batch(paths, 8)
    assert batch.shape == (4, 8, 8, 3) and batch.dtype == np.uint8
    assert errors == [None, "not an image", None, "file not found"]
    assert (batch[0] == RED).all()
    assert (np.abs(batch[2].astype(int) - (0, 0, 255)) <= 3).all()
    assert (batch[1] == 255).all() and (batch[3] == 255).all()


def test_load_batch_of_nothing() -> None:
    batch, errors = load_batch([], 8)
    assert batch.shape == (0, 8, 8, 3) and errors == []


# ---- sniffing ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "bmp", "gif", "tiff"])
def test_sniff_format_by_content(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "no_suffix"
    Image.new("RGB", (4, 4), RED).save(path, format=fmt.upper())
    assert sniff_format(path) == fmt


def test_sniff_format_rejects_non_images(tmp_path: Path) -> None:
    tiff_heads = {"big_endian.tif": b"MM\x00*\x00\x00\x00\x08", "bigtiff.tif": b"II+\x00\x08\x00\x00\x00"}
    for name, head in tiff_heads.items():
        (tmp_path / name).write_bytes(head)
        assert sniff_format(tmp_path / name) == "tiff"
    not_images = {"empty": b"", "text.jpg": b"hello", "bm.txt": b"BM is not enough to be a bitmap"}
    for name, data in not_images.items():
        (tmp_path / name).write_bytes(data)
        assert sniff_format(tmp_path / name) is None


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="needs a user that permissions apply to"
)
def test_unreadable_file_raises_image_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.png"
    Image.new("RGB", (4, 4), RED).save(path)
    path.chmod(0)
    try:
        assert_one_line_image_error(path, "permission denied")
        assert load_batch([path], 4)[1] == ["permission denied"]
    finally:
        path.chmod(0o644)
