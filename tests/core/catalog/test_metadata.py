from __future__ import annotations

from pathlib import Path

import pytest

from core.catalog.metadata import MetadataReport, import_metadata, read_product_csv
from core.common.errors import InputError
from core.storage.store import CatalogStore


def write_csv(tmp_path: Path, text: str, name: str = "products.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def store_with(tmp_path: Path, *paths: str) -> CatalogStore:
    store = CatalogStore(tmp_path / "catalog.sqlite")
    store.add_items((p, 1, 1, None) for p in paths)
    return store


# ---- read_product_csv ---------------------------------------------------------------------


def test_path_key_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "path,sku,name\nshirts/a.jpg,S1,Red shirt\nshoes/b.jpg,S2,Boot\n")
    assert read_product_csv(path).rows == [
        {"path": "shirts/a.jpg", "sku": "S1", "name": "Red shirt"},
        {"path": "shoes/b.jpg", "sku": "S2", "name": "Boot"},
    ]


def test_filename_key_column_is_renamed_path(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "sku,filename\nS1,a.jpg\nS2,b.jpg\n")
    rows = read_product_csv(path).rows
    assert rows == [{"sku": "S1", "path": "a.jpg"}, {"sku": "S2", "path": "b.jpg"}]
    assert all("filename" not in row for row in rows)


def test_headers_are_case_insensitive_and_trimmed(tmp_path: Path) -> None:
    path = write_csv(tmp_path, " Path ,SKU,Category\nA.jpg, S1 ,Shirts\n")
    assert read_product_csv(path).rows == [{"path": "A.jpg", "sku": "S1", "category": "Shirts"}]


def test_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_bytes(b"\xef\xbb\xbfpath,sku\na.jpg,S1\n")
    assert read_product_csv(path).rows == [{"path": "a.jpg", "sku": "S1"}]


def test_semicolon_delimiter(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "path;sku;name\na.jpg;S1;Shirt, red\nb.jpg;S2;Boot\n")
    assert read_product_csv(path).rows == [
        {"path": "a.jpg", "sku": "S1", "name": "Shirt, red"},
        {"path": "b.jpg", "sku": "S2", "name": "Boot"},
    ]


def test_rows_without_a_path_are_skipped(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "path,sku\na.jpg,S1\n,S2\n  ,S3\nb.jpg,S4\n")
    assert [r["path"] for r in read_product_csv(path).rows] == ["a.jpg", "b.jpg"]


def test_missing_key_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "sku,name\nS1,Shirt\n")
    with pytest.raises(InputError, match="'path' or 'filename'"):
        read_product_csv(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_product_csv(tmp_path / "nope.csv")


def test_not_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "path,name\nä.jpg,Größe\n", encoding="latin-1")
    with pytest.raises(InputError, match="UTF-8"):
        read_product_csv(path)


# ---- import_metadata ----------------------------------------------------------------------


def test_import_by_relative_path(tmp_path: Path) -> None:
    with store_with(tmp_path, "shirts/a.jpg", "shoes/a.jpg") as store:
        report = import_metadata(store, [{"path": "shoes/a.jpg", "sku": "SHOE", "category": "shoes"}])
        assert report == MetadataReport(matched=1, unmatched=[])
        assert store.item_by_path("shoes/a.jpg").sku == "SHOE"
        assert store.item_by_path("shoes/a.jpg").category == "shoes"
        assert store.item_by_path("shirts/a.jpg").sku is None


def test_import_by_unique_bare_name(tmp_path: Path) -> None:
    with store_with(tmp_path, "shirts/a.jpg", "shoes/a.jpg", "bags/b.jpg") as store:
        report = import_metadata(store, [{"path": "b.jpg", "sku": "BAG"}, {"path": "a.jpg", "sku": "AMBIGUOUS"}])
        assert report.matched == 1
        assert report.unmatched == ["a.jpg"]  # two items are called a.jpg: not guessed
        assert store.item_by_path("bags/b.jpg").sku == "BAG"
        assert {store.item_by_path(p).sku for p in ("shirts/a.jpg", "shoes/a.jpg")} == {None}


def test_import_windows_and_dot_slash_paths(tmp_path: Path) -> None:
    with store_with(tmp_path, "shirts/summer/a.jpg", "shoes/b.jpg", "c.jpg") as store:
        rows = [
            {"path": "shirts\\summer\\a.jpg", "sku": "A"},
            {"path": "./shoes/b.jpg", "sku": "B"},
            {"path": ".\\c.jpg", "sku": "C"},
        ]
        report = import_metadata(store, rows)
        assert report == MetadataReport(matched=3, unmatched=[])
        assert [store.item_by_path(p).sku for p in ("shirts/summer/a.jpg", "shoes/b.jpg", "c.jpg")] == ["A", "B", "C"]


