"""`bench quality --photos`: how well Lookalike matches a folder of real, labelled product photos.

The photos are named by a label file's id column (`images/ID.jpg` beside `styles.csv`, as the
Fashion Product Images set has them). Only photos of a type with at least `min_per_type` photos
are scored, each one a query against the others: a type with 5 photos cannot fill a top 10.
Methods: the shipped encoder, the app's own `train` run on the photos' folder as a user would
run it (timed), raw grey pixels, HOG, and the seed's autoencoder. Contact sheets of random
queries and their top matches, mismatches framed in red, go beside the JSON.
"""
from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.bench.hog import hog_descriptors
from core.catalog import load_batch, scan_catalog
from core.common import DEFAULT_ENCODER, SMALL_ENCODER, CancelToken, InputError, Progress, ProgressFn, no_progress
from core.lists import RetrievalQuality, nearest, retrieval_quality
from core.similarity import OnnxEncoder, index_catalog
from core.storage import Workspace, atomic


@dataclass(frozen=True)
class LabelColumns:
    """Which columns of the label file say what (defaults: the Fashion Product Images set's)."""

    id: str = "id"
    fine: str = "articleType"
    coarse: str = "subCategory"
    colour: str = "baseColour"


@dataclass(frozen=True)
class PhotoSet:
    """The scored photos: their files, their decoded squares and their labels."""

    paths: list[Path]
    squares: np.ndarray  # (N, S, S, 3) uint8, decoded as the app decodes
    fine: np.ndarray
    coarse: np.ndarray
    colour: np.ndarray
    skipped_rare: int  # photos of a type with too few photos to fill a top 10

    def colour_codes(self) -> np.ndarray:
        return np.unique(self.colour, return_inverse=True)[1]


@dataclass(frozen=True)
class PhotoRow:
    method: str
    dims: int
    fine: RetrievalQuality  # same colour share and its chance are in fine's colour fields
    coarse: RetrievalQuality
    seconds: float | None = None  # training time, where the method trains


def read_labels(labels: Path, columns: LabelColumns) -> dict[str, dict[str, str]]:
    """id -> row of the label file; the columns named must be there."""
    try:
        with open(labels, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in (columns.id, columns.fine, columns.coarse, columns.colour) if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"{labels} has no column {missing[0]!r} (columns: {', '.join(reader.fieldnames or [])})")
            return {row[columns.id]: row for row in reader}
    except OSError as exc:
        raise InputError(f"cannot read {labels}: {exc.strerror or exc}") from None


def labelled_paths(folder: Path, labels: Path, columns: LabelColumns, min_per_type: int, least: int,
                   cancel: CancelToken | None = None) -> tuple[dict[str, dict[str, str]], list[str], int]:
    """The label rows, the photos of `folder` (relative paths, sorted) whose type has `min_per_type`
    photos or more, and how many labelled photos of rarer types were left out; refused in one line
    when fewer than `least` are left."""
    rows = read_labels(labels, columns)
    scan = scan_catalog(folder, cancel=cancel)
    found = sorted((f.path for f in scan.images if Path(f.path).stem in rows), key=str)
    if not found:
        raise InputError(f"no photo in {folder} is named by the {columns.id!r} column of {labels}")
    counts = Counter(rows[Path(p).stem][columns.fine] for p in found)
    kept = [p for p in found if counts[rows[Path(p).stem][columns.fine]] >= min_per_type]
    if len(kept) < least:
        raise InputError(f"fewer than {least} photos belong to a type with at least {min_per_type} photos")
    return rows, kept, len(found) - len(kept)


