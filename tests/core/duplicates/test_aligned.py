"""A photo cropped, zoomed or turned a little is still one photo, however far its frame moved."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.bench.duplicates import ALTERATIONS
from core.catalog import frame_print
from core.common import CancelToken, Cancelled
from core.duplicates import DuplicateSettings, group_photos
from core.duplicates.aligned import aligned_off
from core.duplicates.find import Frames
from core.duplicates import frames as frame_prints
from core.storage import Item

SETTINGS = DuplicateSettings()


def _model_shot(seed: int, size: int = 224) -> Image.Image:
    """A photo filling its frame, as a model shot does: a grey studio wall, a figure and a patterned garment."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (size, size), (226, 226, 222))
    draw = ImageDraw.Draw(im)
    draw.ellipse((88, 8, 136, 64), fill=(190, 150, 120))  # head
    dark = tuple(int(v) for v in rng.integers(20, 90, 3))
    light = tuple(int(v) for v in rng.integers(120, 200, 3))
    draw.polygon([(50, 70), (174, 70), (190, 224), (34, 224)], fill=light)  # garment to the bottom edge
    for _ in range(14):  # its pattern, different for every seed
        x, y = int(rng.integers(50, 160)), int(rng.integers(80, 210))
        w, h = int(rng.integers(8, 30)), int(rng.integers(8, 30))
        draw.rectangle((x, y, x + w, y + h), fill=dark)
    draw.rectangle((20, 90, 46, 200), fill=(190, 150, 120))  # arms
    draw.rectangle((178, 90, 204, 200), fill=(190, 150, 120))
    return im


def _off(first: Image.Image, second: Image.Image) -> float:
    prints = np.stack([frame_print(first), frame_print(second)])
    return float(aligned_off(prints, np.array([0]), np.array([1]), SETTINGS.frame_tolerance, SETTINGS.backdrop)[0])


def _frame_off(first: Image.Image, second: Image.Image) -> float:
    prints = np.stack([frame_print(first), frame_print(second)])
    return float(frame_prints.score_pairs(prints, np.array([0]), np.array([1]), SETTINGS.frame_tolerance, SETTINGS.backdrop).off[0])


@pytest.mark.parametrize("alteration", ["crop8", "rot4"])
def test_a_cropped_or_turned_copy_lines_up_again(alteration):
    photo = _model_shot(1)
    copy = ALTERATIONS[alteration](photo)
    assert _frame_off(photo, copy) > SETTINGS.frame_off  # its frame no longer lines up as it is
    assert _off(photo, copy) <= SETTINGS.aligned_off
    assert _off(copy, photo) <= SETTINGS.aligned_off  # whichever photo comes first


def test_another_garment_shot_the_same_way_does_not_line_up():
    for seed in range(2, 6):
        assert _off(_model_shot(1), _model_shot(seed)) > 2 * SETTINGS.aligned_off, seed


def test_a_plain_frame_tells_nothing():
    blank = Image.new("RGB", (224, 224), (255, 255, 255))
    assert _off(blank, blank.copy()) == 1.0  # no pixel apart from the backdrop to compare


def test_pairs_are_scored_in_chunks_alike():
    photos = [_model_shot(1), ALTERATIONS["rot4"](_model_shot(1)), _model_shot(2), ALTERATIONS["crop8"](_model_shot(2))]
    prints = np.stack([frame_print(p) for p in photos])
    a, b = np.array([0, 0, 2, 1, 0]), np.array([1, 2, 3, 3, 3])
    whole = aligned_off(prints, a, b, SETTINGS.frame_tolerance, SETTINGS.backdrop)
    assert np.array_equal(whole, aligned_off(prints, a, b, SETTINGS.frame_tolerance, SETTINGS.backdrop, chunk=2))
    assert (whole[[0, 2]] <= SETTINGS.aligned_off).all() and (whole[[1, 3, 4]] > SETTINGS.aligned_off).all()


def test_lining_up_shows_progress_and_can_be_cancelled():
    prints = np.stack([frame_print(_model_shot(seed)) for seed in range(3)])
    a, b = np.array([0, 0, 1]), np.array([1, 2, 2])
    seen = []
    aligned_off(prints, a, b, SETTINGS.frame_tolerance, SETTINGS.backdrop, chunk=2, progress=seen.append)
    assert [(p.stage, p.done, p.total) for p in seen] == [("aligned", 0, 3), ("aligned", 2, 3), ("aligned", 3, 3)]
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        aligned_off(prints, a, b, SETTINGS.frame_tolerance, SETTINGS.backdrop, cancel=token)


