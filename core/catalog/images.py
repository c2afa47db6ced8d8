"""Decoding product photos: any supported file to upright RGB on white, and to fixed-size squares.

Every failure comes out as an `ImageError` whose message is a one-line reason
("not an image", "truncated image data", ...); no Pillow or OS exception escapes.
"""
from __future__ import annotations

import concurrent.futures
import io
import itertools
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError, features

from core.common import MAX_DECODE_BYTES, MAX_IMAGE_PIXELS, ImageError

# The limit is enforced here (MAX_IMAGE_PIXELS) for every format; Pillow's own warning for
# large-but-allowed photos would only be noise.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)

WHITE = (255, 255, 255)

# Background trimming: a pixel further than this (0-255, any channel) from the border colour
# is part of the product; the trimmed product keeps this share of its size as margin.
TRIM_THRESHOLD = 24
TRIM_MARGIN = 0.06
BAND_SEAM = 2  # lines past a banner's edge cut with it
LINE_STEP = 4  # looking for bars and banners, every 4th pixel of a line stands for the line
FRAME_PRINT = 32  # pixels across a photo's frame print
# A frame put round a photo, or bars the photo's own content meets: lines of one colour within
# FRAME_PLAIN grey levels, then within FRAME_SEAM lines (blended by resampling and compression)
# a line mostly more than FRAME_STEP from that colour.
FRAME_PLAIN = 8
FRAME_STEP = 10
FRAME_SEAM = 3
_FRAME_BLOCK = 8  # lines looked at at once for a frame

# Large photos are shrunk by a whole factor right after decoding, before any conversion or
# trimming copies them, keeping the shorter side at least this many times the caller's min_side
# (room to trim a background away from a small product and still have pixels to spare).
REDUCE_HEADROOM = 4

_SNIFF_BYTES = 32
# Photos up to this size are read once, then hashed and decoded from memory (a studio JPEG is
# 0.2-2 MB); larger files are read twice instead of held whole.
READ_ONCE_BYTES = 32 * 2**20
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_PIL_FORMATS = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "bmp": "BMP",
    "gif": "GIF",
    "tiff": "TIFF",
    "avif": "AVIF",
}
# ISO base media files (the 'ftyp' box): AVIF is read when this Pillow can; HEIC/HEIF never is.
_AVIF_BRANDS = (b"avif", b"avis")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1")
READABLE_FORMATS = frozenset(_PIL_FORMATS) - (set() if features.check("avif") is True else {"avif"})
UNREADABLE_FORMATS = {
    "heif": "HEIC/HEIF photos cannot be read; save it as JPEG or PNG to include it",
    "avif": "AVIF photos cannot be read by this installation; save it as JPEG or PNG to include it",
}
# Sizes of the BMP info headers Pillow reads (core, v2-v5, OS/2 2.x variants).
_BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_WIDE_GREY_MODES = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
_TRUNCATION_MARKS = ("truncated", "broken data stream", "unexpected end")
# Bytes per pixel of Pillow's in-memory image by mode; every other mode takes 4.
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Decoders holding more than the frame: libwebp's animation decoder keeps two canvases and hands
# Pillow a third copy as bytes (measured: 4 frames at peak).
_DECODER_COPIES = {"webp": 4}
# Conversions run over bands of about this many pixels, so none copies a whole large frame.
_BAND_PIXELS = 1 << 18
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_MAX_REASON_CHARS = 120


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """The readable format named by the file's first bytes: 'jpeg','png','webp','bmp','gif','tiff','avif' or None.

    Raises OSError if the file cannot be read.
    """
    fmt = sniff(path)
    return fmt if fmt in READABLE_FORMATS else None


