"""Registration tells one photo from another: copies altered as shops alter them, against another garment in the same pose."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from core.bench.duplicates import ALTERATIONS, _hue_turn
from core.bench.held_out_edits import HELD_OUT_EDITS
from core.duplicates import photo_evidence
from core.duplicates.registration import LEAST_INLIERS, Photo, register


def _saved(im: Image.Image, quality: int = 92) -> Image.Image:
    data = io.BytesIO()
    im.save(data, "JPEG", quality=quality)
    data.seek(0)
    return Image.open(data).convert("RGB")


@pytest.fixture(scope="module")
def demo_photos(tmp_path_factory) -> list[Image.Image]:
    """The drawn demo catalog's photos with the most local features first."""
    from core.demo import write_demo_catalog

    catalog = tmp_path_factory.mktemp("registration") / "catalog"
    write_demo_catalog(catalog, 16)
    photos = [Image.open(p).convert("RGB") for p in sorted(catalog.rglob("*.jpg"))]
    return sorted(photos, key=lambda im: -len(Photo(im).features.points))


def _scene(garment: Image.Image, seed: int = 3) -> Image.Image:
    """A studio shot: a figure with its own texture (face, arms, trousers) on white, wearing `garment` on its torso."""
    rng = np.random.default_rng(seed)
    texture = Image.fromarray((rng.random((60, 40, 3)) * 200 + 30).astype(np.uint8)).resize((360, 540), Image.Resampling.NEAREST)
    figure = Image.new("L", (360, 540), 0)
    draw = ImageDraw.Draw(figure)
    draw.ellipse((140, 10, 220, 100), fill=255)  # head
    draw.rectangle((60, 110, 300, 330), fill=255)  # arms and torso
    draw.rectangle((110, 330, 250, 530), fill=255)  # legs
    scene = Image.new("RGB", (360, 540), (255, 255, 255))
    scene.paste(texture, (0, 0), figure)
    scene.paste(ImageOps.fit(garment, (160, 200)), (100, 120))
    return scene


@pytest.mark.parametrize("edit", ["half", "q25", "crop8", "rot4", "banner", "bright25", "mirror", "letterbox", "watermark"])
def test_a_photo_altered_as_shops_alter_it_is_one_photo(demo_photos, edit):
    original = demo_photos[0]
    copy = _saved(ALTERATIONS[edit](original), 25 if edit == "q25" else 92)
    found = register(Photo(_saved(original)), Photo(copy))
    assert found is not None and found.one_photo, found


def test_a_mirror_image_registers_mirrored(demo_photos):
    shot = _scene(demo_photos[0])  # the figure's texture is not symmetric
    found = register(Photo(_saved(shot)), Photo(_saved(ImageOps.mirror(shot))))
    assert found is not None and found.one_photo and found.mirrored, found


@pytest.mark.parametrize("edit", ["stretch85", "pad-grey", "gamma", "price-tag", "slant", "grain"])
def test_the_held_out_edits_are_one_photo_too(demo_photos, edit):
    original = demo_photos[0]
    found = register(Photo(_saved(original)), Photo(_saved(HELD_OUT_EDITS[edit](original))))
    assert found is not None and found.one_photo, found


def test_another_colourway_of_the_photo_is_not_one_photo(demo_photos):
    original = demo_photos[0]
    found = register(Photo(_saved(original)), Photo(_saved(_hue_turn(original))))
    assert found is None or not found.one_photo, found


def test_two_products_do_not_register(demo_photos):
    for other in demo_photos[1:4]:
        found = register(Photo(demo_photos[0]), Photo(other))
        assert found is None or not found.one_design, found


def test_two_photos_that_share_only_a_banner_are_two_photos(demo_photos):
    """The banner's lettering matches point for point; the products under it do not."""
    first, second = (_saved(ALTERATIONS["banner"](photo.resize((400, 480)))) for photo in demo_photos[:2])
    found = register(Photo(first), Photo(second))
    assert found is None or not found.one_design, found
    if found is not None:
        assert found.spanned < 0.25


def test_another_garment_in_the_same_pose_is_two_photos(demo_photos):
    """One model, one pose, two garments: the figure registers, the garments do not compare."""
    first, second = _scene(demo_photos[0]), _scene(demo_photos[1])
    found = register(Photo(_saved(first)), Photo(_saved(second)))
    assert found is not None and found.inliers >= LEAST_INLIERS  # the figure matched...
    assert not found.one_photo and not found.one_design, found  # ...and the garment told them apart
    same = register(Photo(_saved(first)), Photo(_saved(ALTERATIONS["banner"](first))))
    assert same is not None and same.one_photo, same  # while the shot itself, bannered, is one photo


def test_an_overlay_is_plain_colour_another_photos_texture_is_not(demo_photos):
    """Over a textured part of a shot (the legs), a tag of plain colour is excused; the same box holding
    another shot's texture is not: neither photo is plain there."""
    shot = _scene(demo_photos[0])
    box = (110, 360, 250, 470)
    tagged = shot.copy()
    ImageDraw.Draw(tagged).rectangle(box, fill=(250, 230, 40))
    patched = shot.copy()
    patched.paste(_scene(demo_photos[0], seed=8).crop(box), box[:2])
    plain = register(Photo(_saved(shot)), Photo(_saved(tagged)))
    assert plain is not None and plain.one_photo, plain
    other = register(Photo(_saved(shot)), Photo(_saved(patched)))
    assert other is not None and not other.one_design, other


