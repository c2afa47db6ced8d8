"""`duplicates` as a user runs it: the groups written out, remembered by the lists, bad input refused."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.core.duplicates.conftest import plant
from tests.e2e.test_cli import assert_one_line_error, lookalike


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, default_encoder) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("dupes") / "catalog"
    lookalike("demo", root, "--count", 40)
    planted = plant(root)
    lookalike("index", root)
    return root, planted


def test_duplicates_writes_csv_and_json_largest_groups_first(catalog, tmp_path):
    root, planted = catalog
    out = lookalike("duplicates", root, "--out", tmp_path / "d.csv")
    assert out.stdout.startswith("found ") and "1 exact" in out.stdout
    rows = list(csv.DictReader((tmp_path / "d.csv").open(newline="")))
    assert list(rows[0]) == ["group", "kind", "size", "path", "sku", "score"]
    exact = {r["path"] for r in rows if r["kind"] == "exact"}
    assert exact == {planted.original, planted.exact}
    sizes = [int(r["size"]) for r in rows]
    assert sizes == sorted(sizes, reverse=True)
    lookalike("duplicates", root, "--out", tmp_path / "d.json", "--format", "json")
    groups = json.loads((tmp_path / "d.json").read_text())
    assert [g["group"] for g in groups] == list(range(1, len(groups) + 1))
    assert {g["kind"] for g in groups} <= {"exact", "near", "variant"}
    by_kind = {g["kind"]: {m["path"] for m in g["members"]} for g in groups if set(planted.altered) & {m["path"] for m in g["members"]}}
    assert set(planted.altered) <= by_kind["near"]
    assert len(rows) == sum(len(g["members"]) for g in groups)


def test_lists_made_after_duplicates_hold_no_copy_of_their_product(catalog, tmp_path):
    root, planted = catalog
    lookalike("duplicates", root, "--out", tmp_path / "d.csv")
    lookalike("recommend", root, "--out", tmp_path / "lists.json", "--format", "json")
    copies = {planted.original, planted.exact, *planted.altered}
    for entry in json.loads((tmp_path / "lists.json").read_text()):
        shown = {r["path"] for r in entry["recommendations"]}
        if entry["path"] in copies:
            assert not shown & copies, entry["path"]
        else:
            assert len(shown & copies) <= 1, entry["path"]


def test_bad_input_is_one_line_and_nonzero(catalog, tmp_path):
    root, _ = catalog
    unindexed = tmp_path / "fresh"
    lookalike("demo", unindexed, "--count", 4)
    assert_one_line_error(lookalike("duplicates", unindexed, "--out", tmp_path / "d.csv", check=False), "index")
    assert_one_line_error(lookalike("duplicates", root, "--out", root / ".lookalike" / "d.csv", check=False), "workspace")
    assert_one_line_error(lookalike("duplicates", root, "--out", root / "products.csv", check=False), "catalog")
    (tmp_path / "afile").write_text("x")
    assert_one_line_error(lookalike("duplicates", root, "--out", tmp_path / "afile" / "d.csv", check=False), "is a file")
    result = lookalike("duplicates", root, "--out", tmp_path / "d.csv", "--format", "xml", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (tmp_path / "d.csv").exists()
