"""Checks on files the user names (a query photo, a product list, a model) before they are opened."""
from __future__ import annotations

import csv
import os
import stat
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

from core.common.config import IMAGE_SUFFIXES, METADATA_NAME
from core.common.errors import InputError


def check_regular_file(path: Path, what: str = "file") -> None:
    """Raise InputError unless `path` is a regular file (following links).

    Opening a FIFO waits for a writer and a device like /dev/zero never ends: both would
    hang the run, so they are refused by name before anything reads them.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{what} is a folder, not a file: {path}")
    if stat.S_ISFIFO(mode):
        raise InputError(f"{what} is a FIFO (named pipe), not a file: {path}")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise InputError(f"{what} is a device, not a file: {path}")
    if not stat.S_ISREG(mode):
        raise InputError(f"{what} is not a regular file: {path}")


def check_destination(out: Path, catalog: Path | None, workspace: Path | None = None) -> None:
    """Refuse an output path that would overwrite a folder, a device, the catalog's own files or the workspace's.

    Every way to a catalog file counts: the path as given and with its links resolved, folders
    the catalog links in from elsewhere, and other names (hard links) of its files. Inside the
    workspace nothing may be written; inside the catalog, a new file is allowed unless it is
    named as a photo or as the catalog's product list, which the next index run would read.
    `catalog` None: no catalog is involved, only what the path is is checked.
    """
    given = Path(os.path.abspath(Path(out).expanduser()))
    out = Path(os.path.realpath(given))
    if out.is_dir():
        raise InputError(f"output is a folder: {out}")
    if workspace is not None and any(_under(path, folder) for path in (given, out) for folder in _both(workspace)):
        raise InputError(f"refusing to write inside Lookalike's workspace: {out}")
    exists = out.exists()
    if exists and not out.is_file():
        raise InputError(f"output is not a regular file: {out}")
    if catalog is None:
        return
    inside = any(_under(path, folder) for path in (given, out) for folder in _both(catalog))
    read_as_catalog = out.suffix.lower() in IMAGE_SUFFIXES or out.name.lower() == METADATA_NAME
    if not inside and (exists or read_as_catalog):
        reach = catalog_reach(Path(catalog))
        inside = any(_under(out, folder) for folder in reach.folders)
        if exists and not inside and _identity(out) in reach.files:
            raise InputError(f"refusing to overwrite {out}: it is a file of the catalog {catalog} under another name")
    if exists and inside:
        raise InputError(f"refusing to overwrite a file inside the catalog: {out}")
    if inside and read_as_catalog:
        raise InputError(f"refusing to write {out.name} inside the catalog, where it would be read as part of it: {out}")


@dataclass(frozen=True)
class CatalogReach:
    """Where a catalog's files are: its real folders (its own and those it links in) and its files' identities."""

    folders: list[Path]
    files: set[tuple[int, int]]  # (st_dev, st_ino) of every visible file, links followed


def catalog_reach(catalog: Path) -> CatalogReach:
    """Walk the catalog as a scan does (hidden entries skipped, folder links followed unless they hold the catalog)."""
    root = Path(os.path.realpath(catalog))
    folders: list[Path] = []
    files: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    todo = [root]
    while todo:
        folder = todo.pop()
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            folders.append(folder)
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    with suppress(OSError):
                        if entry.is_dir():
                            real = Path(os.path.realpath(entry.path))
                            if not (real == root or real in root.parents or real.parts[1:2] in _SYSTEM):
                                todo.append(real)
                        elif entry.is_symlink() or not entry.inode():  # (no inode from the listing on Windows)
                            files.add(_identity(Path(entry.path)))
                        elif entry.is_file():
                            files.add((st.st_dev, entry.inode()))
        except OSError:
            continue
    return CatalogReach(folders, files)


_SYSTEM = {("proc",), ("sys",), ("dev",), ("run",)}


def _identity(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _both(folder: Path) -> tuple[Path, Path]:
    """A folder as given (made absolute) and with its links resolved."""
    given = Path(os.path.abspath(Path(folder).expanduser()))
    return given, Path(os.path.realpath(given))


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


# The longest field a product list or shop export may hold (a long description, a picture put in a
# cell). Python's csv module stops at 128 KiB; a quote that never closes still stops at this.
CSV_FIELD_LIMIT = 64 * 2**20


def csv_records(reader, name: str):
    """(line number, cells) of each row a strict csv.reader gives; a row it cannot read is an InputError naming its line."""
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{name}: line {line}: {_csv_problem(str(exc))}") from None
        yield line, values


def _csv_problem(message: str) -> str:
    if message.startswith("field larger than field limit"):
        return f"a field is longer than {CSV_FIELD_LIMIT // 2**20} MB (a quote opened there and never closed?)"
    if message == "unexpected end of data":
        return "a quoted field is not closed before the end of the file"
    return f"a quoted field is not closed properly ({message})"


@contextmanager
def reading_csv(path: Path, what: str) -> Iterator[TextIO]:
    """`path` opened as UTF-8 text for a csv reader; each way it can fail becomes a one-line InputError."""
    check_regular_file(path, what)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)  # the module's own limit is one for the whole process
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            yield fh
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path.name}: not a readable CSV ({exc})") from None