def sniff(path: str | os.PathLike[str]) -> str | None:
    """`sniff_format`, but also naming photo formats that cannot be read (the keys of UNREADABLE_FORMATS)."""
    fd = os.open(path, _READ_FLAGS | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not hold the scan up
    try:
        head = os.read(fd, _SNIFF_BYTES)
    finally:
        os.close(fd)
    return _format_of(head)


def _format_of(head: bytes) -> str | None:
    """The image format named by a file's first bytes (at least 18 for BMP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    # "BM" alone would match plenty of text files; the info header size must be a known one too.
    if head[:2] == b"BM" and len(head) >= 18:
        if int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
            return "bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heif"
    return None


def os_error_reason(exc: OSError) -> str:
    """A one-line reason for a file that could not be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "not a file"
    return _one_line(exc.strerror or str(exc) or type(exc).__name__).lower()


def open_rgb(
    path: Path,
    min_side: int | None = None,
    *,
    max_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int = MAX_DECODE_BYTES,
) -> Image.Image:
    """Decode any supported image to RGB: EXIF orientation applied, transparency composited on white.

    With min_side, JPEGs are decoded with draft mode (reduced-size DCT) to no less than min_side
    on the shorter side, and any image still over REDUCE_HEADROOM times that is shrunk by a whole
    factor as it is converted. Images over max_pixels, or whose decoding would hold more than
    max_bytes, are refused before decoding.
    """
    try:
        _check_regular(path)
        with open(path, "rb") as fh:
            return _open_stream(fh, min_side, max_pixels, max_bytes)
    except ImageError:
        raise
    # Besides OSError, Pillow's decoders raise many exception types for malformed files
    # (ValueError, SyntaxError, struct.error, IndexError, ...); each becomes a reason here.
    except Exception as exc:
        raise ImageError(_decode_reason(exc)) from exc


def read_photo(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of the photo file at `path`, for `decode_views` (and a digest) to share one read.

    None for a file over `limit` bytes (READ_ONCE_BYTES): a print-size TIFF is hashed and decoded
    from the file, in chunks, rather than held whole in memory by each decoding thread.
    """
    limit = READ_ONCE_BYTES if limit is None else limit
    try:
        _check_regular(path)
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > limit:
                return None
            return fh.read()
    except ImageError:
        raise
    except Exception as exc:  # OSError, or MemoryError for a file larger than memory
        raise ImageError(_decode_reason(exc)) from exc


# Photos for an encoder of `size` pixels are decoded with JPEGs drafted to `size` on the shorter side,
# not more: trimming then has fewer pixels to spare around a small product, but decoding a 1500x2000
# JPEG takes 8.8 ms instead of 17.4 (drafted to twice the size). Measured on the 2,811 studio photos,
# each shrunk to a third of such a frame: precision at 10 by type 0.759 against 0.765 (BENCHMARKS.md).


def decode_views(data: bytes, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(`load_square`, `frame_print`) for a photo file's bytes already read (`read_photo`), decoded (and looked over for bars) once."""
    return _views(_decode_data(data, size), size)


def load_views(path: Path, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(`load_square`, `frame_print`) of a photo file, decoded (and looked over for bars) once."""
    return _views(open_rgb(path, min_side=size), size)


def _views(rgb: Image.Image, size: int) -> tuple[np.ndarray, np.ndarray]:
    pixels = np.asarray(rgb)
    trim = _trim(pixels, TRIM_THRESHOLD)
    return _square(_cropped(rgb, trim.box), trim.background, size), _print(rgb, _print_bars(pixels, trim.bars))


def load_frame_print(path: Path, size: int) -> np.ndarray:
    """`frame_print` of a photo file, decoded as `load_views` decodes it for an encoder of `size` pixels."""
    return frame_print(open_rgb(path, min_side=size))


def frame_print(image: Image.Image) -> np.ndarray:
    """The whole frame as FRAME_PRINT x FRAME_PRINT grey levels (uint8), letterbox or pillarbox bars cut off.

    Unlike the square, nothing else is trimmed: a banner or a watermark put on a photo stays where
    it was put, so the rest of the frame still lines up with the photo it was put on (see
    core.duplicates.frames). Besides the bars trimming cuts, a frame put round the photo is cut
    (see `_frame_bars`).
    """
    pixels = np.asarray(image)
    return _print(image, _print_bars(pixels, _trim(pixels, TRIM_THRESHOLD).bars))


def _print_bars(pixels: np.ndarray, bars: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The bars trimming found (`bars`), or when it found none, the frame `_frame_bars` finds."""
    return bars if any(bars) else _frame_bars(pixels)


def _frame_bars(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) widths of a frame or bars put round a photo, found more finely than `_bars`.

    Trimming takes bars only where they meet a plain line of another colour, and within
    TRIM_THRESHOLD: a white frame round a light grey backdrop, or black bars the photo's own
    content meets, stay. Here a bar is a run of lines within FRAME_PLAIN of one colour, at both
    ends, whose first line after it (within FRAME_SEAM) is mostly more than FRAME_STEP from that
    colour. Bars along two sides only must not be of the colour the other two edges mostly have
    between them: then they are the photo's own backdrop beside a product that fills the frame's
    height (or width), not something put round it.
    """
    height, width = pixels.shape[:2]
    top, bottom, across = _frame_pair(pixels)
    left, right, down = _frame_pair(pixels.transpose(1, 0, 2))
    if across is not None and down is not None and np.abs(across - down).max() <= FRAME_PLAIN:
        return top, bottom, left, right  # a frame all round
    between = slice(left, width - right)
    if down is not None and (_mostly(pixels[0, between], down) or _mostly(pixels[-1, between], down)):
        left = right = 0
    between = slice(top, height - bottom)
    if across is not None and (_mostly(pixels[between, 0], across) or _mostly(pixels[between, -1], across)):
        top = bottom = 0
    return top, bottom, left, right


def _frame_pair(pixels: np.ndarray) -> tuple[int, int, np.ndarray | None]:
    """(first, last, colour): the bars at both ends of the rows of `pixels`, or (0, 0, None)."""
    lines = pixels[:, ::LINE_STEP]
    first, first_colour = _frame_bar(lines)
    if first_colour is None:
        return 0, 0, None
    last, last_colour = _frame_bar(lines[::-1])
    if last_colour is None or np.abs(first_colour - last_colour).max() > FRAME_PLAIN:
        return 0, 0, None
    if first + last >= len(lines) // 2:
        return 0, 0, None  # what would be left is too little to be the photo
    return first, last, (first_colour + last_colour) // 2


def _frame_bar(lines: np.ndarray) -> tuple[int, np.ndarray | None]:
    """(how many of the first lines make a bar, its colour), or (0, None).

    The lines are looked at a few at a time: most photos' first lines are no bar, or a short one.
    """
    colour = np.median(lines[0], axis=0).astype(np.int16)
    run = 0
    while run < len(lines):
        block = lines[run : run + _FRAME_BLOCK].astype(np.int16)
        plain = (np.abs(block - colour).max(axis=2) <= FRAME_PLAIN).all(axis=1)
        if not plain.all():
            run += int(np.argmin(plain))
            break
        run += len(block)
    if run < 2:
        return 0, None
    for line in lines[run : run + FRAME_SEAM + 1].astype(np.int16):  # (none when every line is plain)
        if (np.abs(line - colour).max(axis=1) > FRAME_STEP).mean() >= 0.5:
            return run, colour
        run += 1
    return 0, None


def _mostly(line: np.ndarray, colour: np.ndarray) -> bool:
    """Whether most of a line (of pixels) is within FRAME_PLAIN of `colour`."""
    return bool((np.abs(line[::LINE_STEP].astype(np.int16) - colour).max(axis=1) <= FRAME_PLAIN).mean() >= 0.5)


def _print(image: Image.Image, bars: tuple[int, int, int, int]) -> np.ndarray:
    top, bottom, left, right = bars
    if top or bottom or left or right:
        image = image.crop((left, top, image.width - right, image.height - bottom))
    return np.asarray(image.convert("L").resize((FRAME_PRINT, FRAME_PRINT), Image.Resampling.BOX))


def _decode_data(data: bytes, size: int) -> Image.Image:
    try:
        return _open_stream(io.BytesIO(data), size, MAX_IMAGE_PIXELS, MAX_DECODE_BYTES)
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(_decode_reason(exc)) from exc


def _check_regular(path: Path) -> None:
    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would never end
        raise ImageError("not a regular file")


def _open_stream(fh: BinaryIO, min_side: int | None, max_pixels: int, max_bytes: int) -> Image.Image:
    head = fh.read(_SNIFF_BYTES)
    if not head:
        raise ImageError("empty file")
    fmt = _format_of(head)
    if fmt is not None and fmt not in READABLE_FORMATS:
        raise ImageError(UNREADABLE_FORMATS[fmt])
    if fmt is None:
        raise ImageError("not an image")
    fh.seek(0)
    return _decode(fh, fmt, min_side, max_pixels, max_bytes)


def load_square(path: Path, size: int) -> np.ndarray:
    """The photo fitted into a size x size white square (aspect kept, centred), as uint8 HxWx3."""
    return _fit_rgb(open_rgb(path, min_side=size), size)


def fit_square(image: Image.Image, size: int) -> np.ndarray:
    """`load_square` for an already-open image (e.g. from the clipboard)."""
    try:
        rgb = _turned(_rgb(image, _reduce_factor(image.size, size)), _orientation(image))
    except Exception as exc:
        raise ImageError(_decode_reason(exc)) from exc
    return _fit_rgb(rgb, size)


def load_batch(
    paths: Sequence[Path],
    size: int,
    executor: concurrent.futures.Executor | None = None,
) -> tuple[np.ndarray, list[str | None]]:
    """Decode many photos (in parallel when given an executor) to an (N,size,size,3) uint8 array.

    errors[i] is None or a one-line reason, and the row of a failed image is white.
    """
    batch = np.full((len(paths), size, size, 3), 255, dtype=np.uint8)
    errors: list[str | None] = [None] * len(paths)
    mapper = executor.map if executor is not None else map
    results = mapper(_load_or_reason, paths, itertools.repeat(size, len(paths)))
    for i, (pixels, reason) in enumerate(results):
        if pixels is not None:
            batch[i] = pixels
        errors[i] = reason
    return batch, errors


def _load_or_reason(path: Path, size: int) -> tuple[np.ndarray | None, str | None]:
    try:
        return load_square(path, size), None
    except ImageError as exc:
        return None, str(exc)


def _decode(fh: BinaryIO, fmt: str, min_side: int | None, max_pixels: int, max_bytes: int) -> Image.Image:
    image = Image.open(fh, formats=[_PIL_FORMATS[fmt]])
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(f"image too large: {width}x{height} pixels")
    if min_side and fmt == "jpeg":
        image.draft("RGB", (min_side, min_side))
    factor = _reduce_factor(image.size, min_side)
    needed = _decode_bytes(image, fmt, factor)
    if needed > max_bytes:
        raise ImageError(
            f"image too large to decode: {width}x{height} {image.format} needs {_mib(needed)} MB"
            f" (limit {_mib(max_bytes)} MB)"
        )
    image.load()
    orientation = _orientation(image)
    rgb = _rgb(image, factor)
    if rgb is not image:
        image.close()  # frees the decoded frame before the turn copies the result
    return _turned(rgb, orientation)


def _reduce_factor(size: tuple[int, int], min_side: int | None) -> int:
    """The whole factor an image of `size` can shrink by and keep REDUCE_HEADROOM x min_side; 1 without min_side."""
    if not min_side:
        return 1
    return max(1, min(size) // (REDUCE_HEADROOM * min_side))


def _decode_bytes(image: Image.Image, fmt: str, factor: int) -> int:
    """Bytes held at once to decode `image` (opened, not loaded): the frame, the decoder's copies of it,
    and the RGB copy when it is made at full size (a shrunk one has at most a quarter of the pixels).
    """
    width, height = image.size
    frame = width * height * _PIXEL_BYTES.get(image.mode, 4) * _DECODER_COPIES.get(fmt, 1)
    if factor == 1 and not _is_plain_rgb(image):
        return frame + width * height * 4
    return frame


def _mib(count: int) -> int:
    return round(count / 2**20)


def _orientation(image: Image.Image) -> int:
    """The image's EXIF (or XMP) orientation, 1 when upright."""
    return image.getexif().get(ExifTags.Base.Orientation, 1)


def _turned(image: Image.Image, orientation: int) -> Image.Image:
    """The image turned as an EXIF orientation says; the image itself when upright."""
    method = _TURNS.get(orientation)
    return image if method is None else image.transpose(method)


def _is_transparent(image: Image.Image) -> bool:
    return (
        image.mode in _ALPHA_MODES
        or "transparency" in image.info
        or (image.mode == "P" and image.palette is not None and image.palette.mode == "RGBA")
    )


def _is_plain_rgb(image: Image.Image) -> bool:
    return image.mode == "RGB" and not _is_transparent(image)


def _rgb(image: Image.Image, factor: int) -> Image.Image:
    """The image as RGB on white, shrunk by a whole `factor`; the image itself when already plain RGB at 1.

    Any other mode is converted and reduced a band of rows at a time, so the only full-size image
    is the input: compositing, grey scaling and Pillow's own RGBA reduce would each copy a whole
    frame, some in wider types.
    """
    if _is_plain_rgb(image):
        return image if factor == 1 else image.reduce(factor)
    width, height = image.size
    high = _grey_high(image) if image.mode in ("I", "F") else None
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)), WHITE)
    rows = max(1, _BAND_PIXELS // (width * factor)) * factor  # a whole number of reduce boxes
    for top in range(0, height, rows):
        band = _to_rgb(image.crop((0, top, width, min(height, top + rows))), high)
        out.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return out


def _grey_high(image: Image.Image) -> float:
    """The largest value of an 'I' or 'F' image (NaN taken as 0, infinity as 255), read a band at a time."""
    width, height = image.size
    rows = max(1, _BAND_PIXELS // width)
    high = 0.0
    for top in range(0, height, rows):
        values = np.asarray(image.crop((0, top, width, min(height, top + rows))))
        if image.mode == "F":
            values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
        high = max(high, float(values.max(initial=0)))
    return high


def _to_rgb(image: Image.Image, high: float | None = None) -> Image.Image:
    """`image` as RGB on white; `high` is the largest value of the whole image when this is a band of an 'I' or 'F' one."""
    if image.mode in _WIDE_GREY_MODES:
        image = _to_8bit_grey(image, high)
    if not _is_transparent(image):
        return image if image.mode == "RGB" else image.convert("RGB")
    if image.mode == "La":
        image = image.convert("LA")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, WHITE)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _to_8bit_grey(image: Image.Image, high: float | None = None) -> Image.Image:
    """16-bit, 32-bit integer and float greyscale scaled to 0..255 ('L'); `high` as in `_to_rgb`."""
    values = np.asarray(image)
    if image.mode.startswith("I;16"):
        scaled = values.astype(np.float32) / 257.0
    elif image.mode == "I":
        # 16-bit files often open as 'I'; values beyond 8 bits are taken as a 16-bit range.
        high = int(values.max(initial=0)) if high is None else high
        scaled = values.astype(np.float32) / (257.0 if high > 255 else 1.0)
    else:
        # Float images are either 0..1 or 0..255 by convention.
        finite = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        high = float(finite.max(initial=0.0)) if high is None else high
        scaled = finite * (255.0 if high <= 1.0 else 1.0)
    grey = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(grey)


def _fit_rgb(image: Image.Image, size: int) -> np.ndarray:
    """Trim the plain background around the product, then centre it in a square of that background.

    Product shots frame their subject differently; trimming makes the product fill the frame
    the same way every time, so that framing does not count as a difference in shape.
    """
    image, background = trim_background(image)
    return _square(image, background, size)


def _square(image: Image.Image, background: tuple[int, int, int], size: int) -> np.ndarray:
    """A trimmed product centred in a size x size square of its background, with a margin."""
    width, height = image.size
    margin = round(max(width, height) * TRIM_MARGIN)
    scale = size / (max(width, height) + 2 * margin)
    new_w = min(size, max(1, round(width * scale)))
    new_h = min(size, max(1, round(height * scale)))
    if (new_w, new_h) != (width, height):
        image = image.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    square = Image.new("RGB", (size, size), background)
    square.paste(image, ((size - new_w) // 2, (size - new_h) // 2))
    return np.asarray(square)


def differs_from(pixels: np.ndarray, background: np.ndarray, threshold: int) -> np.ndarray:
    """(..., H, W) bool: pixels of (..., H, W, 3) uint8 further than `threshold` from `background` in any channel.

    `background` broadcasts against the pixels: (3,) for one image, (N, 1, 1, 3) for one colour per image.
    Compared channel by channel, which is several times faster than a reduction over the last axis.
    """
    wide, background = pixels.astype(np.int16), np.asarray(background).astype(np.int16)
    differs = np.abs(wide[..., 0] - background[..., 0]) > threshold
    for channel in (1, 2):
        differs |= np.abs(wide[..., channel] - background[..., channel]) > threshold
    return differs


def trim_background(image: Image.Image, threshold: int = TRIM_THRESHOLD) -> tuple[Image.Image, tuple[int, int, int]]:
    """(the smallest part of an RGB image holding everything that differs from its border colour, that colour).

    What a shop puts around a photo is taken off first: letterbox or pillarbox bars (plain bars
    of one colour against a plain background of another), then a banner along one edge (see
    `_bands`). The border colour is then the median of the outermost pixels; a photo with no
    plain background (nothing to trim) comes back whole.
    """
    trim = _trim(np.asarray(image), threshold)
    return _cropped(image, trim.box), trim.background


@dataclass(frozen=True)
class _Trim:
    box: tuple[int, int, int, int] | None  # (left, top, right, bottom) to keep; None: the whole photo
    background: tuple[int, int, int]
    bars: tuple[int, int, int, int]  # letterbox or pillarbox bars (top, bottom, left, right), taken off first


def _cropped(image: Image.Image, box: tuple[int, int, int, int] | None) -> Image.Image:
    return image if box is None else image.crop(box)


def _trim(pixels: np.ndarray, threshold: int) -> _Trim:
    """`trim_background` worked out on the photo's pixels."""
    height, width = pixels.shape[:2]
    border = _border(pixels)
    bars = (0, 0, 0, 0)
    top = bottom = left = right = 0
    if (border.max(axis=0).astype(np.int16) - border.min(axis=0)).max() > threshold:  # edges of one colour hold neither
        bars = _bars(pixels, threshold)
        bands = _bands(_inside(pixels, bars), threshold)
        top, bottom, left, right = (bar + band for bar, band in zip(bars, bands))
        pixels = _inside(pixels, (top, bottom, left, right))
        border = _border(pixels)
    background = tuple(int(v) for v in np.median(border, axis=0))
    differs = differs_from(pixels, np.array(background), threshold)
    rows, cols = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    if rows.size == 0:
        box = (left, top, width - right, height - bottom) if top or bottom or left or right else None
        return _Trim(box, background, bars)  # type: ignore[arg-type]
    box = (int(cols[0]) + left, int(rows[0]) + top, int(cols[-1]) + 1 + left, int(rows[-1]) + 1 + top)
    return _Trim(box, background, bars)  # type: ignore[arg-type]


def _border(pixels: np.ndarray) -> np.ndarray:
    """The outermost pixels, (N, 3)."""
    return np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])


def _inside(pixels: np.ndarray, cut: tuple[int, int, int, int]) -> np.ndarray:
    top, bottom, left, right = cut
    return pixels[top : pixels.shape[0] - bottom, left : pixels.shape[1] - right]


def _bands(pixels: np.ndarray, threshold: int) -> tuple[int, int, int, int]:
    """Heights of a banner at the (top, bottom) and widths of one at the (left, right) edge.

    A banner is a strip along one edge, 4 to 25% of the photo across, mostly of one colour (text
    on it allowed) that is not the backdrop's: the colour the two edges across it mostly have.
    Banners along the top and bottom are found first, then along the sides of what is left.
    """
    top, bottom = _band(pixels, threshold), _band(pixels[::-1], threshold)
    across = pixels[top : pixels.shape[0] - bottom].transpose(1, 0, 2)
    return top, bottom, _band(across, threshold), _band(across[::-1], threshold)


def _band(lines: np.ndarray, threshold: int) -> int:
    """How many of the first lines (rows of `lines`) make a banner; 0 for none.

    Every line of it is at least half its colour and all of them together at least three quarters;
    the lines where it meets the photo, blended by resampling and compression, go with it.
    """
    count = lines.shape[0]
    reach = count // 4
    if reach < 2:
        return 0
    colour = np.median(lines[0], axis=0)
    sides = (lines[:, 0], lines[:, -1])
    backdrop = np.median(np.concatenate(sides), axis=0)
    if np.abs(colour - backdrop).max() <= threshold:
        return 0  # the backdrop's own colour
    if any(differs_from(side, backdrop, threshold).mean() > 0.5 for side in sides):
        return 0  # no plain backdrop to tell a banner from
    near = 1 - differs_from(lines[: reach + 1, ::LINE_STEP], colour, threshold).mean(axis=1)
    run = int(np.argmin(near >= 0.5)) if not (near >= 0.5).all() else reach + 1
    if not max(2, count // 25) <= run <= reach or near[:run].mean() < 0.75:
        return 0
    return run + BAND_SEAM


def _bars(pixels: np.ndarray, threshold: int) -> tuple[int, int, int, int]:
    """Widths of the (top, bottom, left, right) bars: runs of plain lines of one colour that meet a plain line of another.

    A run that meets the product instead (a photo's own plain background) is no bar: trimming takes
    it with the rest of the background.
    """
    top, bottom = _bar_pair(pixels, threshold)
    left, right = _bar_pair(pixels.transpose(1, 0, 2), threshold)
    return top, bottom, left, right


def _bar_pair(lines: np.ndarray, threshold: int) -> tuple[int, int]:
    """Widths of the bars at both ends of the lines (rows of `lines`): both there and of one colour, or neither.

    A plain run at one end only is the product's own (a dark panel from the edge, say), not a frame.
    Every `LINE_STEP`th pixel of a line stands for it: a line of a photo is not plain in all of them.
    """
    lines = lines[:, ::LINE_STEP]
    ends = lines[[0, -1]]
    end_low, end_high = ends.min(axis=1).astype(np.int16), ends.max(axis=1).astype(np.int16)
    if (end_high - end_low).max() > threshold or np.abs(end_low[0] - end_low[1]).max() > threshold:
        return 0, 0  # an end that is not plain, or ends of two colours: no frame (and no need to look further)
    across = np.ascontiguousarray(lines.transpose(1, 0, 2))  # reducing over the first axis is many times faster
    low, high = across.min(axis=0).astype(np.int16), across.max(axis=0).astype(np.int16)
    (first, first_colour), (last, last_colour) = _bar(low, high, threshold), _bar(low[::-1], high[::-1], threshold)
    if not (first and last) or np.abs(first_colour - last_colour).max() > threshold:
        return 0, 0
    if first + last >= len(lines) // 2:
        return 0, 0  # what would be left is too little to be the photo
    return first, last


def _bar(low: np.ndarray, high: np.ndarray, threshold: int) -> tuple[int, np.ndarray]:
    """(how many of the first lines make a bar, its colour), from each line's per-channel low and high values."""
    plain = (high - low).max(axis=1) <= threshold
    colour = (low[0] + high[0]) // 2
    if not plain[0]:
        return 0, colour
    near = (np.abs(low - colour).max(axis=1) <= threshold) & (np.abs(high - colour).max(axis=1) <= threshold)
    run = int(np.argmin(plain & near)) if not (plain & near).all() else len(plain)
    if run < 2 or run == len(plain) or not plain[run]:
        return 0, colour  # too thin, the whole photo, or meeting the product: not a bar
    return run, colour


def _decode_reason(exc: BaseException) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return f"image too large: more than {MAX_IMAGE_PIXELS:,} pixels"
    if isinstance(exc, UnidentifiedImageError):
        return "corrupt image header"
    if isinstance(exc, MemoryError):
        return "image too large to decode"
    if isinstance(exc, EOFError):
        return "truncated image data"
    message = str(exc)
    if any(mark in message.lower() for mark in _TRUNCATION_MARKS):
        return "truncated image data"
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_error_reason(exc)
    return f"corrupt image data ({_one_line(message or type(exc).__name__)})"


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON_CHARS else line[: _MAX_REASON_CHARS - 3] + "..."
