from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from core.errors import InputError
from core.formats import FORMATS, check_destination, write_recommendations
from core.recommend import Recommendation
from core.search import Match
from core.store import Item

CSV_COLUMNS = ["source_sku", "source_path", "rank", "target_sku", "target_path", "score"]


def item(item_id: int, path: str, sku: str | None) -> Item:
    return Item(item_id, path, 100, 1, "h", "ok", sku=sku)


def recommendations() -> list[Recommendation]:
    return [
        Recommendation(
            item(1, "shirts/a.jpg", "S-A"),
            [Match(2, "shirts/b.jpg", 0.9876543, "S-B"), Match(3, "shoes/c, d.jpg", 0.5, None), Match(4, "x/ü.jpg", -0.25, "S-Ü")],
        ),
        Recommendation(item(2, "shirts/b.jpg", None), [Match(1, "shirts/a.jpg", 0.9876543, "S-A")]),
        Recommendation(item(5, "lonely.jpg", "S-L"), []),
    ]


def test_formats_are_listed() -> None:
    assert set(FORMATS) == {"csv", "json"}


def test_csv_output(tmp_path: Path) -> None:
    out = tmp_path / "recs.csv"
    write_recommendations(recommendations(), out, "csv")
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        assert reader.fieldnames == CSV_COLUMNS
    assert [(r["source_path"], r["rank"], r["target_path"]) for r in rows] == [
        ("shirts/a.jpg", "1", "shirts/b.jpg"),
        ("shirts/a.jpg", "2", "shoes/c, d.jpg"),
        ("shirts/a.jpg", "3", "x/ü.jpg"),
        ("shirts/b.jpg", "1", "shirts/a.jpg"),
    ]
    assert [r["source_sku"] for r in rows] == ["S-A", "S-A", "S-A", ""]
    assert [r["target_sku"] for r in rows] == ["S-B", "", "S-Ü", "S-A"]
    assert [float(r["score"]) for r in rows] == pytest.approx([0.987654, 0.5, -0.25, 0.987654], abs=1e-6)


def test_csv_ranks_run_one_to_k_per_source(tmp_path: Path) -> None:
    source = item(1, "a.jpg", "A")
    recs = [Recommendation(source, [Match(i, f"m{i}.jpg", 1 - i / 10, None) for i in range(2, 9)])]
    out = tmp_path / "recs.csv"
    write_recommendations(recs, out, "csv")
    with open(out, newline="", encoding="utf-8") as fh:
        ranks = [int(r["rank"]) for r in csv.DictReader(fh)]
    assert ranks == list(range(1, 8))


def test_json_output(tmp_path: Path) -> None:
    out = tmp_path / "recs.json"
    write_recommendations(recommendations(), out, "json")
    with open(out, encoding="utf-8") as fh:
        data = json.load(fh)
    assert data == [
        {
            "path": "shirts/a.jpg",
            "sku": "S-A",
            "recommendations": [
                {"path": "shirts/b.jpg", "score": 0.987654, "sku": "S-B"},
                {"path": "shoes/c, d.jpg", "score": 0.5, "sku": None},
                {"path": "x/ü.jpg", "score": -0.25, "sku": "S-Ü"},
            ],
        },
        {"path": "shirts/b.jpg", "sku": None, "recommendations": [{"path": "shirts/a.jpg", "score": 0.987654, "sku": "S-A"}]},
        {"path": "lonely.jpg", "sku": "S-L", "recommendations": []},
    ]


def test_unknown_format(tmp_path: Path) -> None:
    out = tmp_path / "recs.xlsx"
    with pytest.raises(InputError, match="unknown format"):
        write_recommendations(recommendations(), out, "xlsx")
    assert not out.exists()


def test_write_replaces_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "recs.json"
    out.write_text("old")
    write_recommendations(recommendations()[:1], out, "json")
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["recs.json"]


# ---- check_destination --------------------------------------------------------------------


def catalog_with_photo(tmp_path: Path) -> tuple[Path, Path]:
    catalog = tmp_path / "catalog"
    (catalog / "shirts").mkdir(parents=True)
    photo = catalog / "shirts" / "a.jpg"
    photo.write_bytes(b"photo")
    return catalog, photo


def test_refuses_existing_file_inside_catalog(tmp_path: Path) -> None:
    catalog, photo = catalog_with_photo(tmp_path)
    (catalog / "list.csv").write_text("x")
    with pytest.raises(InputError, match="inside the catalog"):
        check_destination(photo, catalog)
    with pytest.raises(InputError, match="inside the catalog"):
        check_destination(catalog / "list.csv", catalog)
    # a relative route to the same file is caught too
    with pytest.raises(InputError):
        check_destination(catalog / "shirts" / ".." / "list.csv", catalog)
    assert photo.read_bytes() == b"photo"


def test_refuses_a_folder(tmp_path: Path) -> None:
    catalog, _ = catalog_with_photo(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for folder in (catalog, catalog / "shirts", outside):
        with pytest.raises(InputError, match="folder"):
            check_destination(folder, catalog)


def test_allows_new_file_inside_catalog(tmp_path: Path) -> None:
    catalog, _ = catalog_with_photo(tmp_path)
    check_destination(catalog / "recs.csv", catalog)
    check_destination(catalog / "shirts" / "recs.json", catalog)


def test_allows_any_file_outside_catalog(tmp_path: Path) -> None:
    catalog, _ = catalog_with_photo(tmp_path)
    existing = tmp_path / "old_recs.csv"
    existing.write_text("old")
    check_destination(existing, catalog)
    check_destination(tmp_path / "new.csv", catalog)
    # a sibling whose name merely starts with the catalog's name is outside it
    sibling = tmp_path / "catalog-exports"
    sibling.mkdir()
    (sibling / "recs.csv").write_text("old")
    check_destination(sibling / "recs.csv", catalog)