def test_unmatched_rows_are_reported_as_written(tmp_path: Path) -> None:
    with store_with(tmp_path, "shirts/a.jpg") as store:
        rows = [
            {"path": "shirts/a.jpg", "sku": "A"},
            {"path": "gone\\x.jpg", "sku": "X"},
            {"path": "other/a.jpg", "sku": "Y"},  # a folder is given: no fallback to the bare name
        ]
        report = import_metadata(store, rows)
        assert report.matched == 1
        assert report.unmatched == ["gone\\x.jpg", "other/a.jpg"]
        assert store.item_by_path("shirts/a.jpg").sku == "A"


def test_extra_columns_end_up_in_attrs(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path, "Filename;SKU;Name;Colour;Material;Link\na.jpg;S1;Shirt;red;cotton;http://shop/s1\nb.jpg;S2;Boot;;leather;\n"
    )
    with store_with(tmp_path, "shirts/a.jpg", "shoes/b.jpg") as store:
        report = import_metadata(store, read_product_csv(csv_path))
        assert report == MetadataReport(matched=2, unmatched=[])
        a = store.item_by_path("shirts/a.jpg")
        b = store.item_by_path("shoes/b.jpg")
        assert (a.sku, a.name, a.link) == ("S1", "Shirt", "http://shop/s1")
        assert a.attrs == {"colour": "red", "material": "cotton"}
        assert (b.sku, b.link) == ("S2", None)
        assert b.attrs == {"material": "leather"}


def test_a_list_with_only_a_path_column_leaves_every_sku_and_name_as_it_was(tmp_path: Path) -> None:
    full = write_csv(tmp_path, "path,sku,name,colour\na.jpg,S1,Shirt,red\nb.jpg,S2,Boot,black\n", name="full.csv")
    bare = write_csv(tmp_path, "path\na.jpg\nb.jpg\n", name="bare.csv")
    partial = write_csv(tmp_path, "path,name,size\na.jpg,Linen shirt,M\n", name="partial.csv")
    with store_with(tmp_path, "a.jpg", "b.jpg") as store:
        import_metadata(store, read_product_csv(full))
        assert import_metadata(store, read_product_csv(bare)).matched == 2
        a, b = store.item_by_path("a.jpg"), store.item_by_path("b.jpg")
        assert (a.sku, a.name, a.attrs, b.sku, b.name) == ("S1", "Shirt", {"colour": "red"}, "S2", "Boot")
        import_metadata(store, read_product_csv(partial))  # name and one attribute change, the rest stays
        a = store.item_by_path("a.jpg")
        assert (a.sku, a.name, a.attrs) == ("S1", "Linen shirt", {"colour": "red", "size": "M"})


def test_a_photo_listed_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "path,sku\na.jpg,S1\nb.jpg,S2\n./a.jpg,S3\n")
    with pytest.raises(InputError, match=r"products.csv: ./a.jpg is listed twice \(lines 2 and 4\)"):
        read_product_csv(path)


def test_a_quote_that_never_closes_is_refused_instead_of_swallowing_the_rest(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'path,sku,name\na.jpg,S1,Shirt\nb.jpg,S2,"Red boot\nc.jpg,S3,Cap\nd.jpg,S4,Bag\n')
    with pytest.raises(InputError, match=r"line 3: a quoted field is not closed"):
        read_product_csv(path)
    fine = write_csv(tmp_path, 'path,name\na.jpg,"Shirt, red"\nb.jpg,"two\nlines"\nc.jpg,he said "hi"\n', name="fine.csv")
    assert [r["name"] for r in read_product_csv(fine).rows] == ["Shirt, red", "two\nlines", 'he said "hi"']


def test_a_field_of_5_mb_is_read_and_only_a_field_past_the_limit_is_refused_for_its_length(tmp_path: Path) -> None:
    from core.common.files import CSV_FIELD_LIMIT

    long = "<p>" + "a long description, with commas; and \"quotes\" " * 120_000 + "</p>"
    assert len(long) > 5 * 2**20
    quoted = long.replace('"', '""')
    path = write_csv(tmp_path, f'path,sku,description\na.jpg,S1,"{quoted}"\nb.jpg,S2,short\n')
    rows = read_product_csv(path).rows
    assert [(r["path"], r["sku"]) for r in rows] == [("a.jpg", "S1"), ("b.jpg", "S2")] and rows[0]["description"] == long.strip()
    past = write_csv(tmp_path, f'path,sku,description\na.jpg,S1,"{"x" * (CSV_FIELD_LIMIT + 1)}"\n', name="past.csv")
    with pytest.raises(InputError, match=r"past.csv: line 2: a field is longer than 64 MB"):
        read_product_csv(past)


def test_a_quote_left_open_at_the_end_is_said_so(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'path,sku,name\na.jpg,S1,Shirt\nb.jpg,S2,"Red boot\n')
    with pytest.raises(InputError, match=r"line 3: a quoted field is not closed before the end of the file"):
        read_product_csv(path)


def test_a_fifo_or_a_device_as_product_list_is_refused_without_waiting(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "products.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        read_product_csv(fifo)
    with pytest.raises(InputError, match="device"):
        read_product_csv(Path("/dev/zero"))
