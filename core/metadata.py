"""Importing a product list (CSV) and matching its rows to catalog photos."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core.errors import InputError
from core.store import CatalogStore

KEY_COLUMNS = ("path", "filename")
KNOWN_COLUMNS = ("sku", "name", "category", "link")


@dataclass(frozen=True)
class MetadataReport:
    matched: int
    unmatched: list[str] = field(default_factory=list)  # the row's path as written


def read_product_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a product CSV with lower-cased column names; the key column is renamed 'path'."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            sample = fh.read(65536)
            fh.seek(0)
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.DictReader(fh, dialect=dialect)
            header = [(name or "").strip().lower() for name in reader.fieldnames or []]
            key = next((name for name in KEY_COLUMNS if name in header), None)
            if key is None:
                raise InputError(f"{path.name}: needs a 'path' or 'filename' column")
            rows = []
            for raw in reader:
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
                row["path"] = row.pop(key)
                if row["path"]:
                    rows.append(row)
            return rows
    except FileNotFoundError:
        raise InputError(f"metadata file not found: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path.name}: not a readable CSV ({exc})") from None


def _normalise(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return PurePosixPath(path).as_posix()


def import_metadata(store: CatalogStore, rows: list[dict[str, str]]) -> MetadataReport:
    """Attach each row to the item at its path (or, for a bare file name, the only item so named)."""
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
    store.set_metadata(updates)
    return MetadataReport(matched=len(updates), unmatched=unmatched)
