from __future__ import annotations

import base64
import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from core.catalog.thumbnails import APP_THUMB_SIZE, ThumbnailCache
from core.common.errors import InputError
from core.lists import formats
from core.lists.curation import ExportEntry, ExportList
from core.lists.formats import (
    FORMATS,
    SHOPIFY_COMPLEMENTARY,
    SHOPIFY_RELATED,
    ExportSummary,
    check_destination,
    shopify_handle,
    slugify,
    write_export,
)
from core.storage.store import Item

PAIR_COLUMNS = ["source_sku", "source_path", "rank", "target_sku", "target_path", "score", "pinned", "note"]
PLATFORM_COLUMNS = {
    "shopify": ["Handle", SHOPIFY_RELATED, SHOPIFY_COMPLEMENTARY],
    "woocommerce": ["SKU", "Upsells", "Cross-sells"],
    "magento": [
        "sku", "related_skus", "related_position", "crosssell_skus", "crosssell_position", "upsell_skus", "upsell_position"
    ],
}


def item(item_id: int, path: str, sku: str | None = None, name: str | None = None, category: str | None = None,
         **attrs: str) -> Item:
    return Item(item_id, path, 100 + item_id, 1000 + item_id, "h", "ok", sku=sku, name=name, category=category,
                attrs=dict(attrs))


SHIRT = item(1, "shirts/a.jpg", "S-A", "Blue Shirt", "shirts")
BLOUSE = item(2, "shirts/b.jpg", "S-B", "Red Blouse", "shirts")
TRAINER = item(3, "shoes/c, d.jpg", None, "Trainer", "shoes")  # no SKU, a comma in its path
TART = item(4, "food/ü.jpg", "S-Ü", "Crème Brûlée", "food")


def sample() -> list[ExportList]:
    """Four lists of three kinds; the shirt has two kinds, the trainer has no SKU."""
    return [
        ExportList(
            SHIRT,
            "related",
            [ExportEntry(BLOUSE, 0.9876543, False), ExportEntry(TRAINER, 0.5, True), ExportEntry(TART, None, False)],
            note='summer, "bright"',
            reviewed=True,
        ),
        ExportList(SHIRT, "cross-sell", [ExportEntry(TART, 0.25, True)]),
        ExportList(BLOUSE, "related", [ExportEntry(SHIRT, 0.9876543, False)]),
        ExportList(TRAINER, "upsell", [ExportEntry(SHIRT, -0.25, False)]),
    ]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


