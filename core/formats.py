"""Writing recommendation lists to files: one writer fed by small format descriptions."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from core import atomic
from core.errors import InputError
from core.recommend import Recommendation

Row = dict[str, object]


@dataclass(frozen=True)
class CsvFormat:
    """A CSV layout: its columns and how one recommendation list becomes rows."""

    columns: tuple[str, ...]
    rows: Callable[[Recommendation], Iterable[Row]]


def _pair_rows(rec: Recommendation) -> Iterable[Row]:
    for rank, match in enumerate(rec.matches, 1):
        yield {
            "source_sku": rec.item.sku or "",
            "source_path": rec.item.path,
            "rank": rank,
            "target_sku": match.sku or "",
            "target_path": match.path,
            "score": f"{match.score:.6f}",
        }


CSV_FORMATS: dict[str, CsvFormat] = {
    "csv": CsvFormat(("source_sku", "source_path", "rank", "target_sku", "target_path", "score"), _pair_rows),
}
FORMATS = ("csv", "json")


def _json_text(recs: list[Recommendation]) -> str:
    entries = [
        {"path": r.item.path, "sku": r.item.sku, "recommendations": [m.as_json() for m in r.matches]} for r in recs
    ]
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"


def _csv_text(recs: list[Recommendation], layout: CsvFormat) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=layout.columns, lineterminator="\n")
    writer.writeheader()
    for rec in recs:
        writer.writerows(layout.rows(rec))
    return buffer.getvalue()


def check_destination(out: Path, catalog: Path) -> None:
    """Refuse to overwrite a folder or any file that belongs to the catalog itself."""
    out = Path(out).expanduser().resolve()
    if out.is_dir():
        raise InputError(f"output is a folder: {out}")
    catalog = catalog.resolve()
    if out.exists() and (catalog == out.parent or catalog in out.parents):
        raise InputError(f"refusing to overwrite a file inside the catalog: {out}")


def write_recommendations(recs: list[Recommendation], out: Path, fmt: str) -> None:
    """Write the lists to `out` in format `fmt`, atomically."""
    if fmt == "json":
        text = _json_text(recs)
    elif fmt in CSV_FORMATS:
        text = _csv_text(recs, CSV_FORMATS[fmt])
    else:
        raise InputError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    atomic.write_text(Path(out), text)
