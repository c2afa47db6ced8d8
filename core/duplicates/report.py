"""Duplicate groups written for review: CSV (a row per member) or JSON (a record per group)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from core.common import InputError
from core.duplicates.groups import DuplicateGroup
from core.storage import atomic

DUPLICATE_FORMATS = ("csv", "json")
CSV_COLUMNS = ("group", "kind", "size", "path", "sku", "score")


def _csv(groups: list[DuplicateGroup]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, group in enumerate(groups, 1):
        for m in group.members:
            writer.writerow((number, group.kind, len(group.members), m.path, m.sku or "", f"{m.score:.4f}"))
    return text.getvalue()


def _json(groups: list[DuplicateGroup]) -> str:
    records = [
        {
            "group": number,
            "kind": group.kind,
            "score": round(group.score, 4),
            "members": [{"path": m.path, "sku": m.sku, "score": round(m.score, 4)} for m in group.members],
        }
        for number, group in enumerate(groups, 1)
    ]
    return json.dumps(records, indent=1) + "\n"


def write_duplicates(groups: list[DuplicateGroup], out: Path, fmt: str) -> None:
    """Write the groups, in the order given, to `out` at once (all or nothing)."""
    if fmt not in DUPLICATE_FORMATS:
        raise InputError(f"unknown duplicates format {fmt!r}: choose one of {', '.join(DUPLICATE_FORMATS)}")
    atomic.write_text(Path(out), _csv(groups) if fmt == "csv" else _json(groups))
