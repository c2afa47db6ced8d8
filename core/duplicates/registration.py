"""Whether two photos are one photo: registered onto each other, then compared where they overlap.

Local features (OpenCV's SIFT, at most `SIDE` pixels across) are matched between the photos, and
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

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from core.catalog import open_rgb

SIDE = 256  # photos are compared at this many pixels on their longer side
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
    points: np.ndarray  # (N, 2) float32, x and y in the photo's pixels
    descriptors: np.ndarray | None  # (N, 128) uint8 (SIFT's values are whole numbers), None when the photo has none


def _features(pixels: np.ndarray) -> Features:
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    keypoints, descriptors = cv2.SIFT_create(nfeatures=FEATURES).detectAndCompute(grey, None)
    points = np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2)
    return Features(points, None if descriptors is None else np.clip(np.rint(descriptors), 0, 255).astype(np.uint8))


def _mirrored(features: Features, width: int) -> Features:
    """The features of the photo's mirror image, from its own: each point mirrored (SIFT's points sit half a pixel
    in, hence width - 0.5), and each descriptor's 4 x 4 cells and 8 directions as the mirror sees them, the
    rows of cells in reverse and each direction turned to minus itself. Exact for the points both find."""
    points = features.points.copy()
    points[:, 0] = width - 0.5 - points[:, 0]
    if features.descriptors is None:
        return Features(points, None)
    cells = features.descriptors.reshape(-1, 4, 4, 8)[:, ::-1, :, (-np.arange(8)) % 8]
    return Features(points, np.ascontiguousarray(cells.reshape(-1, 128)))


class Photo:
    """A photo as registration sees it: RGB pixels at most SIDE across, its features, and its mirror image's."""

    def __init__(self, image: Image.Image) -> None:
        image = image.convert("RGB")
        scale = SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        self.pixels = np.ascontiguousarray(np.asarray(image.resize(size, Image.Resampling.BILINEAR)))
        self.features = _features(self.pixels)
        self._mirrored: Features | None = None

    @classmethod
    def open(cls, path: Path) -> "Photo":
        """The photo file at `path` (ImageError when it cannot be read)."""
        return cls(open_rgb(path, SIDE))

    @property
    def mirrored(self) -> np.ndarray:
        return np.ascontiguousarray(self.pixels[:, ::-1])

    @property
    def mirrored_features(self) -> Features:
        if self._mirrored is None:
            self._mirrored = _mirrored(self.features, self.pixels.shape[1])
        return self._mirrored


@dataclass(frozen=True)
class Registration:
    """The second photo registered onto the first, and how their pixels compare."""

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


def _matched(first: Features, second: Features) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(matrix, inliers in the first, inliers in the second) of the affine map RANSAC finds, or None."""
    if first.descriptors is None or second.descriptors is None or len(first.points) < 3 or len(second.points) < 3:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(second.descriptors.astype(np.float32), first.descriptors.astype(np.float32), k=2)
    good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < RATIO * m[1].distance]
    if len(good) < LEAST_INLIERS:
        return None
    there = second.points[[m.queryIdx for m in good]]
    here = first.points[[m.trainIdx for m in good]]
    matrix, inliers = cv2.estimateAffine2D(
        there, here, method=cv2.RANSAC, ransacReprojThreshold=REPROJECTION, maxIters=2000, confidence=0.995
    )
    if matrix is None:
        return None
    keep = inliers.ravel().astype(bool)
    return matrix, here[keep], there[keep]


def register(first: Photo, second: Photo) -> Registration | None:
    """The second photo registered onto the first (as it is or mirrored: whichever keeps more inliers), or None."""
    best = None
    for mirrored in (False, True):
        if mirrored and best is not None and len(best[1][1]) >= 4 * LEAST_INLIERS:
            break  # plainly registered as it is: its mirror image need not be looked at
        found = _matched(first.features, second.mirrored_features if mirrored else second.features)
        if found is not None and (best is None or len(found[1]) > len(best[1][1])):
            best = (mirrored, found)
    if best is None or len(best[1][1]) < LEAST_INLIERS:
        return None
    mirrored, (matrix, here, there) = best
    found = compare(first.pixels, second.mirrored if mirrored else second.pixels, matrix, here)
    height, width = first.pixels.shape[:2]
    return Registration(matrix, mirrored, np.stack([here, there], axis=1), found.off, found.overlay, found.recoloured,
                        found.spanned, (width, height))


def warped(first: np.ndarray, second: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The second photo's pixels moved onto the first's frame, and where it has any (bool)."""
    height, width = first.shape[:2]
    moved = cv2.warpAffine(second, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.full(second.shape[:2], 255, np.uint8), matrix, (width, height), flags=cv2.INTER_NEAREST)
    return moved, cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0


@dataclass(frozen=True)
class Comparison:
    """Two registered photos' pixels compared, in the first photo's frame."""

    moved: np.ndarray  # (H, W, 3) uint8: the second photo moved onto the first
    product: np.ndarray  # (H, W) bool: the product in both
    off: np.ndarray  # (H, W) bool: off after the brightness curve, not an overlay
    excused: np.ndarray  # (H, W) bool: off, and taken for an overlay
    recoloured: np.ndarray  # (H, W) bool: another colour

    def share(self, pixels: np.ndarray) -> float:
        return float(pixels[self.product].mean()) if self.product.sum() >= LEAST_PIXELS else 1.0

    @property
    def compared(self) -> np.ndarray:
        """The product's pixels neither off nor under an overlay."""
        return self.product & ~self.off & ~self.excused