def load_photos(folder: Path, labels: Path, size: int, columns: LabelColumns = LabelColumns(), min_per_type: int = 20,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> PhotoSet:
    """The labelled photos of `folder` (matched to the label file by file name without suffix)."""
    rows, kept, rare = labelled_paths(folder, labels, columns, min_per_type, 2, cancel)
    paths = [folder / p for p in kept]
    squares = np.empty((len(paths), size, size, 3), np.uint8)
    ok = np.ones(len(paths), bool)
    with cf.ThreadPoolExecutor(2) as pool:
        for start in range(0, len(paths), 256):
            if cancel is not None:
                cancel.raise_if_cancelled()
            pixels, errors = load_batch(paths[start : start + 256], size, pool)
            squares[start : start + len(pixels)] = pixels
            ok[start : start + len(pixels)] = [e is None for e in errors]
            progress(Progress("load", min(start + 256, len(paths)), len(paths)))
    meta = [rows[Path(p).stem] for p in kept]

    def column(name: str) -> np.ndarray:
        return np.array([m[name] for m in meta])[ok]

    return PhotoSet([p for p, good in zip(paths, ok) if good], squares[ok], column(columns.fine), column(columns.coarse),
                    column(columns.colour), rare)


def _row(method: str, vectors: np.ndarray, photos: PhotoSet, seconds: float | None = None) -> PhotoRow:
    fine = retrieval_quality(vectors, photos.fine, photos.colour_codes())
    return PhotoRow(method, int(vectors.shape[1]), fine, retrieval_quality(vectors, photos.coarse), seconds)


def train_as_a_user(folder: Path, epochs: int | None, progress: ProgressFn, cancel: CancelToken | None) -> tuple[OnnxEncoder, float, str]:
    """`index FOLDER` then `train FOLDER`, in a workspace of its own: (the encoder in use after, seconds of train, what it said)."""
    from core.training import train_on_catalog

    with tempfile.TemporaryDirectory(prefix="lookalike-bench-") as tmp:
        ws = Workspace.locate(folder, Path(tmp) / "workspace")
        index_catalog(ws, progress=progress, cancel=cancel)
        started = time.perf_counter()
        result = train_on_catalog(ws, epochs=epochs, progress=progress, cancel=cancel)
        seconds = time.perf_counter() - started
        return OnnxEncoder(ws.encoder_in_use()), seconds, result.verdict


def run_photo_bench(
    folder: Path,
    labels: Path,
    columns: LabelColumns = LabelColumns(),
    min_per_type: int = 20,
    epochs: int | None = None,
    sheet: Path | None = None,
    encoder: Path = DEFAULT_ENCODER,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[list[PhotoRow], list[str]]:
    """Every method's row on the labelled photos, and notes; contact sheets at `sheet` (-shipped, -trained)."""
    from core.bench.seed_model import seed_embeddings, train_seed

    shipped = OnnxEncoder(encoder)
    photos = load_photos(folder, labels, shipped.input_size, columns, min_per_type, progress, cancel)
    notes = [f"{len(photos.paths)} photos of {len(set(photos.fine))} {columns.fine} values scored; "
             f"{photos.skipped_rare} photos of rarer ones left out"]
    shipped_vectors = shipped.embed(photos.squares)
    rows = [_row("Lookalike (shipped encoder)", shipped_vectors, photos)]
    if shipped.has_features:
        rows.append(_row("its backbone's features alone (pooled, no autoencoder)", shipped.features(photos.squares), photos))
    small = OnnxEncoder(SMALL_ENCODER)
    small_photos = photos if small.input_size == shipped.input_size else load_photos(folder, labels, small.input_size, columns, min_per_type, cancel=cancel)
    rows.append(_row("Lookalike's small encoder (the default before)", small.embed(small_photos.squares), small_photos))
    trained, seconds, verdict = train_as_a_user(folder, epochs, progress, cancel)
    trained_vectors = trained.embed(photos.squares) if trained.input_size == shipped.input_size else trained.embed(
        load_photos(folder, labels, trained.input_size, columns, min_per_type, cancel=cancel).squares)
    rows.append(_row("Lookalike after `train` on the folder", trained_vectors, photos, seconds))
    if verdict:
        notes.append(f"train said: {verdict}")
    from core.bench.quality import grey_pixels

    rows.append(_row("raw grey pixels (32x32)", grey_pixels(photos.squares), photos))
    hog_photos = load_photos(folder, labels, 128, columns, min_per_type, cancel=cancel)
    rows.append(_row("HOG (9 bins, 16-px cells, 128 px)", hog_descriptors(hog_photos.squares), hog_photos))
    started = time.perf_counter()
    seed = train_seed(photos.squares, epochs=25, progress=progress, cancel=cancel)
    rows.append(_row("seed autoencoder (25 epochs on the photos)", seed_embeddings(seed, photos.squares), photos,
                     time.perf_counter() - started))
    if sheet is not None:
        for name, vectors in (("shipped", shipped_vectors), ("trained", trained_vectors)):
            write_contact_sheet(photos, vectors, sheet.with_name(f"{sheet.stem}-{name}{sheet.suffix}"))
    return rows, notes


def write_contact_sheet(photos: PhotoSet, vectors: np.ndarray, out: Path, queries: int = 12, matches: int = 8,
                        tile: int = 96, seed: int = 0) -> Path:
    """Random queries (left, framed grey) and their top matches; a match of another type is framed red."""
    picked = np.random.default_rng(seed).choice(len(photos.paths), min(queries, len(photos.paths)), replace=False)
    top = nearest(vectors, min(matches, len(photos.paths) - 1))
    label_h, gap = 14, 6
    width = (top.shape[1] + 1) * (tile + gap) + gap + tile // 2
    height = len(picked) * (tile + label_h + gap) + gap
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for row, q in enumerate(picked):
        y = gap + row * (tile + label_h + gap)
        cells = [(q, (120, 120, 120))] + [(m, (40, 160, 60) if photos.fine[m] == photos.fine[q] else (220, 30, 30)) for m in top[q]]
        for col, (index, frame) in enumerate(cells):
            x = gap + col * (tile + gap) + (tile // 2 if col else 0)
            sheet.paste(Image.fromarray(photos.squares[index]).resize((tile, tile), Image.Resampling.BILINEAR), (x, y))
            draw.rectangle((x - 2, y - 2, x + tile + 1, y + tile + 1), outline=frame, width=3)
            draw.text((x, y + tile + 2), str(photos.fine[index])[:15], fill=(0, 0, 0) if col == 0 or frame[1] == 160 else frame)
    with atomic.atomic_path(out) as tmp:
        sheet.save(tmp, format="PNG")
    return out


def format_photo_table(rows: list[PhotoRow], columns: LabelColumns = LabelColumns()) -> str:
    header = (f"| method | dims | p@1 | p@10 | mAP@10 by {columns.fine} | p@1 | p@10 | mAP@10 by {columns.coarse} "
              f"| same {columns.colour} in top 10 (chance) | training |")
    lines = [header, "|" + " --- |" * 10]
    for r in rows:
        f, c = r.fine, r.coarse
        trained = f"{r.seconds / 60:.1f} min" if r.seconds is not None else ""
        lines.append(f"| {r.method} | {r.dims} | {f.precision_at_1:.3f} | {f.precision_at_10:.3f} | {f.map_at_10:.3f} "
                     f"| {c.precision_at_1:.3f} | {c.precision_at_10:.3f} | {c.map_at_10:.3f} "
                     f"| {f.colour_leakage:.3f} ({f.leakage_chance:.3f}) | {trained} |")
    return "\n".join(lines)


def write_photo_json(rows: list[PhotoRow], notes: list[str], out: Path) -> None:
    atomic.write_text(out, json.dumps({"rows": [asdict(r) for r in rows], "notes": notes}, indent=1) + "\n")