def _item(i: int) -> Item:
    return Item(i, f"p/{i:02d}.jpg", 1, 1, f"h{i}", "ok", sku=f"S{i}")


def _shapes(*rows: tuple[float, ...]) -> np.ndarray:
    return np.array(rows, np.float32)


def test_a_turned_copy_the_shape_left_out_joins_its_photo():
    """Rows 0-1: a photo and its turned copy, close by shape but not close enough to be one photo by it."""
    photo = _model_shot(1)
    photos = [photo, ALTERATIONS["rot4"](photo), _model_shot(3)]
    prints = np.stack([frame_print(p) for p in photos])
    shapes = _shapes((1, 0, 0), (0.9, 0.436, 0), (0.9, 0, 0.436))  # both 0.9 alike to row 0: under near_shape
    colours = np.ones((3, 2), np.float32)
    items = [_item(i) for i in range(3)]
    assert group_photos(items, shapes, colours) == []
    groups = group_photos(items, shapes, colours, frames=Frames(prints, np.ones(3, bool)))
    assert [(g.kind, g.item_ids) for g in groups] == [("near", (0, 1))]
    # Not when the colours say another colourway, nor when a person said they are not duplicates.
    other_colour = np.array([[1, 0], [0.6, 0.8], [1, 0]], np.float32)
    assert group_photos(items, shapes, other_colour, frames=Frames(prints, np.ones(3, bool))) == []
    assert group_photos(items, shapes, colours, dismissed={(0, 1)}, frames=Frames(prints, np.ones(3, bool))) == []
    # Nor by shape further apart than `aligned_shape`.
    far = _shapes((1, 0, 0), (0.7, 0.714, 0), (0.9, 0, 0.436))
    assert group_photos(items, far, colours, frames=Frames(prints, np.ones(3, bool))) == []


def test_a_copy_its_shape_put_in_another_products_group_goes_to_the_group_it_lines_up_with():
    """Rows 0-2: a photo with its half-size and mirrored copies; rows 3-4: another product and its half-size
    copy; row 5: a crop of the photo, alike to both by shape, that the colours kept out of its own group.

    The crop joins the other product's group by shape before the line-ups are looked at. Its frame lines
    up with its own photo's and with none of the other product's, and its shape is no further from
    its own group: it is moved there.
    """
    photo, other = _model_shot(1), _model_shot(3)
    photos = [photo, ALTERATIONS["half"](photo), ALTERATIONS["mirror"](photo), other, ALTERATIONS["half"](other)]
    photos.append(ALTERATIONS["crop8"](photo))
    prints = np.stack([frame_print(p) for p in photos])
    group, others_group = (1, 0, 0), (0.9, 0.436, 0)
    crop_near_own = _shapes((0.96, 0.174, 0.22))  # 0.96 to its own group, 0.94 to the other
    crop_near_other = _shapes((0.94, 0.341, 0))  # 0.94 to its own group, 0.995 to the other
    colours = np.array([[1, 0]] * 3 + [[0.94, 0.341]] * 3, np.float32)  # the crop's, 0.94 to its own group's
    items = [_item(i) for i in range(6)]
    frames = Frames(prints, np.ones(6, bool))

    def near(crop: np.ndarray) -> list[tuple[int, ...]]:
        shapes = np.concatenate([_shapes(*[group] * 3, *[others_group] * 2), crop])
        shapes /= np.linalg.norm(shapes, axis=1, keepdims=True)
        return sorted(g.item_ids for g in group_photos(items, shapes, colours, frames=frames) if g.kind == "near")

    assert near(crop_near_own) == [(0, 1, 2, 5), (3, 4)]
    assert near(crop_near_other) == [(0, 1, 2), (3, 4, 5)]  # its shape speaks for where it is


