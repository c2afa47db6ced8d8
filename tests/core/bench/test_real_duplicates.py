"""`duplicates` judged on a labelled catalog as it is: pairs whose labels differ are counted as certain mistakes."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from core.bench import LabelColumns
from core.bench.real_duplicates import format_real_catalog, score_real_catalog
from core.common import InputError


def _add(labels: Path, row: dict[str, str]) -> None:
    with open(labels, "a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=["id", "gender", "articleType", "subCategory", "baseColour"]).writerow(row)


def _label_of(labels: Path, photo_id: str) -> dict[str, str]:
    with open(labels, newline="") as handle:
        return next(r for r in csv.DictReader(handle) if r["id"] == photo_id)


def test_a_near_pair_between_photos_labelled_apart_is_counted_as_a_mistake(labelled, tmp_path, default_encoder):
    folder, labels = labelled
    # Two photos re-encoded: one labelled as its original (a copy, rightly found), one labelled as
    # another colour and gender, which no altered copy of one photo can be.
    for original, copy, changes in (("1000", "5000", {}), ("1001", "5001", {"baseColour": "Magenta", "gender": "Women"})):
        with Image.open(folder / f"{original}.jpg") as im:
            im.convert("RGB").save(folder / f"{copy}.jpg", "JPEG", quality=80)
        _add(labels, {**_label_of(labels, original), "id": copy, **changes})
    listing = sorted(p.name for p in folder.parent.rglob("*"))

    score = score_real_catalog(folder, labels, tmp_path / "work", LabelColumns(), examples=10_000)

    assert score.photos == score.labelled == 125
    assert score.compared == ("articleType", "baseColour", "gender")
    wrong = {(w.a, w.b): w.differ for w in score.examples}
    assert wrong.get(("1001.jpg", "5001.jpg")) == ("baseColour", "gender")
    assert ("1000.jpg", "5000.jpg") not in wrong
    assert score.near_wrong == len(score.examples) >= 1
    assert score.near_pairs >= 2  # both copies were found with their originals
    assert 0 <= score.variant_wrong <= score.variant_pairs
    assert 0 < score.lists_after <= 1 and 0 < score.lists_before <= 1
    text = format_real_catalog(score)
    assert f"of which {score.near_wrong} with labels that differ" in text
    assert "1001.jpg and 5001.jpg: baseColour, gender differ" in text
    assert sorted(p.name for p in folder.parent.rglob("*")) == listing  # nothing written beside the photos


def test_a_label_file_that_names_none_of_the_photos_is_refused_in_one_line(labelled, tmp_path):
    folder, _ = labelled
    other = tmp_path / "other.csv"
    other.write_text("id,articleType,subCategory,baseColour\nnope,Shirts,Topwear,Blue\n")
    with pytest.raises(InputError, match=r"^no photo in .* is named by the 'id' column of .*other\.csv$"):
        score_real_catalog(folder, other, tmp_path / "work", LabelColumns())
