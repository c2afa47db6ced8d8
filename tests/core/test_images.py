from __future__ import annotations

import concurrent.futures
import os
import struct
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image

from core.config import MAX_IMAGE_PIXELS
from core.errors import ImageError
from core.images import fit_square, load_batch, load_square, open_rgb, sniff_format

RED = (255, 0, 0)
WHITE = (255, 255, 255)


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


def test_min_side_leaves_other_formats_whole(tmp_path: Path) -> None:
    Image.new("RGB", (300, 200), RED).save(tmp_path / "big.png")
    assert open_rgb(tmp_path / "big.png", min_side=16).size == (300, 200)


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
