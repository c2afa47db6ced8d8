"""Finding a catalog's photos: a recursive walk that recognises images by content, not by name."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from core.config import IMAGE_SUFFIXES
from core.errors import CatalogError, ImageError
from core.images import os_error_reason, sniff_format
from core.jobs import CancelToken, Progress, ProgressFn, no_progress

PROGRESS_EVERY = 500
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileInfo:
    """One file of the catalog, by its path relative to the catalog root (posix separators)."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanResult:
    """What a scan found: image files, and files named as images whose content is not one."""

    images: list[FileInfo]
    rejected: list[tuple[FileInfo, str]]


def scan_catalog(
    root: Path,
    skip: Sequence[Path] = (),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    trusted: Mapping[str, tuple[int, int]] | None = None,
) -> ScanResult:
    """Walk `root` (following folder symlinks, skipping hidden entries and `skip` folders) for images.

    A file listed in `trusted` (relative path -> size, mtime_ns of an image read before) whose
    size and mtime still match is taken as an image without reading its header.

    Raises CatalogError for a missing or unreadable root, Cancelled when `cancel` is set.
    """
    root = Path(root)
    try:
        root_stat = os.stat(root)
    except FileNotFoundError:
        raise CatalogError(f"catalog folder not found: {root}") from None
    except OSError as exc:
        raise _unreadable_root(root, exc) from exc
    if not stat.S_ISDIR(root_stat.st_mode):
        raise CatalogError(f"not a folder: {root}")

    skipped_dirs = {key for key in map(_dir_key, skip) if key is not None}
    visited: set[tuple[int, int]] = set()
    images: list[FileInfo] = []
    rejected: list[tuple[FileInfo, str]] = []
    # Folders reached through a symlink wait until every real folder is walked, so a file
    # seen both ways is listed under its real path.
    real_dirs: list[tuple[str, str]] = [(os.fspath(root), "")]
    linked_dirs: list[tuple[str, str]] = []
    files_seen = 0

    while real_dirs or linked_dirs:
        if cancel is not None:
            cancel.raise_if_cancelled()
        dir_path, prefix = real_dirs.pop() if real_dirs else linked_dirs.pop()
        key = _dir_key(dir_path)
        if key is None or key in visited or key in skipped_dirs:
            continue
        visited.add(key)
        try:
            subdirs, files = _list_dir(dir_path)
        except OSError as exc:
            if not prefix:
                raise _unreadable_root(root, exc) from exc
            continue
        for entry in sorted(subdirs, key=lambda e: e.name, reverse=True):
            target = linked_dirs if entry.is_symlink() else real_dirs
            target.append((entry.path, f"{prefix}{entry.name}/"))
        for entry in files:
            files_seen += 1
            if files_seen % PROGRESS_EVERY == 0:
                progress(Progress("scan", files_seen, 0, f"{len(images)} images"))
                if cancel is not None:
                    cancel.raise_if_cancelled()
            _classify(entry, prefix + entry.name, images, rejected, trusted or {})

    progress(Progress("scan", files_seen, files_seen, f"{len(images)} images"))
    images.sort(key=lambda info: info.path)
    rejected.sort(key=lambda item: item[0].path)
    return ScanResult(images, rejected)


def content_hash(path: Path) -> str:
    """Hex SHA-256 of the file's bytes (first 16 bytes), read in chunks; ImageError if unreadable.

    SHA-256 rather than BLAKE2: with the CPU's SHA instructions it hashes a full-size photo in
    half the time, which is a noticeable share of indexing one.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ImageError(os_error_reason(exc)) from exc
    return digest.hexdigest()[:32]


def _unreadable_root(root: Path, exc: OSError) -> CatalogError:
    return CatalogError(f"catalog folder unreadable: {root} ({os_error_reason(exc)})")


def _dir_key(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """The identity of the folder `path` resolves to, or None if it is not a readable folder."""
    # os.stat, not DirEntry.stat: on Windows the latter leaves st_ino and st_dev at zero.
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _list_dir(dir_path: str) -> tuple[list[os.DirEntry[str]], list[os.DirEntry[str]]]:
    """The visible subfolders and files (symlinks followed) of a folder, minus unreadable entries.

    Raises OSError if the folder itself cannot be listed.
    """
    subdirs: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    with os.scandir(dir_path) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    subdirs.append(entry)
                elif entry.is_file():
                    files.append(entry)
            except OSError:
                continue
    return subdirs, files


def _classify(
    entry: os.DirEntry[str],
    rel_path: str,
    images: list[FileInfo],
    rejected: list[tuple[FileInfo, str]],
    trusted: Mapping[str, tuple[int, int]],
) -> None:
    """Add the file to `images` or `rejected`, or leave it out (not an image, not named as one)."""
    named_as_image = os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES
    try:
        st = entry.stat()
    except OSError:
        return
    info = FileInfo(rel_path, st.st_size, st.st_mtime_ns)
    if trusted.get(rel_path) == (st.st_size, st.st_mtime_ns):
        images.append(info)
        return
    fmt: str | None = None
    if st.st_size == 0:
        reason = "empty file"
    else:
        try:
            fmt, reason = sniff_format(entry.path), "not an image"
        except FileNotFoundError:
            return
        except OSError as exc:
            reason = os_error_reason(exc)
    if fmt is not None:
        images.append(info)
    elif named_as_image:
        rejected.append((info, reason))
