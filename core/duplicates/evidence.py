"""Why two photos were found to be one photo or one design, as pictures a person can check.

The matched points: the two photos side by side, each pair of points one map carries onto each other
joined by a line. The aligned overlay: the second photo moved onto the first and shown through it,
the pixels that are off marked red, those taken for an overlay (a banner, a watermark) yellow,
those of another colour blue.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.duplicates.registration import LEAST_INLIERS, Comparison, Photo, Registration, register

OFF = (220, 40, 40)
OVERLAY = (240, 200, 0)
RECOLOURED = (40, 90, 230)
LINE = (0, 170, 90)


@dataclass(frozen=True)
class Evidence:
    registration: Registration | None
    matches: np.ndarray  # (H, W, 3) uint8: both photos side by side, matched points joined
    overlay: np.ndarray  # (H, W, 3) uint8: the second moved onto the first, what differs marked

    @property
    def summary(self) -> str:
        """One line: what the registration found."""
        found = self.registration
        if found is None or found.inliers < LEAST_INLIERS:
            return "The photos could not be registered onto each other: too few local features match."
        verdict = "one photo" if found.one_photo else "one design in other colours" if found.one_design else "two photos"
        mirrored = ", one of them mirrored" if found.mirrored else ""
        return (f"{found.inliers} matched points on one map{mirrored}; of the product, {found.off:.1%} off, "
                f"{found.overlay:.1%} changed with its lines kept or under plain colour (an overlay, or another colour), "
                f"{found.recoloured:.1%} of the rest in another colour: {verdict}.")


def photo_evidence(first: Path, second: Path) -> Evidence:
    """The registration of the photo file `second` onto `first`, and its pictures (ImageError if one cannot be read)."""
    a, b = Photo.open(first), Photo.open(second)
    found = register(a, b)
    other = b.mirrored if found is not None and found.mirrored else b.pixels
    return Evidence(found, _matches(a.pixels, other, found), _overlay(a.pixels, other, found))


def _matches(first: np.ndarray, second: np.ndarray, found: Registration | None) -> np.ndarray:
    height = max(first.shape[0], second.shape[0])
    gap = 8
    picture = np.full((height, first.shape[1] + gap + second.shape[1], 3), 255, np.uint8)
    picture[: first.shape[0], : first.shape[1]] = first
    right = first.shape[1] + gap
    picture[: second.shape[0], right:] = second
    if found is not None:
        for (x1, y1), (x2, y2) in found.points.tolist():
            start, end = (round(x1), round(y1)), (round(x2) + right, round(y2))
            cv2.line(picture, start, end, LINE, 1, cv2.LINE_AA)
            cv2.circle(picture, start, 2, LINE, -1, cv2.LINE_AA)
            cv2.circle(picture, end, 2, LINE, -1, cv2.LINE_AA)
    return picture


def _overlay(first: np.ndarray, second: np.ndarray, found: Registration | None) -> np.ndarray:
    if found is None:
        return first.copy()
    seen = Comparison(first, second, found.matrix)
    picture = (first.astype(np.float32) * 0.5 + seen.moved.astype(np.float32) * 0.5).astype(np.uint8)
    for marked, colour in ((seen.excused, OVERLAY), (seen.off & seen.product, OFF), (seen.recoloured & seen.compared, RECOLOURED)):
        picture[marked] = (picture[marked] * 0.35 + np.array(colour, np.float32) * 0.65).astype(np.uint8)
    return picture