@dataclass(frozen=True)
class Shares:
    off: float
    overlay: float
    recoloured: float
    spanned: float = 1.0  # the share of the product inside the matched points' hull


def comparison(first: np.ndarray, second: np.ndarray, matrix: np.ndarray) -> Comparison:
    moved, inside = warped(first, second, matrix)
    a, b = cv2.GaussianBlur(first, (5, 5), 0), cv2.GaussianBlur(moved, (5, 5), 0)
    product = inside & _product(a, first) & _product(b, second)
    off = inside & (_off_after_curve(a, b, inside) > TOLERANCE)
    excused = off & _overlay_allowed(off, first, moved)
    return Comparison(moved, product, off & ~excused, excused, _other_colour(a, b))


def compare(first: np.ndarray, second: np.ndarray, matrix: np.ndarray, points: np.ndarray | None = None) -> Shares:
    """The shares of the product's pixels off (overlays aside) and under an overlay, of the rest recoloured,
    and of the product the matched `points` (in the first photo) span."""
    found = comparison(first, second, matrix)
    if found.product.sum() < LEAST_PIXELS:
        return Shares(1.0, 0.0, 1.0, 0.0)
    compared = found.compared
    recoloured = float(found.recoloured[compared].mean()) if compared.any() else 0.0
    spanned = 1.0
    if points is not None:
        hull = np.zeros(found.product.shape, np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(np.round(points).astype(np.int32)), 1)
        spanned = found.share(hull > 0)
    return Shares(found.share(found.off), found.share(found.excused), recoloured, spanned)


def _worst(diff: np.ndarray) -> np.ndarray:
    """(H, W): the largest of each pixel's three values (as three slices: numpy reduces the last axis slowly)."""
    return np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])


def _other_colour(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose colours (offsets from grey) point apart, or of which one is a colour and the other grey."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    a -= ((a[..., 0] + a[..., 1] + a[..., 2]) / 3)[..., None]
    b -= ((b[..., 0] + b[..., 1] + b[..., 2]) / 3)[..., None]
    long_a = np.sqrt(a[..., 0] ** 2 + a[..., 1] ** 2 + a[..., 2] ** 2)
    long_b = np.sqrt(b[..., 0] ** 2 + b[..., 1] ** 2 + b[..., 2] ** 2)
    shorter, longer = np.minimum(long_a, long_b), np.maximum(long_a, long_b)
    dot = a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]
    turned = (shorter >= CHROMA) & (dot < np.cos(np.radians(HUE_TURN)) * np.maximum(long_a * long_b, 1e-3))
    return turned | ((longer >= 2 * CHROMA) & (shorter < FADED * longer))


def _product(pixels: np.ndarray, unmoved: np.ndarray) -> np.ndarray:
    """Pixels at least BACKDROP levels from the backdrop, the median colour of the unmoved photo's border."""
    border = np.concatenate([unmoved[0], unmoved[-1], unmoved[:, 0], unmoved[:, -1]])
    backdrop = np.median(border, axis=0).round().astype(np.uint8)
    return _worst(cv2.absdiff(pixels, np.broadcast_to(backdrop, pixels.shape).copy())) > BACKDROP


def _off_after_curve(a: np.ndarray, b: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """(H, W) uint8: how far each pixel of `b`, through the brightness curve fitted to `a`, is from `a` (worst colour)."""
    diff = _worst(cv2.absdiff(a, b))
    fit_on = inside & (diff <= 2 * TOLERANCE)  # a first fit leaves out what is plainly not the same
    for _ in range(3):
        if fit_on.sum() < LEAST_PIXELS:
            break
        curve = np.clip(np.rint(brightness_curve(a, b, fit_on)), 0, 255).astype(np.uint8)
        diff = _worst(cv2.absdiff(a, cv2.LUT(b, curve)))
        fit_on = inside & (diff <= TOLERANCE)
    return diff


def brightness_curve(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """(256,) float32: the rising curve taking b's levels to a's over `where`: each level's median, made rising
    by pooling neighbours that fall (weighted by how many pixels each level has)."""
    height, width = where.shape
    mask = np.repeat(where, 3, axis=1).astype(np.uint8)  # the three colours side by side, as one grey picture each
    joint = cv2.calcHist(
        [np.ascontiguousarray(b).reshape(height, width * 3), np.ascontiguousarray(a).reshape(height, width * 3)],
        [0, 1], mask, [256, 256], [0, 256, 0, 256],
    )  # (b's level, a's level) -> pixels
    counts = joint.sum(axis=1)
    levels = np.flatnonzero(counts)
    if not len(levels):
        return np.arange(256, dtype=np.float32)
    medians = (np.cumsum(joint, axis=1) < (counts[:, None] + 1) / 2).sum(axis=1).astype(np.float64)
    rising = _pooled(medians[levels], counts[levels].astype(np.float64))
    return np.interp(np.arange(256), levels, rising).astype(np.float32)


def _pooled(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted least-squares rising fit to `values` (pool adjacent violators)."""
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
