import json
from pathlib import Path

import pytest

from core.bench.slider import SLIDER_VALUES, format_slider_table, run_slider_bench, write_slider_json, write_slider_sheet
from core.common.errors import InputError


def test_each_half_is_scored_at_each_slider_value_through_the_apps_search(labelled, tmp_path):
    folder, labels = labelled
    before = sorted(p.name for p in folder.iterdir())
    rows, notes, sheets = run_slider_bench(folder, labels, min_per_type=10, sheet_queries=("1000", "1001", "not-an-id"))
    assert [(r.half, r.colour_weight) for r in rows] == [(h, w) for h in ("even ids", "odd ids") for w in SLIDER_VALUES]
    assert sum(r.queries for r in rows if r.colour_weight == 0.0) == 120  # the rare type left out
    assert all(0.0 <= r.type_precision <= 1.0 and 0.0 <= r.same_colour <= 1.0 for r in rows)
    for half in ("even ids", "odd ids"):  # colour weighed in: more of the top 10 in the query's colour
        by_weight = {r.colour_weight: r for r in rows if r.half == half}
        assert by_weight[1.0].same_colour > by_weight[0.0].same_colour
    assert "120 photos" in notes[0] and "3 photos of rarer ones" in notes[0]
    assert sorted(p.name for p in folder.iterdir()) == before
    assert [Path(s.query).parent for s in sheets] == [folder.resolve()] * 2  # the photos themselves, not the links
    assert all(len(top) == 10 for s in sheets for top in s.tops.values())

    out = tmp_path / "out" / "slider.json"
    write_slider_json(rows, notes, out)
    assert json.loads(out.read_text())["rows"][0]["half"] == "even ids"
    assert write_slider_sheet(sheets, tmp_path / "out" / "slider.png").stat().st_size > 0
    assert "| even ids | 0.50 |" in format_slider_table(rows)


def test_a_folder_without_labelled_photos_is_refused_in_one_line(labelled, tmp_path):
    _, labels = labelled
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no photo in"):
        run_slider_bench(tmp_path / "empty", labels)
