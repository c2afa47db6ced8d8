"""Importing a product list (CSV) and matching its rows to catalog photos."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Sequence

from core.common import InputError, csv_records, reading_csv
from core.storage import CatalogStore

KEY_COLUMNS = ("path", "filename")
KNOWN_COLUMNS = ("sku", "name", "category", "link")


@dataclass(frozen=True)
class MetadataReport:
    matched: int
    unmatched: list[str] = field(default_factory=list)  # the row's path as written


@dataclass(frozen=True)
class ProductList:
    """A product CSV as read: its rows (lower-cased column names, the key column called 'path') and its columns."""

    rows: list[dict[str, str]]
    columns: tuple[str, ...]


def read_product_csv(path: Path) -> ProductList:
    """Read a product CSV; InputError for a file that cannot be trusted to say what it means.

    Refused, with the line: a quote that opens a field and never closes (it would swallow the
    rest of the file into one name), and a photo listed on two rows (which one is right?).
    """
    with reading_csv(path, "metadata file") as fh:
        sample = fh.read(65536)
        fh.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(fh, dialect=dialect, strict=True)
        header = [(name or "").strip().lower() for name in next(reader, [])]
        key = next((name for name in KEY_COLUMNS if name in header), None)
        if key is None:
            raise InputError(f"{path.name}: needs a 'path' or 'filename' column")
        columns = tuple("path" if name == key else name for name in header if name)
        rows: list[dict[str, str]] = []
        first_line: dict[str, int] = {}
        for starts, values in csv_records(reader, path.name):
            row = {name: value.strip() for name, value in zip(header, values) if name}
            row["path"] = row.pop(key, "")
            if not row["path"]:
                continue
            wanted = _normalise(row["path"])
            if wanted in first_line:
                raise InputError(
                    f"{path.name}: {row['path']} is listed twice (lines {first_line[wanted]} and {starts}); keep one row per photo"
                )
            first_line[wanted] = starts
            rows.append(row)
        return ProductList(rows, columns)


def _normalise(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return PurePosixPath(path).as_posix()


def import_metadata(store: CatalogStore, rows: "ProductList | list[dict[str, str]]", columns: Sequence[str] | None = None) -> MetadataReport:
    """Attach each row to the item at its path (or, for a bare file name, the only item so named).

    Only the `columns` the list has are set (default: those its rows have), so a list with a
    path column and nothing else leaves every product's SKU and name as they were.
    """
    if isinstance(rows, ProductList):
        rows, columns = rows.rows, rows.columns
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    items = store.items()
    by_path = {item.path: item.id for item in items}
    by_name: dict[str, list[int]] = {}
    for item in items:
        by_name.setdefault(PurePosixPath(item.path).name, []).append(item.id)
    updates: list[tuple[int, dict[str, str | None]]] = []
    unmatched: list[str] = []
    for row in rows:
        wanted = _normalise(row["path"])
        item_id = by_path.get(wanted)
        if item_id is None and "/" not in wanted and len(by_name.get(wanted, ())) == 1:
            item_id = by_name[wanted][0]
        if item_id is None:
            unmatched.append(row["path"])
            continue
        updates.append((item_id, {k: v for k, v in row.items() if k != "path"}))
    store.set_metadata(updates, [c for c in columns if c != "path"])
    return MetadataReport(matched=len(updates), unmatched=unmatched)
