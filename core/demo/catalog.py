"""Writing the demo catalog: its product photos, one folder per category, and its products.csv.

Each image depends only on (seed, position in the catalog). A folder is written only when it is
new, empty or an earlier demo, so nobody's own files are overwritten.
"""
from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

import numpy as np

from core.common import (
    METADATA_NAME,
    WORKSPACE_DIRNAME,
    CancelToken,
    CatalogError,
    InputError,
    Progress,
    ProgressFn,
    no_progress,
)
from core.demo.palette import PATTERN_ADJECTIVES
from core.demo.products import CATEGORIES, KINDS
from core.demo.render import render
from core.storage import atomic


@dataclass(frozen=True)
class DemoProduct:
    """One generated product, as listed in the demo catalog's products.csv."""

    path: str  # relative posix path inside the catalog, e.g. "sneakers/sneaker-0007.jpg"
    sku: str  # e.g. "SNE-0007"
    name: str  # e.g. "Red striped sneaker"
    category: str  # e.g. "sneakers"


CSV_COLUMNS = ("path", "sku", "name", "category")
JPEG_QUALITY = 90


def write_demo_catalog(
    dest: Path,
    count: int = 400,
    seed: int = 0,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[DemoProduct]:
    """Write `count` product images under dest (one subfolder per category) and dest/products.csv.

    Categories take turns, so their counts differ by at most one. `dest` must be missing, empty or an earlier
    demo (see `_earlier_demo`), else InputError before anything is written. Once the new products.csv is in
    place, the earlier demo's images it does not list (a larger count) are removed, and so are the category
    folders that leaves empty; Lookalike's workspace folder is left alone.
    """
    dest = Path(dest)
    if count <= 0:
        raise InputError(f"the demo catalog needs at least one image, not {count}")
    if dest.exists() and not dest.is_dir():
        raise InputError(f"cannot write the demo catalog into {dest}: it is a file, not a folder")
    products: list[DemoProduct] = []
    try:
        earlier = _earlier_demo(dest)
        progress(Progress(stage="demo", done=0, total=count))
        for index in range(count):
            if cancel is not None:
                cancel.raise_if_cancelled()
            path, sku, category = _product_place(index)
            kind = KINDS[category]
            image, colour, pattern = render(kind, _product_rng(seed, index))
            with atomic.atomic_path(dest / path) as tmp:
                image.save(tmp, format="JPEG", quality=JPEG_QUALITY)
            products.append(DemoProduct(path, sku, _name(colour, pattern, kind.noun), category))
            progress(Progress(stage="demo", done=index + 1, total=count, detail=path))
        atomic.write_text(dest / METADATA_NAME, _csv_text(products))
        written = {p.path for p in products}
        _remove(dest, [path for path in earlier if path not in written])
    except OSError as exc:
        raise CatalogError(f"cannot write the demo catalog in {dest}: {exc.strerror or exc}") from exc
    return products


def _product_rng(seed: int, index: int) -> np.random.Generator:
    # One stream per image: an image does not depend on how many were drawn before it.
    return np.random.default_rng(np.random.SeedSequence([abs(seed), int(seed < 0), index]))


def _name(colour: str, pattern: str, noun: str) -> str:
    adjective = PATTERN_ADJECTIVES[pattern]
    return " ".join(word for word in (colour, adjective, noun) if word)


def _product_place(index: int) -> tuple[str, str, str]:
    """The image path, SKU and category of the demo's product `index` (from 0); the seed does not change them."""
    category = CATEGORIES[index % len(CATEGORIES)]
    kind = KINDS[category]
    number = f"{index + 1:04d}"
    return f"{category}/{kind.noun}-{number}.jpg", f"{kind.code}-{number}", category


# What file managers leave in folders they have shown (macOS Finder, Windows Explorer).
_DESKTOP_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_IMAGE_PATH = re.compile(r"[a-z-]+/[a-z-]+-(\d{4,})\.jpg")
# atomic's temp file for the target folder/name: ".name." + 8 random characters + ".tmp", beside it
_TEMP_PATH = re.compile(r"(?:([^/]+)/)?\.([^/]+)\.[a-z0-9_]{8}\.tmp")


def _demo_index(path: str) -> int | None:
    """The index of the demo product whose image the demo writes at `path`, or None if it writes none there."""
    match = _IMAGE_PATH.fullmatch(path)
    if match is None or int(match[1]) == 0:
        return None
    index = int(match[1]) - 1
    return index if _product_place(index)[0] == path else None


def _is_demo_temp(path: str) -> bool:
    """Whether `path` is the temp file of an interrupted write of the demo's products.csv or of one of its images."""
    match = _TEMP_PATH.fullmatch(path)
    if match is None:
        return False
    target = "/".join(part for part in match.groups() if part)
    return target == METADATA_NAME or _demo_index(target) is not None


def _is_demo_csv(path: Path) -> bool:
    """Whether `path` is a products.csv the demo wrote: exactly its columns, and a demo product on every row."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            if next(reader, None) != list(CSV_COLUMNS):
                return False
            listed = False
            for row in reader:
                index = _demo_index(row[0]) if len(row) == len(CSV_COLUMNS) else None
                if index is None or _product_place(index) != (row[0], row[1], row[3]):
                    return False
                listed = True
            return listed
    except (UnicodeDecodeError, csv.Error):
        return False


def _files(folder: Path, leave: str = "") -> Iterator[Path]:
    """Everything under `folder` but folders, by name, skipping its entry `leave`; a link is not followed."""
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name == leave:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _files(Path(entry.path))
        else:
            yield Path(entry.path)


def _earlier_demo(dest: Path) -> list[str]:
    """The files earlier demo runs left in `dest`, its products.csv aside; InputError if it holds anything else.

    A file is the demo's if it is a regular file (not a link) and either a products.csv with exactly the demo's
    columns whose every row is a demo product (the path, SKU and category this module writes for some index,
    whatever the seed), an image at a path the demo writes (listed or not: an interrupted run writes no csv), or
    the temp file of an interrupted write of one of those. Every other file, hidden ones too, is someone's,
    except what file managers leave behind (.DS_Store, Thumbs.db, desktop.ini).
    Empty folders hold nothing to lose; Lookalike's workspace folder `.lookalike` at the top is not looked into.
    """
    if not dest.is_dir():
        return []
    found: list[str] = []
    for path in _files(dest, leave=WORKSPACE_DIRNAME):
        relative = path.relative_to(dest).as_posix()
        if path.name in _DESKTOP_LITTER:
            continue  # a file manager's notes on the folder, not anyone's work (left as it is)
        regular = path.is_file() and not path.is_symlink()
        listing = relative == METADATA_NAME and regular and _is_demo_csv(path)
        if not listing and not (regular and (_demo_index(relative) is not None or _is_demo_temp(relative))):
            raise InputError(
                f"{dest} holds files that are not a Lookalike demo (e.g. {relative}); choose an empty or new folder"
            )
        if not listing:
            found.append(relative)
    return found


def _remove(dest: Path, paths: list[str]) -> None:
    """Delete these files of an earlier demo, then the folders of theirs that are left empty."""
    for path in paths:
        (dest / path).unlink(missing_ok=True)
    for folder in {PurePosixPath(path).parent for path in paths} - {PurePosixPath(".")}:
        if (dest / folder).is_dir() and not any((dest / folder).iterdir()):
            (dest / folder).rmdir()


def _csv_text(products: list[DemoProduct]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows((p.path, p.sku, p.name, p.category) for p in products)
    return buffer.getvalue()
