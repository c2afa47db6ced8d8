"""Whether two photos are one photo: registered onto each other, then compared where they overlap.

Local features (OpenCV's SIFT, found at `FEATURE_SIDE` pixels across) are matched between the photos, and
the matches that one affine map (size, position, a turn or slant) carries onto each other within
`REPROJECTION` pixels are kept: the inliers. A copy resized, re-encoded, cropped, padded, turned or
mirrored (the mirror image is matched too) keeps dozens of them, all over the product. Two photos
that share only a shop's banner or logo keep some too, all on it: the inliers' hull must cover at
least `LEAST_SPANNED` of the product. Two photos of one photo shoot keep some as well (the same face,
the same trousers), so the inliers only say where to compare: the second photo is warped onto the
first and their pixels are compared where both show the product (not the backdrop).

Before comparing, one brightness curve (any rising curve shared by the three colours, fitted to
the pixels) maps the second photo's levels onto the first's: more light, gamma, contrast and
saturation change levels, not which pixel is brighter. A pixel more than `TOLERANCE` levels off
after it is off, unless it is what a shop lays over a photo:
- a see-through overlay (a watermark, a shadow) keeps the photo's lines under it: the two photos'
  local patterns still go together (correlation at least `SEE_THROUGH` over 7 x 7 pixels);
- an opaque one (a banner, a price tag) is plain colour where it covers the photo: one of the two
  is flat there (its levels vary by at most `FLAT` over 7 x 7 pixels), and its own lettering and
  edges lie within `OVERLAY_REACH` pixels of that plain colour.
Another garment in the same pose is neither: its own folds and prints, off in both colour and
pattern. The two are one design when at most `MOST_OFF` of the product's pixels are off so.

They are one photo when, besides, the colours are the same: what was excused covers at most
`MOST_OVERLAY` of the product (a change that keeps the lines over most of the product is the
product in another colour, not an overlay), and at most `MOST_RECOLOURED` of the rest has another
colour. A pixel's colour is its offset from grey (each level less the mean of its three); light,
contrast and saturation lengthen or shorten it without turning it. It has another colour when
both offsets are at least `CHROMA` levels long and point more than `HUE_TURN` degrees apart, or
when one is at least twice `CHROMA` and the other under `FADED` of its length (a colour against grey).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from PIL import Image

from core.catalog import open_rgb

SIDE = 256  # photos are compared at this many pixels on their longer side
FEATURE_SIDE = 192  # and their local features found at this many: SIFT doubles a photo first, so fine detail is
# still found, at half the time of 256 and with fewer chance matches; at 128 a plain product keeps too few
FEATURES = 500  # SIFT keeps at most this many local features of a photo
RATIO = 0.8  # a match counts when its descriptor is this much closer than the next best (Lowe's ratio test)
REPROJECTION = 3.0  # pixels within which the affine map must carry a match onto its partner
LEAST_INLIERS = 12  # fewer matches on one map register nothing (a few chance matches always line up)
LEAST_SPANNED = 0.25  # the share of the product the inliers' hull must cover: a copy matches all over, two
# photos that share only a banner or a logo match only there
TOLERANCE = 40  # grey levels a pixel may be off after the brightness curve
BACKDROP = 24  # levels from the backdrop (the median of the border) at which a pixel shows the product
SEE_THROUGH = 0.9  # local correlation at or above which an off pixel keeps the photo's lines (a see-through overlay)
FLAT = 6.0  # local spread in levels at or below which a photo is plain colour there (an opaque overlay)
OVERLAY_REACH = 9  # pixels (of SIDE) around an opaque overlay's plain colour that are its lettering and edges
MOST_OFF = 0.01  # the share of the product's pixels that may be off, overlays aside, for one photo or design
MOST_OVERLAY = 0.3  # the share of the product's pixels an overlay may cover in one photo
CHROMA = 8.0  # levels from grey at which a pixel's colour has a direction
HUE_TURN = 30.0  # degrees two colours' directions may differ by
FADED = 0.3  # a colour's offset under this share of the other's is grey beside it
MOST_RECOLOURED = 0.05  # the share of the product's compared pixels that may have another colour in one photo
PATCH = 7  # the side of the patches local patterns and flatness are measured on
LEAST_PIXELS = 50  # fewer product pixels in common tell nothing

cv2.setNumThreads(1)  # callers run photos side by side on the cores


@dataclass(frozen=True)
class Features:
    """A photo's local features."""

    points: np.ndarray  # (N, 2) float32, x and y in the photo's pixels (at SIDE); pixel i's point is at i + 0.25
    descriptors: np.ndarray | None  # (N, 128) uint8 (SIFT's values are whole numbers), None when the photo has none
    width: int  # the photo's width in pixels (at SIDE)

    def for_matching(self) -> tuple[np.ndarray, np.ndarray]:
        """The descriptors as float32 and their squared lengths."""
        rows = np.zeros((0, 128), np.float32) if self.descriptors is None else self.descriptors.astype(np.float32)
        return rows, np.einsum("ij,ij->i", rows, rows)

    @cached_property
    def mirrored(self) -> "Features":
        """The features of the photo's mirror image, from its own: each point mirrored (pixel i's point is at
        i + 0.25, hence width - 0.5), and each descriptor's 4 x 4 cells and 8 directions as the mirror sees them,
        the rows of cells in reverse and each direction turned to minus itself. Exact for the points both find."""
        points = self.points.copy()
        points[:, 0] = self.width - 0.5 - points[:, 0]
        if self.descriptors is None:
            return Features(points, None, self.width)
        cells = self.descriptors.reshape(-1, 4, 4, 8)[:, ::-1, :, (-np.arange(8)) % 8]
        return Features(points, np.ascontiguousarray(cells.reshape(-1, 128)), self.width)


