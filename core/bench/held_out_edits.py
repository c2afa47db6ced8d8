"""A second family of everyday edits to a product photo, for the held-out duplicate set.

`bench duplicates` tunes on the edits of core.bench.duplicates.ALTERATIONS. A finder tuned on
one family says nothing about another, so the held-out set is made by these, none of which that
family makes: another file format, another aspect, a grey pad to a square, a tone curve,
stronger colours, a price tag in a corner, a soft focus, a zoom on one corner, a slant, grain
with sharpening, and a small thumbnail. Each is what a shop, a marketplace or a feed does to a
photo; each leaves it one photo. Its colourway is made another way too: the product's colour
channels rotated, not its hue turned.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps


def _stretch(im: Image.Image) -> Image.Image:
    """Squeezed to 85% of its width, its height kept (a feed's fixed aspect)."""
    return im.resize((max(1, round(im.width * 0.85)), im.height), Image.Resampling.BICUBIC)


def _pad_grey(im: Image.Image) -> Image.Image:
    """Padded to a square on light grey, the photo off-centre to the left (a marketplace's tile)."""
    side = round(max(im.size) * 1.15)
    out = Image.new("RGB", (side, side), (232, 232, 232))
    out.paste(im, (round(side * 0.03), (side - im.height) // 2))
    return out


def _gamma(im: Image.Image, gamma: float = 1.5) -> Image.Image:
    """Mid-tones darkened by a gamma curve, black and white kept."""
    table = [round(255 * (v / 255) ** gamma) for v in range(256)]
    return im.point(table * 3)


def _price_tag(im: Image.Image) -> Image.Image:
    """A white tag with a dark price in the top-left corner, over whatever is there."""
    out = im.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    box = (round(w * 0.04), round(h * 0.04), round(w * 0.30), round(h * 0.14))
    draw.rectangle(box, fill=(255, 255, 255), outline=(30, 30, 30), width=max(1, w // 150))
    draw.text((box[0] + round(w * 0.02), box[1] + round(h * 0.02)), "$19.99", fill=(20, 20, 20))
    return out


def _corner_zoom(im: Image.Image) -> Image.Image:
    """The top-left 82% of the photo, enlarged back to its size."""
    w, h = im.size
    return im.crop((0, 0, round(w * 0.82), round(h * 0.82))).resize((w, h), Image.Resampling.BICUBIC)


def _slant(im: Image.Image, shear: float = 0.08) -> Image.Image:
    """Slanted sideways (an affine shear), the corners it opens filled white."""
    w, h = im.size
    return im.transform((w, h), Image.Transform.AFFINE, (1, shear, -shear * h / 2, 0, 1, 0),
                        resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))


def _grain(im: Image.Image) -> Image.Image:
    """Sharpened, then grain added (sigma 6 grey levels, the same on every photo)."""
    sharp = np.asarray(im.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2)), np.float32)
    noise = np.random.default_rng(0).normal(0, 6, sharp.shape)
    return Image.fromarray(np.clip(sharp + noise, 0, 255).astype(np.uint8))


def _thumbnail(im: Image.Image) -> Image.Image:
    """At most 110 px across (a listing's thumbnail)."""
    return ImageOps.contain(im, (110, 110), Image.Resampling.LANCZOS)


# Edits saved other than as JPEG at quality 92: name -> (Pillow format, quality).
HELD_OUT_SAVED_AS: dict[str, tuple[str, int]] = {"webp70": ("WEBP", 70)}

HELD_OUT_EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "webp70": lambda im: im,  # the photo as it is, saved as WebP (HELD_OUT_SAVED_AS)
    "stretch85": _stretch,
    "pad-grey": _pad_grey,
    "gamma": _gamma,
    "saturated": lambda im: ImageEnhance.Color(im).enhance(1.5),
    "price-tag": _price_tag,
    "soft": lambda im: im.filter(ImageFilter.GaussianBlur(1.2)),
    "corner-zoom": _corner_zoom,
    "slant": _slant,
    "grain": _grain,
    "thumbnail": _thumbnail,
}


def channel_colourway(im: Image.Image) -> Image.Image:
    """Another colourway of the product: its pixels' red, green and blue rotated; a grey product darkened
    and tinted so it shows a colour. The backdrop (near white) stays."""
    pixels = np.asarray(im.convert("RGB"), np.int16)
    product = pixels.min(axis=2) < 225
    rotated = pixels[..., [2, 0, 1]]
    spread = rotated.max(axis=2) - rotated.min(axis=2)
    tinted = np.where((spread < 40)[..., None], rotated * np.array([0.55, 0.75, 1.0]), rotated)
    out = np.where(product[..., None], tinted, pixels)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