def test_the_evidence_shows_the_matched_points_and_the_overlay(demo_photos, tmp_path: Path):
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    _saved(demo_photos[0]).save(first)
    ALTERATIONS["banner"](demo_photos[0]).save(second, quality=92)
    found = photo_evidence(first, second)
    assert found.registration is not None and found.registration.one_photo
    assert "one photo" in found.summary and f"{found.registration.inliers} matched points" in found.summary
    height, width = found.registration.size[1], found.registration.size[0]
    assert found.overlay.shape == (height, width, 3)
    assert found.matches.shape[0] == height and found.matches.shape[1] > 2 * width
    yellow = np.all(np.abs(found.overlay.astype(int) - (221, 184, 40)) < 60, axis=2)  # the banner, taken for an overlay
    assert yellow[int(height * 0.88):].mean() > 0.3 and yellow[: height // 2].mean() < 0.01


def test_the_mirror_images_features_are_the_photos_own_mirrored(demo_photos):
    """Derived, not found again: most points SIFT finds on the mirror image are the derived ones, descriptor and all."""
    from core.duplicates.registration import features_of

    photo = Photo(_scene(demo_photos[0]))
    derived, found = photo.features.mirrored, features_of(photo.mirrored)
    partners = 0
    for point, descriptor in zip(derived.points, derived.descriptors):
        nearest = int(np.argmin(np.linalg.norm(found.points - point, axis=1)))
        same_place = np.linalg.norm(found.points[nearest] - point) < 0.05
        partners += bool(same_place and np.abs(found.descriptors[nearest].astype(int) - descriptor.astype(int)).max() <= 1)
    assert partners >= 0.3 * len(derived.points), (partners, len(derived.points))


def test_the_ratio_test_keeps_what_opencvs_brute_force_matcher_keeps(demo_photos):
    """All of a photo's partners matched in one product of matrices: the same matches, pair by pair, as OpenCV's
    brute-force matcher's two nearest with Lowe's ratio test."""
    import cv2

    from core.duplicates.registration import RATIO, _ratio_matches

    first = Photo(_saved(demo_photos[0])).features
    others = [Photo(_saved(ALTERATIONS[edit](demo_photos[0]))).features for edit in ("half", "rot4", "banner")]
    others += [Photo(photo).features for photo in demo_photos[1:4]]
    others += [others[0].mirrored]
    found = _ratio_matches(first, others)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    assert sum(len(rows) for rows, _ in found) > 100
    for other, (rows, nearest) in zip(others, found):
        pairs = matcher.knnMatch(other.descriptors.astype(np.float32), first.descriptors.astype(np.float32), k=2)
        kept = [(m[0].queryIdx, m[0].trainIdx) for m in pairs if len(m) == 2 and m[0].distance < RATIO * m[1].distance]
        assert list(zip(rows.tolist(), nearest.tolist())) == kept


def test_comparing_only_as_far_as_the_verdict_needs_gives_the_same_verdicts(demo_photos):
    import math

    from core.duplicates.registration import map_each, registration

    original = demo_photos[0]
    bannered = [_saved(ALTERATIONS["banner"](photo.resize((400, 480)))) for photo in demo_photos[1:3]]  # they register
    pairs = [
        (original, ALTERATIONS["banner"](original)),  # one photo
        (original, _hue_turn(original)),  # another colourway
        (_scene(demo_photos[0]), _scene(demo_photos[1])),  # another garment: too much off
        (bannered[0], bannered[1]),  # only the banner: spanning too little
    ]
    cut_short = 0
    for first, second in pairs:
        a, b = Photo(_saved(first)), Photo(_saved(second))
        mapping = map_each(a.features, [b.features])[0]
        assert mapping is not None
        full, settled = registration(a.pixels, b.pixels, mapping), registration(a.pixels, b.pixels, mapping, settle=True)
        assert (settled.one_photo, settled.one_design) == (full.one_photo, full.one_design)
        assert settled.spanned == full.spanned
        assert math.isnan(settled.recoloured) == (not full.one_design)  # cut short exactly when not one design
        cut_short += math.isnan(settled.recoloured)
    assert cut_short >= 2


def test_the_brightness_curve_takes_each_level_to_the_middle_of_its_pixels(demo_photos):
    """Each of the second photo's levels goes to the median of the first photo's levels under it (the upper one of
    an even count), checked against a plain sort; with noise, where those medians fall, the curve still rises."""
    from core.duplicates.registration import brightness_curve, photo_pixels

    a = photo_pixels(demo_photos[0])
    rng = np.random.default_rng(5)
    where = rng.random(a.shape[:2]) < 0.7
    lighter = np.rint(255 * (np.arange(256) / 255.0) ** 0.6).astype(np.uint8)  # rising: several levels become one
    b = lighter[a]
    levels_a, levels_b = a[where].ravel(), b[where].ravel()
    medians = {int(v): int(np.sort(levels_a[levels_b == v])[(levels_b == v).sum() // 2]) for v in np.unique(levels_b)}
    curve = brightness_curve(a, b, where)
    assert len(medians) > 50 and all(curve[level] == median for level, median in medians.items())
    noisy = np.clip(b + rng.normal(0, 6, a.shape), 0, 255).astype(np.uint8)
    assert np.all(np.diff(brightness_curve(a, noisy, where)) >= 0)


def test_the_backdrop_is_the_median_colour_of_the_border():
    from core.duplicates.registration import _border_median

    rng = np.random.default_rng(7)
    for height, width in ((1, 1), (2, 3), (17, 40), (256, 191)):
        photo = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
        border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
        assert _border_median(photo) == np.median(border, axis=0).round().astype(int).tolist()
