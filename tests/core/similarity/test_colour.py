import colorsys

import numpy as np
import pytest

from core.similarity.colour import DIMENSIONS, HUE_BINS, colour_descriptor, colour_descriptors, dominant_hue_bin, main_colours


def _square(colour, background=(255, 255, 255), box=(16, 48)):
    sq = np.empty((64, 64, 3), np.uint8)
    sq[:] = background
    sq[box[0] : box[1], box[0] : box[1]] = colour
    return sq


def test_descriptor_follows_colour_not_shape_or_background():
    red_box = colour_descriptor(_square((210, 30, 30)))
    red_bar = colour_descriptor(_square((210, 30, 30), box=(28, 36)))
    blue_box = colour_descriptor(_square((30, 40, 210)))
    red_on_grey = colour_descriptor(_square((210, 30, 30), background=(200, 200, 200)))
    assert red_box.shape == (DIMENSIONS,) and abs(np.linalg.norm(red_box) - 1) < 1e-5
    assert red_box @ red_bar > 0.99 and red_box @ red_on_grey > 0.99
    assert red_box @ blue_box < 0.1


def test_hue_bins_and_greys():
    for hue in np.linspace(0.02, 0.98, 9):
        rgb = tuple(int(v * 255) for v in colorsys.hsv_to_rgb(hue, 0.9, 0.8))
        d = colour_descriptor(_square(rgb))
        assert d.argmax() == min(int(hue * HUE_BINS), HUE_BINS - 1)
        assert dominant_hue_bin(_square(rgb), bins=8) == min(int(hue * 8), 7)
    black = colour_descriptor(_square((10, 10, 10)))
    assert black.argmax() == HUE_BINS and dominant_hue_bin(_square((10, 10, 10))) == -1


def test_batch_matches_single_and_blank_is_defined():
    batch = np.stack([_square((210, 30, 30)), _square((30, 200, 40)), np.full((64, 64, 3), 255, np.uint8)])
    many = colour_descriptors(batch)
    np.testing.assert_allclose(many[1], colour_descriptor(batch[1]), atol=1e-6)
    assert np.isfinite(many).all() and abs(np.linalg.norm(many[2]) - 1) < 1e-5
    assert colour_descriptors(batch[:0]).shape == (0, DIMENSIONS)


def test_main_colours_are_the_descriptors_largest_bins_in_their_own_colour():
    square = _square((210, 30, 30), box=(8, 56))
    square[36:56, 8:56] = (30, 40, 210)  # the lower part blue: less of it than red
    swatches = main_colours(square, most=3)
    descriptor = colour_descriptor(square)
    assert [s.bin for s in swatches] == [int(descriptor.argmax()), int(np.argsort(descriptor)[-2])]  # no third colour
    assert swatches[0].rgb == (210, 30, 30) and swatches[1].rgb == (30, 40, 210)
    for swatch in swatches:
        assert swatch.share == pytest.approx(float(descriptor[swatch.bin]) ** 2, abs=1e-5)
    assert sum(s.share for s in swatches) == pytest.approx(1.0)
    assert len(main_colours(square, most=1)) == 1


def test_main_colours_of_a_blank_square_are_its_one_colour():
    swatches = main_colours(np.full((64, 64, 3), 240, np.uint8))
    assert [(s.rgb, s.share) for s in swatches] == [((240, 240, 240), 1.0)]