class Sheet(HTMLParser):
    """The parts of a review sheet the tests look at: products, their recommendations, thumbnails, text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.products: list[dict] = []
        self.links: list[str] = []
        self.style = ""
        self.text: list[str] = []
        self._capture: str | None = None
        self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag == "style":
            self._in_style = True
        elif tag == "section" and "product" in classes:
            self.products.append({"title": "", "recs": [], "thumbs": [], "pins": 0})
        elif tag == "h2":
            self._capture = "title"
        elif tag == "div" and "name" in classes:
            self._capture = "rec"
        elif tag == "div" and "thumb" in classes:
            self.products[-1]["thumbs"].append(classes)
        elif tag == "span" and "pin" in classes:
            self.products[-1]["pins"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag in ("h2", "div"):
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
            return
        self.text.append(data)
        if self._capture == "title":
            self.products[-1]["title"] += data
        elif self._capture == "rec":
            self.products[-1]["recs"].append(data)

    def data_uri_classes(self) -> dict[str, int]:
        """CSS class -> how many data: URIs its rule holds."""
        return {m.group(1): m.group(2).count("data:image/") for m in re.finditer(r"\.(t\d+) \{([^}]*)\}", self.style)}


def pairs(fmt: str, out: Path) -> list[tuple[str, str]]:
    """(source, target) identifiers in any written file, in file order."""
    if fmt in ("csv",):
        return [(r["source_path"], r["target_path"]) for r in read_csv(out)[1]]
    if fmt == "json":
        return [(e["path"], r["path"]) for e in json.loads(out.read_text("utf-8")) for r in e["recommendations"]]
    if fmt == "html":
        return [(p["title"], rec) for p in Sheet(out.read_text("utf-8")).products for rec in p["recs"]]
    columns, rows = read_csv(out)
    key, lists = columns[0], [c for c in columns[1:] if not c.endswith("_position")]
    return [(r[key], t.strip()) for r in rows for c in lists for t in r[c].split(",") if t.strip()]


# ---- every format ---------------------------------------------------------------------------


def test_formats_are_listed() -> None:
    assert FORMATS == ("csv", "json", "shopify", "woocommerce", "magento", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_a_parseable_file_with_only_that_file(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / f"lists.{fmt}"
    summary = write_export(sample(), out, fmt, tmp_path / "catalog")

    assert isinstance(summary, ExportSummary) and summary.rows > 0 and summary.products > 0
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # atomic: no temp file left behind
    assert pairs(fmt, out)  # parses, and holds recommendations


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_product_recommends_itself_even_if_a_list_says_so(fmt: str, tmp_path: Path) -> None:
    lists = sample()
    lists[2] = ExportList(BLOUSE, "related", [ExportEntry(BLOUSE, 1.0, True), ExportEntry(SHIRT, 0.9, False)])
    out = tmp_path / f"lists.{fmt}"
    summary = write_export(lists, out, fmt, tmp_path / "catalog")

    found = pairs(fmt, out)
    assert found and all(source != target for source, target in found)
    assert "shirts/b.jpg: recommended itself in its related list, that entry left out" in summary.skipped
    assert not any("recommended itself" in s for s in write_export(sample(), out, fmt, tmp_path / "catalog").skipped)


def test_unknown_format_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "lists.xlsx"
    with pytest.raises(InputError, match=r"unknown format 'xlsx'; choose from csv, json, shopify"):
        write_export(sample(), out, "xlsx", tmp_path / "catalog")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_an_existing_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "lists.json"
    out.write_text("old")
    write_export(sample()[:1], out, "json", tmp_path / "catalog")
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["lists.json"]


# ---- csv and json ---------------------------------------------------------------------------


def test_csv_has_a_row_per_recommendation_in_rank_order(tmp_path: Path) -> None:
    out = tmp_path / "lists.csv"
    summary = write_export(sample(), out, "csv", tmp_path / "catalog")
    columns, rows = read_csv(out)

    assert columns == PAIR_COLUMNS + ["list"]  # kinds are mixed, so the kind comes last
    assert [(r["source_path"], r["rank"], r["target_path"], r["list"]) for r in rows] == [
        ("shirts/a.jpg", "1", "shirts/b.jpg", "related"),
        ("shirts/a.jpg", "2", "shoes/c, d.jpg", "related"),
        ("shirts/a.jpg", "3", "food/ü.jpg", "related"),
        ("shirts/a.jpg", "1", "food/ü.jpg", "cross-sell"),
        ("shirts/b.jpg", "1", "shirts/a.jpg", "related"),
        ("shoes/c, d.jpg", "1", "shirts/a.jpg", "upsell"),
    ]
    assert [r["source_sku"] for r in rows] == ["S-A"] * 4 + ["S-B", ""]
    assert [r["target_sku"] for r in rows] == ["S-B", "", "S-Ü", "S-Ü", "S-A", "S-A"]
    assert [r["score"] for r in rows] == ["0.987654", "0.500000", "", "0.250000", "0.987654", "-0.250000"]
    assert [r["pinned"] for r in rows] == ["false", "true", "false", "true", "false", "false"]
    assert [r["note"] for r in rows[:3]] == ['summer, "bright"'] * 3 and rows[3]["note"] == ""
    assert (summary.rows, summary.products, summary.skipped) == (6, 3, [])


def test_csv_of_one_kind_has_exactly_the_documented_columns(tmp_path: Path) -> None:
    out = tmp_path / "lists.csv"
    write_export([lst for lst in sample() if lst.kind == "related"], out, "csv", tmp_path / "catalog")
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(PAIR_COLUMNS)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_quotes_text_a_spreadsheet_would_run_as_a_formula_and_keeps_numbers(start: str, tmp_path: Path) -> None:
    evil = item(6, f"{start}x/evil.jpg", f'{start}HYPERLINK("http://x.test","go")', "Evil")
    lists = [
        ExportList(evil, "related", [ExportEntry(SHIRT, -0.125, True)], note=f"{start}cmd|' /C calc'!A0"),
        ExportList(SHIRT, "related", [ExportEntry(evil, -0.5, False)]),
    ]
    out = tmp_path / "lists.csv"
    summary = write_export(lists, out, "csv", tmp_path / "catalog")
    _, rows = read_csv(out)

    assert len(rows) == 2  # a "\r" in a cell does not end its row
    assert rows[0] == {
        "source_sku": f"'{start}HYPERLINK(\"http://x.test\",\"go\")",
        "source_path": f"'{start}x/evil.jpg",
        "rank": "1",
        "target_sku": "S-A",
        "target_path": "shirts/a.jpg",
        "score": "-0.125000",
        "pinned": "true",
        "note": f"'{start}cmd|' /C calc'!A0",
    }
    assert (rows[1]["target_sku"], rows[1]["target_path"], rows[1]["score"]) == (
        f"'{start}HYPERLINK(\"http://x.test\",\"go\")", f"'{start}x/evil.jpg", "-0.500000"
    )
    assert summary.skipped == []


def test_json_shape(tmp_path: Path) -> None:
    out = tmp_path / "lists.json"
    summary = write_export(sample(), out, "json", tmp_path / "catalog")
    data = json.loads(out.read_text(encoding="utf-8"))

    assert data[0] == {
        "path": "shirts/a.jpg",
        "sku": "S-A",
        "list": "related",
        "note": 'summer, "bright"',
        "reviewed": True,
        "recommendations": [
            {"path": "shirts/b.jpg", "score": 0.987654, "sku": "S-B", "pinned": False},
            {"path": "shoes/c, d.jpg", "score": 0.5, "sku": None, "pinned": True},
            {"path": "food/ü.jpg", "score": None, "sku": "S-Ü", "pinned": False},
        ],
    }
    assert [list(entry) for entry in data] == [["path", "sku", "list", "note", "reviewed", "recommendations"]] * 4
    assert [(e["path"], e["list"], e["reviewed"]) for e in data[1:]] == [
        ("shirts/a.jpg", "cross-sell", False), ("shirts/b.jpg", "related", False), ("shoes/c, d.jpg", "upsell", False)
    ]
    assert (summary.rows, summary.products) == (4, 3)


# ---- shop platforms -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", PLATFORM_COLUMNS)
def test_platform_files_have_exactly_their_columns(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"lists.{fmt}.csv"
    write_export(sample(), out, fmt, tmp_path / "catalog")
    assert read_csv(out)[0] == PLATFORM_COLUMNS[fmt]


def two_kinds() -> list[ExportList]:
    """One product with all three kinds; the blouse is both related and an upsell."""
    shoe = item(5, "shoes/e.jpg", "S-E", "Loafer")
    return [
        ExportList(SHIRT, "upsell", [ExportEntry(shoe, 0.4, False), ExportEntry(BLOUSE, 0.3, False)]),
        ExportList(SHIRT, "related", [ExportEntry(BLOUSE, 0.9, True), ExportEntry(TART, 0.8, False)]),
        ExportList(SHIRT, "cross-sell", [ExportEntry(shoe, 0.2, False)]),
    ]


def test_shopify_puts_related_and_upsells_in_related_and_cross_sells_in_complementary(tmp_path: Path) -> None:
    out = tmp_path / "shopify.csv"
    summary = write_export(two_kinds(), out, "shopify", tmp_path / "catalog")
    _, rows = read_csv(out)

    assert rows == [
        {
            "Handle": "blue-shirt",
            SHOPIFY_RELATED: "red-blouse, creme-brulee, loafer",  # related first, then upsells not yet listed
            SHOPIFY_COMPLEMENTARY: "loafer",
        }
    ]
    assert (summary.rows, summary.products, summary.skipped) == (1, 1, [])


def test_woocommerce_puts_related_and_upsells_in_upsells(tmp_path: Path) -> None:
    out = tmp_path / "woo.csv"
    write_export(two_kinds(), out, "woocommerce", tmp_path / "catalog")
    assert read_csv(out)[1] == [{"SKU": "S-A", "Upsells": "S-B, S-Ü, S-E", "Cross-sells": "S-E"}]


def test_magento_keeps_each_kind_with_positions(tmp_path: Path) -> None:
    out = tmp_path / "magento.csv"
    write_export(two_kinds(), out, "magento", tmp_path / "catalog")
    assert read_csv(out)[1] == [
        {
            "sku": "S-A",
            "related_skus": "S-B,S-Ü",
            "related_position": "1,2",
            "crosssell_skus": "S-E",
            "crosssell_position": "1",
            "upsell_skus": "S-E,S-B",
            "upsell_position": "1,2",
        }
    ]


@pytest.mark.parametrize("fmt", ["woocommerce", "magento"])
def test_products_without_sku_are_left_out_and_reported(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"{fmt}.csv"
    summary = write_export(sample(), out, fmt, tmp_path / "catalog")
    columns, rows = read_csv(out)

    assert [r[columns[0]] for r in rows] == ["S-A", "S-B"]  # the trainer's own row is gone
    assert rows[0][columns[1]].replace(" ", "") == "S-B,S-Ü"  # and so is the trainer as a recommendation
    assert summary.skipped == [f"shoes/c, d.jpg: no SKU, left out of the {fmt} file"]  # once, though met twice
    assert (summary.rows, summary.products) == (2, 2)


def test_shopify_handles_fall_back_from_handle_to_name_sku_and_file_stem() -> None:
    assert shopify_handle(item(1, "a.jpg", "S-1", "Blue Shirt", handle="the-blue-one")) == "the-blue-one"
    assert shopify_handle(item(1, "a.jpg", "S-1", "  Crème Brûlée, 2 kg! ")) == "creme-brulee-2-kg"
    assert shopify_handle(item(1, "a.jpg", "SKU_77/B")) == "sku-77-b"
    assert shopify_handle(item(1, "shirts/Summer Tee (front).JPG")) == "summer-tee-front"
    assert shopify_handle(item(1, "shirts/Tee.jpg", "S-1", "???")) == "s-1"  # a name that slugs to nothing
    assert shopify_handle(item(1, "日本.jpg")) is None
    assert slugify("--Über  Größe--") == "uber-groe"


def test_shopify_keeps_imported_handles_and_makes_the_ones_made_from_names_unique(tmp_path: Path) -> None:
    given = item(1, "a.jpg", "S-1", "Blue Shirt", handle="red-blouse")  # the shop's own handle, taken from the import
    twin_a = item(2, "b.jpg", "S-2", "Red Blouse")  # slugs to the imported handle above
    twin_b = item(3, "c.jpg", "S-3", "Red blouse")  # and so does this one
    clash = item(4, "d.jpg", "S-4", "Blue Shirt", handle="red-blouse")  # two imported handles clash: left out
    nameless = item(5, "日本.jpg")
    lists = [
        ExportList(given, "related", [ExportEntry(twin_b, 0.9, False), ExportEntry(twin_a, 0.8, False),
                                      ExportEntry(nameless, 0.7, False), ExportEntry(clash, 0.6, False)]),
        ExportList(twin_b, "related", [ExportEntry(given, 0.9, False)]),
        ExportList(twin_a, "related", [ExportEntry(twin_b, 0.9, False)]),
    ]
    out = tmp_path / "shopify.csv"
    summary = write_export(lists, out, "shopify", tmp_path / "catalog")

    assert read_csv(out)[1] == [
        {"Handle": "red-blouse", SHOPIFY_RELATED: "red-blouse-3, red-blouse-2", SHOPIFY_COMPLEMENTARY: ""},
        {"Handle": "red-blouse-3", SHOPIFY_RELATED: "red-blouse", SHOPIFY_COMPLEMENTARY: ""},  # c.jpg
        {"Handle": "red-blouse-2", SHOPIFY_RELATED: "red-blouse-3", SHOPIFY_COMPLEMENTARY: ""},  # b.jpg
    ]
    assert summary.skipped == [
        "d.jpg: handle 'red-blouse' is also a.jpg's, left out of the shopify file",
        "日本.jpg: no handle, left out of the shopify file",
    ]
    assert summary.notes == [
        "2 of 5 products have no handle of the shop's; theirs were made from their names and may not match "
        "the shop's (import the shop's export to use its own)"
    ]


def test_no_product_is_left_out_of_shopify_for_names_that_slug_alike(tmp_path: Path) -> None:
    products = [item(i, f"p{i:03d}.jpg", None, name) for i, name in
                enumerate(["Tee", "tee", "TEE!", "Tee 2", "tee-2", "Tee (2)", "Crème", "creme"] * 5)]
    lists = [ExportList(p, "related", [ExportEntry(q, 0.5, False) for q in products if q is not p][:5]) for p in products]
    out = tmp_path / "shopify.csv"
    summary = write_export(lists, out, "shopify", tmp_path / "catalog")
    _, rows = read_csv(out)

    handles = [r["Handle"] for r in rows]
    assert len(handles) == len(products) == len(set(handles)) and summary.skipped == []
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", h) for h in handles)
    listed = {h for r in rows for h in r[SHOPIFY_RELATED].split(", ")}
    assert listed <= set(handles)
    # each product keeps its handle from list to list: p000's row and its mentions agree
    by_path = dict(zip([p.path for p in products], handles))
    assert rows[1][SHOPIFY_RELATED].split(", ")[0] == by_path["p000.jpg"]


def test_identifiers_containing_the_separator_are_left_out(tmp_path: Path) -> None:
    odd = item(5, "odd.jpg", "A,B", "Odd")
    out = tmp_path / "magento.csv"
    summary = write_export([ExportList(SHIRT, "related", [ExportEntry(odd, 0.5, False)])], out, "magento", tmp_path)
    assert read_csv(out)[1][0]["related_skus"] == ""
    assert summary.skipped == ["odd.jpg: SKU 'A,B' contains ',', left out of the magento file"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])  # keys are stripped, so a tab or CR cannot lead one
@pytest.mark.parametrize("fmt", PLATFORM_COLUMNS)
def test_identifiers_a_spreadsheet_would_run_as_a_formula_are_left_out(fmt: str, start: str, tmp_path: Path) -> None:
    key = f'{start}HYPERLINK("http://x.test")'
    evil = item(6, "shirts/x.jpg", key, "Evil", handle=key)
    lists = [
        ExportList(SHIRT, "related", [ExportEntry(evil, 0.9, False), ExportEntry(BLOUSE, 0.8, False)]),
        ExportList(evil, "related", [ExportEntry(SHIRT, 0.7, False)]),
    ]
    out = tmp_path / f"{fmt}.csv"
    summary = write_export(lists, out, fmt, tmp_path / "catalog")
    columns, rows = read_csv(out)

    label = "handle" if fmt == "shopify" else "SKU"
    assert [r[columns[0]] for r in rows] == ["blue-shirt" if fmt == "shopify" else "S-A"]  # no row of its own
    assert rows[0][columns[1]] == ("red-blouse" if fmt == "shopify" else "S-B")  # nor is it recommended
    assert key not in out.read_text(encoding="utf-8")
    assert summary.skipped == [
        f"shirts/x.jpg: {label} {key!r} starts with {start!r}, which spreadsheets run as a formula; "
        f"left out of the {fmt} file"
    ]
    assert (summary.rows, summary.products) == (1, 1)


# ---- html review sheet ----------------------------------------------------------------------


def photo(path: Path, colour: tuple[int, int, int], fmt: str = "JPEG") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path, fmt)


def test_html_sheet_shows_every_product_with_embedded_thumbnails_once(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    photo(catalog / "shirts/a.jpg", (200, 30, 30))
    photo(catalog / "shirts/b.jpg", (30, 200, 30), "PNG")  # a PNG under a .jpg name is still a photo
    photo(catalog / "shoes/c, d.jpg", (30, 30, 200))
    photo(catalog / "food/ü.jpg", (200, 200, 30), "PNG")
    out = tmp_path / "sheet.html"
    thumbs = ThumbnailCache(tmp_path / "thumbs", APP_THUMB_SIZE)
    summary = write_export(sample(), out, "html", catalog, thumbs)
    text = out.read_text(encoding="utf-8")
    sheet = Sheet(text)

    assert [p["title"] for p in sheet.products] == ["Blue Shirt", "Red Blouse", "Trainer"]
    assert sheet.products[0]["recs"] == ["Red Blouse", "Trainer", "Crème Brûlée", "Crème Brûlée"]  # rank order kept
    assert [p["pins"] for p in sheet.products] == [2, 0, 0]
    assert 'summer, "bright"' in "".join(sheet.text) and "✓ reviewed" in "".join(sheet.text)
    # every product and recommendation shows its own photo, each photo embedded exactly once
    defined = sheet.data_uri_classes()
    assert sorted(defined.values()) == [1, 1, 1, 1] and text.count("data:image/jpeg;base64,") == 4
    for product in sheet.products:
        assert all(len([c for c in classes if c in defined]) == 1 for classes in product["thumbs"])
    assert "src=\"http" not in text and "href=" not in text and "url(http" not in text  # self-contained
    assert (summary.rows, summary.products, summary.skipped) == (3, 3, [])


def test_a_long_html_sheet_is_written_as_linked_pages_each_with_its_own_thumbnails(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(formats, "PAGE_PRODUCTS", 3)
    catalog = tmp_path / "catalog"
    products = [item(10 + i, f"p/{i}.jpg", f"S-{i}", f"Product {i}") for i in range(7)]
    for i, product in enumerate(products):
        photo(catalog / product.path, (30 * i, 200 - 20 * i, 90))
    lists = [ExportList(p, "related", [ExportEntry(products[(i + 1) % 7], 0.5, False)]) for i, p in enumerate(products)]
    out = tmp_path / "sheet.html"
    summary = write_export(lists, out, "html", catalog, ThumbnailCache(tmp_path / "thumbs", APP_THUMB_SIZE))

    names = ["sheet.html", "sheet-2.html", "sheet-3.html"]
    assert sorted(p.name for p in tmp_path.glob("sheet*.html")) == sorted(names)
    sheets = [Sheet((tmp_path / name).read_text(encoding="utf-8")) for name in names]
    assert [[p["title"] for p in sheet.products] for sheet in sheets] == [
        ["Product 0", "Product 1", "Product 2"], ["Product 3", "Product 4", "Product 5"], ["Product 6"]
    ]
    for sheet in sheets:
        used = {c for product in sheet.products for classes in product["thumbs"] for c in classes if c != "thumb"}
        assert set(sheet.data_uri_classes()) == used  # a page carries the thumbnails it shows, and only those
        assert all(href in names for href in sheet.links)
        assert "page" in "".join(sheet.text)
    assert "sheet-2.html" in sheets[0].links and "sheet.html" not in sheets[0].links[:1]
    assert {"sheet.html", "sheet-2.html"} <= set(sheets[2].links)
    assert (summary.rows, summary.products) == (7, 7)
    assert summary.notes == ["the sheet is 3 pages of 3 products: sheet.html, then sheet-2.html to sheet-3.html"]


def test_html_without_thumbnails_shows_named_grey_boxes_and_escapes_text(tmp_path: Path) -> None:
    odd = item(9, "x/<b>.jpg", "S-<9>", "<script>alert(1)</script> & co", "a&b")
    lists = [ExportList(odd, "related", [ExportEntry(SHIRT, 0.5, False)], note="<i>check</i>")]
    out = tmp_path / "sheet.html"
    write_export(lists, out, "html", tmp_path / "catalog", thumbs=None)
    text = out.read_text(encoding="utf-8")
    sheet = Sheet(text)

    assert sheet.products[0]["title"] == "<script>alert(1)</script> & co"
    assert "<script>" not in text and "<i>" not in text and "&lt;i&gt;check&lt;/i&gt;" in text
    assert "data:image" not in text
    assert [classes for classes in sheet.products[0]["thumbs"]] == [["thumb", "none"]] * 2
    assert "<b>.jpg" in "".join(sheet.text) and "a.jpg" in "".join(sheet.text)


def test_html_reports_a_photo_it_cannot_thumbnail(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    photo(catalog / "shirts/a.jpg", (200, 30, 30))
    (catalog / "shirts").mkdir(exist_ok=True)
    (catalog / "shirts/b.jpg").write_bytes(b"not a photo")
    lists = [ExportList(SHIRT, "related", [ExportEntry(BLOUSE, 0.5, False)])]
    out = tmp_path / "sheet.html"
    summary = write_export(lists, out, "html", catalog, ThumbnailCache(tmp_path / "thumbs"))
    sheet = Sheet(out.read_text(encoding="utf-8"))

    assert sheet.products[0]["thumbs"][1] == ["thumb", "none"]
    assert len(summary.skipped) == 1 and summary.skipped[0].startswith("shirts/b.jpg: no thumbnail (")


@pytest.mark.parametrize("route", ["../secret.jpg", "shirts/../../secret.jpg", "..\\secret.jpg", "{secret}"])
def test_html_never_reads_a_photo_outside_the_catalog(route: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    photo(catalog / "shirts/a.jpg", (200, 30, 30))
    secret = tmp_path / "secret.jpg"
    photo(secret, (12, 34, 56))
    (catalog / "..\\secret.jpg").write_bytes(secret.read_bytes())  # a file name on posix, but refused all the same
    escaping = item(7, route.format(secret=secret), "S-X", "Secret")
    lists = [ExportList(SHIRT, "related", [ExportEntry(escaping, 0.5, False)])]
    out = tmp_path / "sheet.html"
    thumbs = ThumbnailCache(tmp_path / "thumbs", APP_THUMB_SIZE)
    summary = write_export(lists, out, "html", catalog, thumbs)
    text = out.read_text(encoding="utf-8")

    assert Sheet(text).products[0]["thumbs"][1] == ["thumb", "none"]
    assert text.count("data:image/jpeg;base64,") == 1  # the shirt's own photo only
    assert base64.b64encode(secret.read_bytes()).decode("ascii") not in text
    assert len(list((tmp_path / "thumbs").rglob("*.jpg"))) == 1
    assert summary.skipped == [
        f"{escaping.path}: leads outside the catalog, not read; shown as a grey box in the html file"
    ]


def test_html_shows_photos_in_a_folder_the_catalog_links_in(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    photo(catalog / "shirts/a.jpg", (200, 30, 30))
    photo(tmp_path / "shared/b.jpg", (30, 200, 30))
    (catalog / "linked").symlink_to(tmp_path / "shared", target_is_directory=True)
    linked = item(8, "linked/b.jpg", "S-L", "Linked")
    out = tmp_path / "sheet.html"
    summary = write_export([ExportList(SHIRT, "related", [ExportEntry(linked, 0.5, False)])], out, "html", catalog,
                           ThumbnailCache(tmp_path / "thumbs"))

    assert out.read_text(encoding="utf-8").count("data:image/jpeg;base64,") == 2 and summary.skipped == []


# ---- check_destination ----------------------------------------------------------------------


def catalog_with_photo(tmp_path: Path) -> tuple[Path, Path]:
    catalog = tmp_path / "catalog"
    (catalog / "shirts").mkdir(parents=True)
    photo_path = catalog / "shirts" / "a.jpg"
    photo_path.write_bytes(b"photo")
    return catalog, photo_path


def test_refuses_existing_file_inside_catalog(tmp_path: Path) -> None:
    catalog, photo_path = catalog_with_photo(tmp_path)
    (catalog / "list.csv").write_text("x")
    with pytest.raises(InputError, match="inside the catalog"):
        check_destination(photo_path, catalog)
    with pytest.raises(InputError, match="inside the catalog"):
        check_destination(catalog / "list.csv", catalog)
    # a relative route to the same file is caught too
    with pytest.raises(InputError):
        check_destination(catalog / "shirts" / ".." / "list.csv", catalog)
    assert photo_path.read_bytes() == b"photo"


def test_write_export_checks_the_destination_itself(tmp_path: Path) -> None:
    catalog, photo_path = catalog_with_photo(tmp_path)
    for fmt in FORMATS:
        with pytest.raises(InputError, match="inside the catalog"):
            write_export(sample(), photo_path, fmt, catalog)
    assert photo_path.read_bytes() == b"photo"
    assert sorted(p.name for p in (catalog / "shirts").iterdir()) == ["a.jpg"]


def test_refuses_the_files_of_a_workspace_kept_outside_the_catalog(tmp_path: Path) -> None:
    catalog, _ = catalog_with_photo(tmp_path)
    workspace = tmp_path / "elsewhere" / "ws"
    workspace.mkdir(parents=True)
    database = workspace / "catalog.sqlite"
    database.write_bytes(b"SQLite format 3\x00")
    for fmt in FORMATS:
        with pytest.raises(InputError, match="inside Lookalike's workspace"):
            write_export(sample(), database, fmt, catalog, workspace=workspace)
    assert database.read_bytes() == b"SQLite format 3\x00"
    check_destination(tmp_path / "elsewhere" / "recs.csv", catalog, workspace)


def test_follows_links_and_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    catalog, photo_path = catalog_with_photo(tmp_path)
    link = tmp_path / "innocent.csv"
    link.symlink_to(photo_path)
    with pytest.raises(InputError, match="inside the catalog"):
        write_export(sample(), link, "csv", catalog)
    assert photo_path.read_bytes() == b"photo" and link.is_symlink()
    with pytest.raises(InputError, match="not a regular file"):
        check_destination(Path("/dev/null"), catalog)
    elsewhere = tmp_path / "lists" / "recs.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_text("old")
    (tmp_path / "recs-link.csv").symlink_to(elsewhere)
    write_export(sample(), tmp_path / "recs-link.csv", "csv", catalog)
    assert (tmp_path / "recs-link.csv").is_symlink() and elsewhere.read_text() != "old"


def test_refuses_a_folder(tmp_path: Path) -> None:
    catalog, _ = catalog_with_photo(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for folder in (catalog, catalog / "shirts", outside):
        with pytest.raises(InputError, match="folder"):
            check_destination(folder, catalog)
        with pytest.raises(InputError, match="folder"):
            write_export(sample(), folder, "csv", catalog)


def test_allows_new_file_inside_catalog(tmp_path: Path) -> None:
    catalog, _ = catalog_with_photo(tmp_path)
    check_destination(catalog / "recs.csv", catalog)
    check_destination(catalog / "shirts" / "recs.json", catalog)
    write_export(sample(), catalog / "recs.csv", "csv", catalog)
    assert (catalog / "recs.csv").is_file()


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
    write_export(sample(), sibling / "recs.csv", "csv", catalog)
    assert read_csv(sibling / "recs.csv")[0][0] == "source_sku"


@pytest.mark.parametrize("fmt, key", [("shopify", "Handle"), ("woocommerce", "SKU"), ("magento", "sku")])
def test_any_photo_of_a_shop_product_stands_for_it_and_its_own_photos_are_left_out(fmt: str, key: str, tmp_path: Path) -> None:
    tee = dict(product="TEE", handle="classic-tee", platform=fmt)
    tee_main = item(11, "tee/tee-1.jpg", "TEE", "Classic Tee", **tee, photo="1")
    tee_back = item(12, "tee/tee-2.jpg", "TEE", "Classic Tee", **tee, photo="2")
    cap = dict(product="CAP", handle="wool-cap", platform=fmt)
    cap_main = item(13, "cap/cap-1.jpg", "CAP", "Wool Cap", **cap, photo="1")
    cap_side = item(14, "cap/cap-2.jpg", "CAP", "Wool Cap", **cap, photo="2")
    lists = [
        ExportList(tee_main, "related", [ExportEntry(tee_back, 0.99, False), ExportEntry(cap_side, 0.8, True),
                                         ExportEntry(cap_main, 0.7, False)]),
        ExportList(cap_main, "related", [ExportEntry(tee_back, 0.6, False)]),
    ]
    out = tmp_path / f"out.{fmt}.csv"
    summary = write_export(lists, out, fmt, tmp_path)
    _, rows = read_csv(out)
    expected = {"shopify": ("classic-tee", "wool-cap"), "woocommerce": ("TEE", "CAP"), "magento": ("TEE", "CAP")}[fmt]
    cells = {row[key]: [v for name, v in row.items() if name != key and v and not name.endswith("position")] for row in rows}
    assert cells == {expected[0]: [expected[1]], expected[1]: [expected[0]]}
    assert any("recommended itself" in line for line in summary.skipped)