def features_of(pixels: np.ndarray) -> Features:
    """SIFT's features of the photo shrunk to FEATURE_SIDE, their points at SIDE."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    scale = min(1.0, FEATURE_SIDE / max(height, width))
    small = cv2.resize(grey, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    keypoints, descriptors = cv2.SIFT_create(nfeatures=FEATURES).detectAndCompute(small, None)
    points = _at_side(np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2), small.shape, grey.shape)
    kept = None if descriptors is None else np.clip(np.rint(descriptors), 0, 255).astype(np.uint8)
    return Features(points, kept, width)


def _at_side(points: np.ndarray, found: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """SIFT's points on a picture of `found` (height, width) moved onto the photo's `shape` (a quarter pixel in on both)."""
    scale = np.array([shape[1] / found[1], shape[0] / found[0]], np.float32)
    return ((points + 0.25) * scale - 0.25).astype(np.float32)


def photo_pixels(image: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8: the photo at most SIDE across, as registration compares it."""
    image = image.convert("RGB")
    scale = SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return np.ascontiguousarray(np.asarray(image.resize(size, Image.Resampling.BILINEAR)))


class Photo:
    """A photo as registration sees it: RGB pixels at most SIDE across, and its features."""

    def __init__(self, image: Image.Image) -> None:
        self.pixels = photo_pixels(image)
        self.features = features_of(self.pixels)

    @classmethod
    def open(cls, path: Path) -> "Photo":
        """The photo file at `path` (ImageError when it cannot be read)."""
        return cls(open_rgb(path, SIDE))

    @property
    def mirrored(self) -> np.ndarray:
        return mirror_image(self.pixels)


