"""The duplicate benchmark: its set made from a folder of photos, and its pair scoring."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from core.bench.duplicates import (
    ALTERATIONS,
    _recall_by_kind,
    best_f1,
    build_duplicate_set,
    format_duplicates,
    run_duplicate_bench,
    run_held_out_bench,
    write_group_sheet,
)
from core.bench.held_out_edits import HELD_OUT_EDITS, HELD_OUT_SAVED_AS, channel_colourway
from core.common import InputError
from core.demo import CATEGORIES, render_product


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(30):
        render_product(CATEGORIES[i % len(CATEGORIES)], np.random.default_rng(i), (120, 150)).save(folder / f"{i:03d}.jpg")
    return folder


def test_the_set_holds_each_original_with_every_alteration_a_colourway_and_exact_copies(source, tmp_path):
    data = build_duplicate_set(source, tmp_path / "set", originals=6, others=20, exact_copies=3)
    assert len(data.photos) == 6 * (1 + len(ALTERATIONS) + 1) + 20 + 3
    assert all((data.folder / name).is_file() for name in data.photos)
    assert sorted(set(data.near.values())) == list(range(6)) and len(data.near) == 6 * (1 + len(ALTERATIONS))
    with Image.open(data.folder / "near/0000-original.jpg") as original, Image.open(data.folder / "near/0000-half.jpg") as half:
        assert half.size == (original.width // 2, original.height // 2)
    with Image.open(data.folder / "near/0000-border30.jpg") as bordered, Image.open(data.folder / "near/0000-original.jpg") as o:
        assert bordered.size == (o.width + 60, o.height + 60)
    copies = [name for name in data.exact if name.startswith("copies/")]
    assert len(copies) == 3
    for copy in copies:
        twin = next(n for n, g in data.exact.items() if g == data.exact[copy] and n != copy)
        assert hashlib.sha256((data.folder / copy).read_bytes()).digest() == hashlib.sha256((data.folder / twin).read_bytes()).digest()


def test_the_held_out_set_alters_other_originals_by_the_other_edits(source, tmp_path):
    tune = build_duplicate_set(source, tmp_path / "set", originals=6, others=20, exact_copies=3)
    held = build_duplicate_set(
        source, tmp_path / "held", originals=6, others=20, exact_copies=3, seed=1, alterations=HELD_OUT_EDITS,
        colourway=channel_colourway, saved_as=HELD_OUT_SAVED_AS, not_originals=frozenset(tune.sources),
    )
    assert len(held.sources) == 6 and not set(held.sources) & set(tune.sources)
    assert not set(HELD_OUT_EDITS) & set(ALTERATIONS)
    assert len(held.near) == 6 * (1 + len(HELD_OUT_EDITS)) and len(held.photos) == 6 * (2 + len(HELD_OUT_EDITS)) + 23
    with Image.open(held.folder / "near/0000-webp70.webp") as webp, Image.open(held.folder / "near/0000-original.jpg") as o:
        assert webp.format == "WEBP" and webp.size == o.size
        with Image.open(held.folder / "near/0000-thumbnail.jpg") as thumb:
            assert max(thumb.size) <= 110 < max(o.size)
        with Image.open(held.folder / "near/0000-stretch85.jpg") as stretched:
            assert stretched.size == (round(o.width * 0.85), o.height)
        with Image.open(held.folder / "variants/0000-colourway.jpg") as colourway:
            assert colourway.size == o.size
            assert np.abs(np.asarray(colourway, np.int16) - np.asarray(o, np.int16)).mean() > 5  # its colours moved
    with pytest.raises(InputError, match="not yet used as originals"):
        build_duplicate_set(source, tmp_path / "again", originals=25, others=2, not_originals=frozenset(tune.sources))


def test_an_edit_that_changes_nothing_makes_no_copy(source, tmp_path):
    edits = {"same": lambda im: im.copy(), "half": ALTERATIONS["half"]}
    data = build_duplicate_set(source, tmp_path / "set", originals=3, others=10, exact_copies=0, alterations=edits)
    assert sorted(n for n in data.near if n.startswith("near/0000")) == ["near/0000-half.jpg", "near/0000-original.jpg"]
    assert not list((tmp_path / "set" / "near").glob("*-same.jpg"))


def test_recall_by_kind_counts_the_true_pairs_each_alteration_s_copy_is_in():
    truth = {("near/0000-banner.jpg", "near/0000-original.jpg"), ("near/0000-half.jpg", "near/0000-original.jpg"),
             ("near/0000-banner.jpg", "near/0000-half.jpg")}
    found = {("near/0000-half.jpg", "near/0000-original.jpg"), ("others/0001.jpg", "others/0002.jpg")}
    assert _recall_by_kind(found, truth) == {"banner": 0.0, "half": 0.5}


def test_a_folder_with_too_few_photos_is_refused(source, tmp_path):
    with pytest.raises(InputError, match="needs"):
        build_duplicate_set(source, tmp_path / "set", originals=20, others=20)


def test_the_source_folder_s_own_copies_are_left_out_so_every_exact_pair_is_known(source, tmp_path):
    for i in range(4):
        (source / f"again-{i}.jpg").write_bytes((source / f"{i:03d}.jpg").read_bytes())
    data = build_duplicate_set(source, tmp_path / "set", originals=6, others=24, exact_copies=3)
    digests = [hashlib.sha256((data.folder / name).read_bytes()).digest() for name in data.photos]
    copied = {d for d in digests if digests.count(d) > 1}
    assert len(copied) == 3 and {digests[i] for i, name in enumerate(data.photos) if name in data.exact} == copied
    with pytest.raises(InputError, match="30 distinct photos"):
        build_duplicate_set(source, tmp_path / "set", originals=6, others=25)


def test_best_f1_finds_the_threshold_that_separates_the_true_pairs():
    groups = np.array([0, 0, 1, 1, -1])
    scores = np.array([
        [1.0, 0.9, 0.1, 0.2, 0.3],
        [0.9, 1.0, 0.2, 0.1, 0.4],
        [0.1, 0.2, 1.0, 0.8, 0.5],
        [0.2, 0.1, 0.8, 1.0, 0.6],
        [0.3, 0.4, 0.5, 0.6, 1.0],
    ])
    threshold, precision, recall, f1 = best_f1(scores, groups)
    assert (threshold, precision, recall, f1) == (0.8, 1.0, 1.0, 1.0)
    scores[4, 3] = scores[3, 4] = 0.95  # an outsider closer than any true pair
    assert best_f1(scores, groups)[3] == pytest.approx(0.8)


def test_the_bench_scores_the_shape_embedding_on_an_indexed_set(source, tmp_path, default_encoder):
    data, rows, finding = run_duplicate_bench(source, tmp_path / "work", originals=4, others=20)
    shape = rows[0]
    assert shape.method == "Lookalike shape embedding" and 0 < shape.f1 <= 1
    assert "4 originals" in format_duplicates(data, rows, finding)
    assert finding.exact_f1 == 1.0  # byte-for-byte copies are told by their hash alone
    assert set(finding.recall_by_kind) == set(ALTERATIONS) and all(0 <= v <= 1 for v in finding.recall_by_kind.values())
    assert "recall by alteration: banner" in format_duplicates(data, rows, finding)
    assert 0 < finding.near_f1 <= 1 and 0 <= finding.groups_whole <= 1 and 0 < finding.groups_pure <= 1
    # Unknown, the copies fill each other's lists; known, the ones found leave them.
    assert finding.copies_per_list_before >= 5
    assert finding.copies_per_list_after < finding.copies_per_list_before * (1 - finding.near_recall / 2)
    # The picture of the finding: a row for each original, its group's photos and what the group missed.
    sheet = write_group_sheet(data, tmp_path / "dup-groups.png", originals=3, tile=40)
    with Image.open(sheet) as im:
        pixels = np.asarray(im.convert("RGB"))
    assert im.height == 5 + 3 * (40 + 12 + 5)
    assert im.width >= 5 + (1 + len(ALTERATIONS)) * (40 + 5)  # each row at least an original and its copies
    green = (pixels == (40, 160, 60)).all(axis=-1).sum()
    assert green > 0  # copies found with their original are framed green
    assert not list(tmp_path.glob("dup-groups.png.*"))  # written whole, nothing left beside it
    # The held-out set: other originals, the other edits, scored the same way.
    held, held_rows, held_finding = run_held_out_bench(source, tmp_path / "work", data, originals=4, others=20)
    assert not set(held.sources) & set(data.sources) and held_rows[0].method == "Lookalike shape embedding"
    assert set(held_finding.recall_by_kind) == set(HELD_OUT_EDITS)
    assert 0 <= held_finding.near_f1 <= 1 and held_finding.exact_f1 == 1.0
    copies = len(held.near) - 4
    assert f"held-out: {len(held.photos)} photos: 4 originals with {copies} altered copies" in format_duplicates(held, held_rows, held_finding, "held-out")
