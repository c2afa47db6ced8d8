"""`bench quality --photos --slider`: what the "Match by shape ... colour" slider does to real, labelled photos.

The scored photos (those of a type with at least `min_per_type` photos, as `bench quality
--photos` scores) are linked into a temporary catalog, indexed with the shipped encoder as
the app indexes, and every photo is asked for its top 10 through the app's own search at
each slider value. Reported per half of the photos (even and odd ids, so a setting chosen
on one half is checked on the other): precision@10 by the fine label and the share of the
top 10 with the query's colour label.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.bench.photos import LabelColumns, labelled_paths
from core.catalog import load_square
from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.similarity import CatalogSearcher, index_catalog
from core.storage import Workspace, atomic

SLIDER_VALUES = (0.0, 0.25, 0.5, 0.75, 1.0)
TOP = 10


@dataclass(frozen=True)
class SliderRow:
    """One half of the photos at one slider value."""

    half: str  # "even ids" or "odd ids"
    colour_weight: float
    type_precision: float  # share of the top 10 of the query's fine label
    same_colour: float  # share of the top 10 of the query's colour label
    queries: int


@dataclass(frozen=True)
class SliderSheet:
    """A query photo and its top matches at each slider value, labels beside."""

    query: str
    label: str
    tops: dict[float, list[tuple[str, str]]]  # colour weight -> (path, label) best first


def _half(stem: str, position: int) -> str:
    """Which half a photo is in: by its numeric id, else by its place in path order."""
    number = int(stem) if stem.isdigit() else position
    return "even ids" if number % 2 == 0 else "odd ids"


def run_slider_bench(
    folder: Path,
    labels: Path,
    columns: LabelColumns = LabelColumns(),
    min_per_type: int = 20,
    values: tuple[float, ...] = SLIDER_VALUES,
    sheet_queries: tuple[str, ...] = (),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[list[SliderRow], list[str], list[SliderSheet]]:
    """Every (half, slider value) row, notes, and the top 10s of `sheet_queries` (photo ids) at each value."""
    rows, kept, rare = labelled_paths(folder, labels, columns, min_per_type, TOP + 1, cancel)
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-") as tmp:
        catalog = Path(tmp) / "catalog"
        catalog.mkdir()
        for path in kept:  # links, so the photos are read where they are and never copied
            os.symlink((folder / path).resolve(), catalog / Path(path).name)
        ws = Workspace.locate(catalog, Path(tmp) / "workspace")
        index_catalog(ws, progress=progress, cancel=cancel)
        with CatalogSearcher(ws) as searcher:
            items = searcher.items()
            stem = {item.id: Path(item.path).stem for item in items}
            fine = {i: rows[s][columns.fine] for i, s in stem.items()}
            colour = {i: rows[s][columns.colour] for i, s in stem.items()}
            half = {i: _half(stem[i], n) for n, i in enumerate(sorted(stem, key=lambda i: stem[i]))}
            hits: dict[tuple[str, float], list[tuple[float, float]]] = {}
            for step, weight in enumerate(values):
                for n, (item_id, name) in enumerate(sorted(stem.items(), key=lambda pair: pair[1])):
                    if cancel is not None and n % 256 == 0:
                        cancel.raise_if_cancelled()
                    top = searcher.similar_to_item(item_id, TOP, weight)
                    hits.setdefault((half[item_id], weight), []).append(
                        (sum(fine[m.item_id] == fine[item_id] for m in top) / TOP,
                         sum(colour[m.item_id] == colour[item_id] for m in top) / TOP))
                progress(Progress("slider", step + 1, len(values)))
            by_stem = {s: i for i, s in stem.items()}
            sheets = [
                SliderSheet(str(catalog / Path(searcher.store.item(by_stem[q]).path).name), f"{fine[by_stem[q]]} / {colour[by_stem[q]]}",
                            {w: [(str(catalog / m.path), f"{fine[m.item_id]} / {colour[m.item_id]}")
                                 for m in searcher.similar_to_item(by_stem[q], TOP, w)] for w in values})
                for q in sheet_queries if q in by_stem
            ]
            sheets = [_resolved(s) for s in sheets]
    table = [
        SliderRow(name, weight, float(np.mean([h[0] for h in hits[(name, weight)]])),
                  float(np.mean([h[1] for h in hits[(name, weight)]])), len(hits[(name, weight)]))
        for name in ("even ids", "odd ids") for weight in values if (name, weight) in hits
    ]
    notes = [f"{len(kept)} photos of {len(set(fine.values()))} {columns.fine} values, each a query against the others; "
             f"{rare} photos of rarer ones left out"]
    return table, notes, sheets


def _resolved(sheet: SliderSheet) -> SliderSheet:
    """The sheet with the temporary catalog's links replaced by the photos they point at."""
    return SliderSheet(os.path.realpath(sheet.query), sheet.label,
                       {w: [(os.path.realpath(p), label) for p, label in top] for w, top in sheet.tops.items()})


def format_slider_table(rows: list[SliderRow], columns: LabelColumns = LabelColumns()) -> str:
    lines = [f"| photos | slider (colour weight) | p@10 by {columns.fine} | same {columns.colour} in top 10 | queries |",
             "|" + " --- |" * 5]
    lines += [f"| {r.half} | {r.colour_weight:.2f} | {r.type_precision:.3f} | {r.same_colour:.3f} | {r.queries} |" for r in rows]
    return "\n".join(lines)


def write_slider_json(rows: list[SliderRow], notes: list[str], out: Path) -> None:
    atomic.write_text(out, json.dumps({"rows": [asdict(r) for r in rows], "notes": notes}, indent=1) + "\n")


def write_slider_sheet(sheets: list[SliderSheet], out: Path, tile: int = 88) -> Path:
    """One block per query: a row per slider value, the query first (grey frame), then its top 10."""
    label_h, gap = 24, 6
    values = sorted({w for s in sheets for w in s.tops})
    width = gap + (TOP + 1) * (tile + gap) + 60
    height = gap + len(sheets) * (len(values) * (tile + label_h + gap) + 2 * gap)
    image = Image.new("RGB", (width, max(height, tile)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    y = gap
    for sheet in sheets:
        for weight in values:
            draw.text((gap, y + tile // 2), f"{weight:.2f}", fill=(0, 0, 0))
            cells = [(sheet.query, sheet.label)] + sheet.tops[weight]
            for col, (path, label) in enumerate(cells):
                x = 40 + col * (tile + gap)
                image.paste(Image.fromarray(load_square(Path(path), tile)), (x, y))
                if col == 0:
                    draw.rectangle((x - 2, y - 2, x + tile + 1, y + tile + 1), outline=(120, 120, 120), width=3)
                kind, _, hue = label.partition(" / ")
                draw.text((x, y + tile + 1), kind[:14], fill=(0, 0, 0))
                draw.text((x, y + tile + 11), hue[:14], fill=(0, 0, 0))
            y += tile + label_h + gap
        y += 2 * gap
    with atomic.atomic_path(out) as tmp:
        image.save(tmp, format="PNG")
    return out