def test_a_line_up_joins_only_a_group_as_small_as_a_copy_left_out():
    """Rows 0-2: a photo with its half-size and mirrored copies; rows 3-4: its turned copy and that one's half-size copy.

    A line-up is one pair of photos; it joins the two groups only when one of them is at most
    `aligned_joins` photos, so that one chance match never chains two products' groups together.
    """
    photo = _model_shot(1)
    turned = ALTERATIONS["rot4"](photo)
    photos = [photo, ALTERATIONS["half"](photo), ALTERATIONS["mirror"](photo), turned, ALTERATIONS["half"](turned)]
    prints = np.stack([frame_print(p) for p in photos])
    shapes = _shapes(*[(1, 0)] * 3, *[(0.9, 0.436)] * 2)  # two groups by shape, 0.9 alike to each other
    colours = np.ones((5, 2), np.float32)
    items = [_item(i) for i in range(5)]
    frames = Frames(prints, np.ones(5, bool))

    def near(joins: int) -> list[tuple[int, ...]]:
        groups = group_photos(items, shapes, colours, DuplicateSettings(aligned_joins=joins), frames=frames)
        return sorted(g.item_ids for g in groups if g.kind == "near")

    assert near(2) == [(0, 1, 2, 3, 4)]
    assert near(1) == [(0, 1, 2), (3, 4)]


def _striped(period: int) -> Image.Image:
    """The model shot's garment in stripes: a 32 x 32 print resamples them a little differently after a turn."""
    im = _model_shot(1)
    draw = ImageDraw.Draw(im)
    for x in range(52, 176, period):
        draw.line((x, 72, x, 222), fill=(40, 40, 60), width=period // 3)
    return im


def _sharp_off(first: Image.Image, second: Image.Image) -> float:
    prints = np.stack([frame_print(first), frame_print(second)])
    return float(aligned_off(prints, np.array([0]), np.array([1]), SETTINGS.frame_tolerance, SETTINGS.backdrop, smooth=False)[0])


def test_a_turned_copy_of_a_striped_garment_lines_up_once_smoothed():
    photo = _striped(12)
    copy = ALTERATIONS["rot4"](photo)
    assert _off(photo, copy) <= SETTINGS.aligned_off < _sharp_off(photo, copy) <= SETTINGS.aligned_sharp_off


def test_a_pattern_that_smooths_away_still_tells_two_products_apart():
    """Rows 0-1: one garment plain and in white dots, shot the same way; close by shape, alike in colour."""
    plain, dotted = _model_shot(1), _model_shot(1)
    draw = ImageDraw.Draw(dotted)
    for y in range(80, 220, 20):
        for x in range(54, 172, 20):
            draw.ellipse((x, y, x + 10, y + 10), fill=(250, 250, 250))
    assert _off(plain, dotted) <= SETTINGS.aligned_off  # smoothed, the dots are gone
    assert _sharp_off(plain, dotted) > SETTINGS.aligned_sharp_off
    prints = np.stack([frame_print(plain), frame_print(dotted)])
    shapes = _shapes((1, 0), (0.9, 0.436))
    groups = group_photos([_item(0), _item(1)], shapes, np.ones((2, 2), np.float32), frames=Frames(prints, np.ones(2, bool)))
    assert groups == []


def test_a_crop_its_shape_puts_behind_a_crowd_is_found_by_its_frame():
    """Row 1 is a crop of row 0. Twenty other model shots (rows 2-21) are closer to each of them by shape
    than they are to each other, so neither is among the other's closest by shape; by frame they are."""
    photo = _model_shot(1)
    photos = [photo, ALTERATIONS["crop8"](photo)] + [_model_shot(seed) for seed in range(2, 22)]
    prints = np.stack([frame_print(p) for p in photos])
    n = len(photos)
    shapes = np.zeros((n, n + 1), np.float32)
    shapes[:, 0] = 0.95  # all alike, 0.9025 to each other ...
    shapes[0, n], shapes[1, n] = 0.312, -0.312  # ... but rows 0 and 1 only 0.805 to each other
    shapes[2:, 2:n] = np.eye(n - 2, dtype=np.float32) * 0.312
    units = shapes / np.linalg.norm(shapes, axis=1, keepdims=True)
    scores = units @ units.T
    assert SETTINGS.aligned_shape <= scores[0, 1] < scores[0, 2:].min()
    assert (np.sort(scores[0])[::-1][1 : SETTINGS.aligned_neighbours + 1] > scores[0, 1]).all()
    groups = group_photos([_item(i) for i in range(n)], shapes, np.ones((n, 2), np.float32), frames=Frames(prints, np.ones(n, bool)))
    assert [(g.kind, g.item_ids) for g in groups] == [("near", (0, 1))]
