"""Checks on files the user names (a query photo, a product list, a model) before they are opened."""
from __future__ import annotations

import csv
import os
import stat
from contextlib import contextmanager
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


def check_destination(out: Path, catalog: Path, workspace: Path | None = None) -> None:
    """Refuse an output path that would overwrite a folder, a device, the catalog's own files or the workspace's.

    Symbolic links are followed: what counts is the file that would be replaced. Inside the
    workspace nothing may be written; inside the catalog, a new file is allowed unless it is
    named as a photo or as the catalog's product list, which the next index run would read.
    """
    out = Path(out).expanduser().resolve()
    if out.is_dir():
        raise InputError(f"output is a folder: {out}")
    if workspace is not None and (Path(workspace).resolve() in out.parents or out == Path(workspace).resolve()):
        raise InputError(f"refusing to write inside Lookalike's workspace: {out}")
    inside_catalog = Path(catalog).resolve() in out.parents
    if out.exists():
        if not out.is_file():
            raise InputError(f"output is not a regular file: {out}")
        if inside_catalog:
            raise InputError(f"refusing to overwrite a file inside the catalog: {out}")
    elif inside_catalog and (out.suffix.lower() in IMAGE_SUFFIXES or out.name.lower() == METADATA_NAME):
        raise InputError(f"refusing to write {out.name} inside the catalog, where it would be read as part of it: {out}")


def csv_records(reader, name: str):
    """(line number, cells) of each row a strict csv.reader gives, an unclosed quote an InputError naming its line."""
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{name}: line {line}: a quoted field is not closed properly ({exc})") from None
        yield line, values


@contextmanager
def reading_csv(path: Path, what: str) -> Iterator[TextIO]:
    """`path` opened as UTF-8 text for a csv reader; each way it can fail becomes a one-line InputError."""
    check_regular_file(path, what)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            yield fh
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path.name}: not a readable CSV ({exc})") from None
