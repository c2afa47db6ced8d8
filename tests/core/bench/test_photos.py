import json

import numpy as np
import pytest
from PIL import Image

from core.bench.hog import hog_descriptors
from core.bench.photos import LabelColumns, format_photo_table, load_photos, run_photo_bench, write_photo_json
from core.common.errors import InputError

def test_only_types_with_enough_photos_are_scored(labelled):
    folder, labels = labelled
    photos = load_photos(folder, labels, 64, min_per_type=10)
    assert len(photos.paths) == 120 and photos.skipped_rare == 3 and photos.squares.shape == (120, 64, 64, 3)
    assert "Rare" not in set(photos.fine) and set(photos.coarse) >= {"Shoes", "Topwear"}


def test_a_label_file_without_a_named_column_is_refused_in_one_line(labelled):
    folder, labels = labelled
    with pytest.raises(InputError, match="has no column 'category'"):
        load_photos(folder, labels, 64, LabelColumns(fine="category"))


def test_every_method_is_scored_with_a_contact_sheet_per_encoder(labelled, tmp_path, default_encoder):
    folder, labels = labelled
    sheet = tmp_path / "out" / "photos.png"
    rows, notes = run_photo_bench(folder, labels, min_per_type=10, epochs=1, sheet=sheet)
    methods = [r.method for r in rows]
    assert methods == ["Lookalike (shipped encoder)", "its backbone's features alone (pooled, no autoencoder)",
                       "Lookalike's small encoder (the default before)", "Lookalike after `train` on the folder",
                       "raw grey pixels (32x32)", "HOG (9 bins, 16-px cells, 128 px)", "seed autoencoder (25 epochs on the photos)"]
    shipped, backbone, small, trained, grey, hog, seed = rows
    assert shipped.fine.queries == backbone.fine.queries == small.fine.queries == 120
    assert shipped.fine.precision_at_10 > 0.9 > grey.fine.precision_at_10
    assert (shipped.dims, backbone.dims, small.dims) == (512, 1280, 64)
    assert shipped.coarse.precision_at_10 >= shipped.fine.precision_at_10
    assert 0 < shipped.fine.leakage_chance < 1 and 0 <= shipped.fine.colour_leakage <= 1
    assert hog.dims == 1764 and trained.seconds > 0 and seed.seconds > 0 and shipped.seconds is None
    assert notes[0] == "120 photos of 10 articleType values scored; 3 photos of rarer ones left out"
    assert notes[1].startswith("train said: ")
    for name in ("photos-shipped.png", "photos-trained.png"):
        with Image.open(sheet.parent / name) as picture:
            assert picture.size == (9 * 102 + 6 + 48, 12 * 116 + 6)
    table = format_photo_table(rows)
    assert table.count("\n") == len(rows) + 1 and "by articleType" in table and "by subCategory" in table
    write_photo_json(rows, notes, tmp_path / "out" / "photos.json")
    saved = json.loads((tmp_path / "out" / "photos.json").read_text())
    assert saved["rows"][0]["fine"]["precision_at_10"] == shipped.fine.precision_at_10


def test_hog_tells_edges_of_different_orientation_apart():
    squares = np.full((3, 128, 128, 3), 255, np.uint8)
    squares[0, :, 60:68] = 0  # a vertical bar
    squares[1, :, 30:38] = 0  # the same, elsewhere
    squares[2, 60:68, :] = 0  # a horizontal bar
    h = hog_descriptors(squares)
    assert h.shape == (3, 7 * 7 * 4 * 9)
    unit = h / np.linalg.norm(h, axis=1, keepdims=True)
    assert unit[0] @ unit[2] < 0.2