def mirror_image(pixels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(pixels[:, ::-1])


@dataclass(frozen=True)
class Registration:
    """The second photo registered onto the first, and how their pixels compare (a share is NaN when it was not
    measured, the verdict being settled without it: NaN is never within a limit)."""

    matrix: np.ndarray  # (2, 3): the second photo's pixels (mirrored first when `mirrored`) to the first's
    mirrored: bool
    points: np.ndarray  # (K, 2, 2): the inliers, [k, 0] in the first photo, [k, 1] in the second (as matched)
    off: float  # the share of the product's pixels off, overlays aside
    overlay: float  # the share of the product's pixels excused as an overlay
    recoloured: float  # the share of the product's other pixels with another colour
    spanned: float  # the share of the product inside the inliers' hull
    size: tuple[int, int]  # (width, height) of the first photo as compared

    @property
    def inliers(self) -> int:
        return len(self.points)

    @property
    def one_design(self) -> bool:
        """The same lines where the two overlap: one photo, or one design in other colours."""
        return self.inliers >= LEAST_INLIERS and self.spanned >= LEAST_SPANNED and self.off <= MOST_OFF

    @property
    def one_photo(self) -> bool:
        return self.one_design and self.overlay <= MOST_OVERLAY and self.recoloured <= MOST_RECOLOURED


def _ratio_matches(first: Features, others: list[Features]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each of the `others`, its features whose nearest descriptor in `first` is RATIO closer than the next
    nearest (Lowe's ratio test): (their rows in the other, their nearest's rows in `first`). One product of
    matrices for them all: the squared distance |q|^2 + |t|^2 - 2 q.t."""
    train, train_lengths = first.for_matching()
    rows = [other.for_matching() for other in others]
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if len(train) < 2 or not sum(len(q) for q, _ in rows):
        return [empty] * len(others)
    queries = np.concatenate([q for q, _ in rows])
    lengths = np.concatenate([length for _, length in rows])
    partial = queries @ (-2 * train.T)  # the squared distance less |q|^2, which does not change a row's order
    partial += train_lengths[None, :]
    every = np.arange(len(partial))
    nearest = partial.argmin(axis=1)
    closest = np.maximum(partial[every, nearest] + lengths, 0)
    partial[every, nearest] = np.inf
    next_closest = np.maximum(partial[every, partial.argmin(axis=1)] + lengths, 0)
    good = closest < RATIO * RATIO * next_closest
    found, start = [], 0
    for q, _ in rows:
        kept = np.flatnonzero(good[start : start + len(q)])
        found.append((kept, nearest[start + kept]))
        start += len(q)
    return found


@dataclass(frozen=True)
class Mapping:
    """The affine map carrying the second photo's matched points (mirrored first when `mirrored`) onto the first's."""

    matrix: np.ndarray  # (2, 3)
    mirrored: bool
    here: np.ndarray  # (K, 2) the inliers in the first photo
    there: np.ndarray  # (K, 2) and in the second, as matched


def _mapped(first: Features, second: Features, matched: tuple[np.ndarray, np.ndarray], mirrored: bool) -> Mapping | None:
    """The affine map RANSAC finds for the matches, or None."""
    there_rows, here_rows = matched
    if len(there_rows) < LEAST_INLIERS:
        return None
    there, here = second.points[there_rows], first.points[here_rows]
    matrix, inliers = cv2.estimateAffine2D(
        there, here, method=cv2.RANSAC, ransacReprojThreshold=REPROJECTION, maxIters=2000, confidence=0.995
    )
    if matrix is None:
        return None
    keep = inliers.ravel().astype(bool)
    return Mapping(matrix, mirrored, here[keep], there[keep])


def map_each(first: Features, seconds: Sequence[Features]) -> list[Mapping | None]:
    """Each of the `seconds` mapped onto the first (as it is or mirrored: whichever keeps more inliers), or None
    when fewer than LEAST_INLIERS line up. Their descriptors are matched to the first's all at once."""
    matched = _ratio_matches(first, [f for second in seconds for f in (second, second.mirrored)])
    found = []
    for i, second in enumerate(seconds):
        best = _mapped(first, second, matched[2 * i], False)
        mirror = _mapped(first, second.mirrored, matched[2 * i + 1], True)
        if mirror is not None and (best is None or len(mirror.here) > len(best.here)):
            best = mirror
        found.append(best if best is not None and len(best.here) >= LEAST_INLIERS else None)
    return found


def registration(first: np.ndarray, second: np.ndarray, mapping: Mapping, settle: bool = False) -> Registration:
    """The second photo's pixels (as it is, not mirrored) compared with the first's where `mapping` puts them
    (with `settle`, only as far as the verdict needs: see compare)."""
    moved = mirror_image(second) if mapping.mirrored else second
    found = compare(first, moved, mapping.matrix, mapping.here, settle)
    height, width = first.shape[:2]
    return Registration(mapping.matrix, mapping.mirrored, np.stack([mapping.here, mapping.there], axis=1), found.off,
                        found.overlay, found.recoloured, found.spanned, (width, height))


def register(first: Photo, second: Photo) -> Registration | None:
    """The second photo registered onto the first (as it is or mirrored: whichever keeps more inliers), or None."""
    mapping = map_each(first.features, [second.features])[0]
    return None if mapping is None else registration(first.pixels, second.pixels, mapping)


def warped(first: np.ndarray, second: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The second photo's pixels moved onto the first's frame, and where it has any (bool)."""
    height, width = first.shape[:2]
    moved = cv2.warpAffine(second, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.full(second.shape[:2], 255, np.uint8), matrix, (width, height), flags=cv2.INTER_NEAREST)
    return moved, cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0


class Comparison:
    """Two registered photos' pixels compared, in the first photo's frame (each part worked out when first asked for)."""

    def __init__(self, first: np.ndarray, second: np.ndarray, matrix: np.ndarray) -> None:
        self.first, self.second = first, second
        self.moved, self.inside = warped(first, second, matrix)  # the second photo moved onto the first, where it is
        self._a, self._b = cv2.GaussianBlur(first, (5, 5), 0), cv2.GaussianBlur(self.moved, (5, 5), 0)

    @cached_property
    def product(self) -> np.ndarray:
        """(H, W) bool: the product in both."""
        return self.inside & _product(self._a, self.first) & _product(self._b, self.second)

    @cached_property
    def _different(self) -> np.ndarray:
        return self.inside & (_off_after_curve(self._a, self._b, self.inside) > TOLERANCE)

    @cached_property
    def excused(self) -> np.ndarray:
        """(H, W) bool: off, and taken for an overlay."""
        return self._different & _overlay_allowed(self._different, self.first, self.moved)

    @cached_property
    def off(self) -> np.ndarray:
        """(H, W) bool: off after the brightness curve, not an overlay."""
        return self._different & ~self.excused

    @cached_property
    def recoloured(self) -> np.ndarray:
        """(H, W) bool: another colour."""
        return _other_colour(self._a, self._b)

    @cached_property
    def _product_pixels(self) -> int:
        return np.count_nonzero(self.product)

    def share(self, pixels: np.ndarray) -> float:
        """The share of the product's pixels that `pixels` marks."""
        if self._product_pixels < LEAST_PIXELS:
            return 1.0
        return np.count_nonzero(pixels & self.product) / self._product_pixels

    @property
    def compared(self) -> np.ndarray:
        """The product's pixels neither off nor under an overlay."""
        return self.product & ~self.off & ~self.excused

    def recoloured_share(self) -> float:
        """The share of the compared pixels with another colour (worked out on those pixels alone)."""
        rows = np.flatnonzero(self.compared)
        if not len(rows):
            return 0.0
        return float(_other_colour(self._a.reshape(-1, 3)[rows], self._b.reshape(-1, 3)[rows]).mean())


@dataclass(frozen=True)
class Shares:
    """Shares of the product's pixels; NaN where not measured, the verdict being settled without it."""

    off: float
    overlay: float
    recoloured: float
    spanned: float = 1.0  # the share of the product inside the matched points' hull


def compare(
    first: np.ndarray, second: np.ndarray, matrix: np.ndarray, points: np.ndarray | None = None, settle: bool = False
) -> Shares:
    """The shares of the product's pixels off (overlays aside) and under an overlay, of the rest recoloured,
    and of the product the matched `points` (in the first photo) span. With `settle`, no more is measured once
    the pair is plainly not one design (spanning too little) or not one photo (too much off)."""
    found = Comparison(first, second, matrix)
    if found.product.sum() < LEAST_PIXELS:
        return Shares(1.0, 0.0, 1.0, 0.0)
    spanned = 1.0
    if points is not None:
        hull = np.zeros(found.product.shape, np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(np.round(points).astype(np.int32)), 1)
        spanned = found.share(hull > 0)
    if settle and spanned < LEAST_SPANNED:
        return Shares(math.nan, math.nan, math.nan, spanned)
    off, overlay = found.share(found.off), found.share(found.excused)
    if settle and off > MOST_OFF:
        return Shares(off, overlay, math.nan, spanned)
    return Shares(off, overlay, found.recoloured_share(), spanned)


def _worst(diff: np.ndarray) -> np.ndarray:
    """(H, W): the largest of each pixel's three values (as three slices: numpy reduces the last axis slowly)."""
    return np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])


def _other_colour(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3) -> (...) bool: pixels whose colours (offsets from grey) point apart, or of which one is a colour and the other grey."""
    a, b = np.moveaxis(a, -1, 0).astype(np.float32), np.moveaxis(b, -1, 0).astype(np.float32)  # each colour's levels in a row
    a -= (a[0] + a[1] + a[2]) / 3
    b -= (b[0] + b[1] + b[2]) / 3
    long_a = np.sqrt(a[0] ** 2 + a[1] ** 2 + a[2] ** 2)
    long_b = np.sqrt(b[0] ** 2 + b[1] ** 2 + b[2] ** 2)
    shorter, longer = np.minimum(long_a, long_b), np.maximum(long_a, long_b)
    dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    turned = (shorter >= CHROMA) & (dot < np.cos(np.radians(HUE_TURN)) * np.maximum(long_a * long_b, 1e-3))
    return turned | ((longer >= 2 * CHROMA) & (shorter < FADED * longer))


def _product(pixels: np.ndarray, unmoved: np.ndarray) -> np.ndarray:
    """Pixels at least BACKDROP levels from the backdrop, the median colour of the unmoved photo's border."""
    backdrop = _border_median(unmoved)
    near = cv2.inRange(pixels, np.array([max(0, v - BACKDROP) for v in backdrop], np.uint8),
                       np.array([min(255, v + BACKDROP) for v in backdrop], np.uint8))  # every colour within BACKDROP
    return near == 0


def _border_median(pixels: np.ndarray) -> list[int]:
    """Each colour's median level over the photo's border (its four edges, corners twice), rounded half to even."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    middle = (len(border) - 1) // 2, len(border) // 2  # the ranks a median averages
    found = []
    for colour in range(3):
        running = np.cumsum(np.bincount(border[:, colour], minlength=256))
        low, high = np.searchsorted(running, np.array(middle) + 1)  # the levels at those ranks
        found.append(round((int(low) + int(high)) / 2))
    return found


def _off_after_curve(a: np.ndarray, b: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """(H, W) uint8: how far each pixel of `b`, through the brightness curve fitted to `a`, is from `a` (worst colour)."""
    diff = _worst(cv2.absdiff(a, b))
    fit_on = inside & (diff <= 2 * TOLERANCE)  # a first fit leaves out what is plainly not the same
    for _ in range(3):
        if np.count_nonzero(fit_on) < LEAST_PIXELS:
            break
        curve = np.clip(np.rint(brightness_curve(a, b, fit_on)), 0, 255).astype(np.uint8)
        diff = _worst(cv2.absdiff(a, cv2.LUT(b, curve)))
        fitted, fit_on = fit_on, inside & (diff <= TOLERANCE)
        if np.array_equal(fit_on, fitted):  # fitted again on the same pixels, the curve would be the same
            break
    return diff


def brightness_curve(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """(256,) float32: the rising curve taking b's levels to a's over `where`: each level's median, made rising
    by pooling neighbours that fall (weighted by how many pixels each level has)."""
    height, width = where.shape
    flags = where.view(np.uint8)
    mask = cv2.merge([flags, flags, flags]).reshape(height, width * 3)  # the three colours side by side, as one grey picture each
    joint = cv2.calcHist(
        [np.ascontiguousarray(b).reshape(height, width * 3), np.ascontiguousarray(a).reshape(height, width * 3)],
        [0, 1], mask, [256, 256], [0, 256, 0, 256],
    )  # (b's level, a's level) -> pixels
    counts = joint.sum(axis=1)
    levels = np.flatnonzero(counts)
    if not len(levels):
        return np.arange(256, dtype=np.float32)
    # A level's median: how many of a's levels its running count stays under half by. The running count of the
    # whole table, less the rows' before, is each row's own (whole numbers, exact in float32 up to 2^24 pixels).
    running = np.cumsum(joint.ravel())
    before = np.concatenate([[0.0], running[255:-1:256]])
    medians = (np.searchsorted(running, before + (counts + 1) / 2) - 256 * np.arange(256)).astype(np.float64)
    rising = _pooled(medians[levels], counts[levels].astype(np.float64))
    return np.interp(np.arange(256), levels, rising).astype(np.float32)


def _pooled(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted least-squares rising fit to `values` (pool adjacent violators)."""
    if not len(values) or (np.diff(values) >= 0).all():  # rising already: its own fit
        return values.astype(np.float64)
    means: list[float] = []
    totals: list[float] = []
    spans: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist()):
        means.append(value)
        totals.append(weight)
        spans.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            value, weight, span = means.pop(), totals.pop(), spans.pop()
            total = totals[-1] + weight
            means[-1] = (means[-1] * totals[-1] + value * weight) / total
            totals[-1] = total
            spans[-1] += span
    return np.repeat(means, spans)


def _overlay_allowed(off: np.ndarray, first: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """(H, W) bool: where the two photos' local patterns go together, or one of them is plain colour where pixels
    are off (and around it, by OVERLAY_REACH)."""
    a = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY).astype(np.float32)
    b = cv2.cvtColor(moved, cv2.COLOR_RGB2GRAY).astype(np.float32)
    box = (PATCH, PATCH)
    mean_a, mean_b = cv2.blur(a, box), cv2.blur(b, box)
    spread_a = np.sqrt(np.maximum(cv2.blur(a * a, box) - mean_a**2, 0))
    spread_b = np.sqrt(np.maximum(cv2.blur(b * b, box) - mean_b**2, 0))
    correlation = (cv2.blur(a * b, box) - mean_a * mean_b) / np.maximum(spread_a * spread_b, 1e-3)
    plain = (spread_a <= FLAT) | (spread_b <= FLAT)
    reach = np.ones((OVERLAY_REACH, OVERLAY_REACH), np.uint8)
    covered = cv2.dilate((off & plain).astype(np.uint8), reach) > 0
    return (correlation >= SEE_THROUGH) | plain | covered
