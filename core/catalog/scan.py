"""Finding a catalog's photos: a recursive walk that recognises images by content, not by name.

What is followed: folders and files inside the catalog, and symbolic links to folders and
files anywhere (a catalog may link in a folder from another drive), except a link to a
folder that holds the catalog itself (it would take in everything above it, the catalog
included) or to a system folder (/proc, /sys, /dev, /run). Hidden entries (names starting
with a dot) and the workspace are skipped silently. Everything else that is not taken is
reported with its reason: folders that cannot be read, names that are not UTF-8 text, paths
too long for the system, special files (FIFOs, devices) named as photos, links not
followed. Files named as photos that are not readable ones (HEIC, broken files) are
recorded as unreadable items.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Mapping, Sequence

from core.catalog.images import READABLE_FORMATS, UNREADABLE_FORMATS, os_error_reason, sniff
from core.common import (
    IMAGE_SUFFIXES,
    UNSUPPORTED_SUFFIXES,
    CancelToken,
    CatalogError,
    ImageError,
    Progress,
    ProgressFn,
    no_progress,
)

PROGRESS_EVERY = 500


Stamp = tuple[int, int, int, int]  # (size, mtime_ns, ctime_ns, inode): what a file's metadata says of its bytes


@dataclass(frozen=True)
class FileInfo:
    """One file of the catalog, by its path relative to the catalog root (posix separators).

    ctime_ns changes with every write to the file, even when its mtime is put back (a sync
    tool, a restore), and the inode with a file replaced by another: with size and mtime they
    are the stamp that lets an unchanged photo go unread.
    """

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @property
    def stamp(self) -> Stamp:
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode)


@dataclass(frozen=True)
class ScanResult:
    """What a scan found: image files, files named as images whose content is not one, and what it did not take."""

    images: list[FileInfo]
    rejected: list[tuple[FileInfo, str]]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path as text, reason): not recorded as items
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)  # (relative folder, reason)


_SYSTEM_FOLDERS = tuple(Path(p) for p in ("/proc", "/sys", "/dev", "/run"))


def shown(name: str) -> str:
    """A path or name as printable text (bytes that are not UTF-8 shown as \\xNN escapes)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def inside_catalog(catalog: Path, path: str) -> Path | None:
    """The file of the item at `path` inside `catalog`, or None when that path would lead out of the catalog.

    Pure path logic, on either kind of separator: an absolute path, a drive letter, or a part of only dots and
    spaces (`..`, and what Windows trims to it) is refused. Links are not resolved: a catalog may link in folders.
    """
    windows = PureWindowsPath(path)  # splits on both / and \, and sees drives and UNC shares
    if not path or windows.anchor or PurePosixPath(path).is_absolute() or any(not part.strip(". ") for part in windows.parts):
        return None
    return Path(catalog) / path


def catalog_file(catalog: Path, path: str) -> Path:
    """`inside_catalog`, raising ImageError for a path that would lead out of the catalog."""
    found = inside_catalog(catalog, path)
    if found is None:
        raise ImageError("its path leads outside the catalog folder; not read")
    return found


def scan_catalog(
    root: Path,
    skip: Sequence[Path] = (),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    trusted: Mapping[str, Stamp] | None = None,
) -> ScanResult:
    """Walk `root` (following links as the module says, skipping hidden entries and `skip` folders) for images.

    A file listed in `trusted` (relative path -> the `FileInfo.stamp` of an image read before)
    whose stamp still matches is taken as an image without reading its header.

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

    real_root = Path(os.path.realpath(root))
    skipped_dirs = {key for key in map(_dir_key, skip) if key is not None}
    visited: set[tuple[int, int]] = set()
    walk = _Walk(trusted or {})
    # Folders reached through a symlink wait until every real folder is walked, so a file
    # seen both ways is listed under its real path.
    real_dirs: list[tuple[str, str]] = [(os.fspath(root), "")]
    linked_dirs: list[tuple[str, str]] = []

    while real_dirs or linked_dirs:
        if cancel is not None:
            cancel.raise_if_cancelled()
        dir_path, prefix = real_dirs.pop() if real_dirs else linked_dirs.pop()
        key = _dir_key(dir_path)
        if key is None:
            if prefix:
                walk.folder_unreadable(prefix, dir_path)
            continue
        if key in visited or key in skipped_dirs:
            continue
        visited.add(key)
        try:
            subdirs, files = walk.list_dir(dir_path, prefix)
        except OSError as exc:
            if not prefix:
                raise _unreadable_root(root, exc) from exc
            walk.folder_unreadable(prefix, dir_path, exc)
            continue
        for entry in sorted(subdirs, key=lambda e: e.name, reverse=True):
            if entry.is_symlink():
                refusal = _link_refusal(entry.path, real_root)
                if refusal is not None:
                    walk.skipped.append((shown(prefix + entry.name), refusal))
                    continue
                linked_dirs.append((entry.path, f"{prefix}{entry.name}/"))
            else:
                real_dirs.append((entry.path, f"{prefix}{entry.name}/"))
        for entry in files:
            walk.files_seen += 1
            if walk.files_seen % PROGRESS_EVERY == 0:
                progress(Progress("scan", walk.files_seen, 0, f"{len(walk.images)} images"))
                if cancel is not None:
                    cancel.raise_if_cancelled()
            walk.classify(entry, prefix + entry.name)

    progress(Progress("scan", walk.files_seen, walk.files_seen, f"{len(walk.images)} images"))
    walk.images.sort(key=lambda info: info.path)
    walk.rejected.sort(key=lambda item: item[0].path)
    walk.skipped.sort()
    return ScanResult(walk.images, walk.rejected, walk.skipped, sorted(walk.unreadable))


def _link_refusal(link: str, real_root: Path) -> str | None:
    """Why a link to a folder is not followed (None: it is)."""
    target = Path(os.path.realpath(link))
    if target == real_root or target in real_root.parents:
        return f"a link to {target}, which holds the catalog itself; not followed"
    if any(target == folder or folder in target.parents for folder in _SYSTEM_FOLDERS):
        return f"a link to the system folder {target}; not followed"
    return None


class _Walk:
    """What a scan has found so far."""

    def __init__(self, trusted: Mapping[str, Stamp]) -> None:
        self.trusted = trusted
        self.images: list[FileInfo] = []
        self.rejected: list[tuple[FileInfo, str]] = []
        self.skipped: list[tuple[str, str]] = []
        self.unreadable: list[tuple[str, str]] = []
        self.files_seen = 0

    def folder_unreadable(self, prefix: str, dir_path: str, exc: OSError | None = None) -> None:
        if exc is None:
            try:
                os.stat(dir_path)
            except OSError as found:
                exc = found
        reason = os_error_reason(exc) if exc is not None else "not a folder any more"
        if exc is not None and exc.errno == errno.ENOENT and os.path.islink(dir_path):
            reason = f"it is a link to {os.readlink(dir_path)}, which is not there (a drive not mounted?)"
        self.unreadable.append((prefix.rstrip("/"), reason))
        self.skipped.append((shown(prefix.rstrip("/")), f"folder could not be read: {reason}"))

    def list_dir(self, dir_path: str, prefix: str) -> tuple[list[os.DirEntry[str]], list[os.DirEntry[str]]]:
        """The visible subfolders and files (symlinks followed) of a folder; what cannot be taken is reported.

        Raises OSError if the folder itself cannot be listed.
        """
        subdirs: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        with os.scandir(dir_path) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if not _utf8(entry.name):
                    self.skipped.append((shown(prefix + entry.name), "its name is not valid UTF-8 text; rename it to include it"))
                    continue
                try:
                    if entry.is_dir():
                        subdirs.append(entry)
                    elif entry.is_file():
                        files.append(entry)
                    elif entry.is_symlink() and not os.path.exists(entry.path):
                        if _named_as_image(entry.name):
                            self.skipped.append((prefix + entry.name, f"a link to {os.readlink(entry.path)}, which is not there"))
                        else:  # a folder behind a link to a drive that is not mounted, most likely
                            self.folder_unreadable(prefix + entry.name + "/", entry.path)
                    elif _named_as_image(entry.name):
                        self.skipped.append((prefix + entry.name, _special_reason(entry)))
                except OSError as exc:
                    if _named_as_image(entry.name) or entry.is_symlink():
                        self.skipped.append((prefix + entry.name, os_error_reason(exc)))
        return subdirs, files

    def classify(self, entry: os.DirEntry[str], rel_path: str) -> None:
        """Add the file to `images`, `rejected` or `skipped`, or leave it out (not an image, not named as one)."""
        suffix = os.path.splitext(entry.name)[1].lower()
        try:
            st = entry.stat()
        except OSError as exc:
            if _named_as_image(entry.name):
                self.skipped.append((rel_path, os_error_reason(exc)))
            return
        info = FileInfo(rel_path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        if self.trusted.get(rel_path) == info.stamp:
            self.images.append(info)
            return
        fmt: str | None = None
        if st.st_size == 0:
            reason = "empty file"
        else:
            try:
                fmt, reason = sniff(entry.path), "not an image"
            except FileNotFoundError:
                return
            except OSError as exc:
                reason = os_error_reason(exc)
        if fmt is not None and fmt not in READABLE_FORMATS:
            self.rejected.append((info, UNREADABLE_FORMATS[fmt]))  # a photo by its content, of a kind not read
        elif fmt is not None:
            self.images.append(info)
        elif suffix in UNSUPPORTED_SUFFIXES:
            self.rejected.append((info, UNSUPPORTED_SUFFIXES[suffix]))
        elif suffix in IMAGE_SUFFIXES:
            self.rejected.append((info, reason))


def sniff_format_of(fmt: str) -> str | None:
    """The format itself when it is one that is read, else None (HEIC, or AVIF without a decoder)."""
    return None if fmt in UNREADABLE_FORMATS and fmt not in _readable() else fmt


def _readable() -> frozenset[str]:
    from core.catalog.images import _READABLE

    return _READABLE


def _named_as_image(name: str) -> bool:
    suffix = os.path.splitext(name)[1].lower()
    return suffix in IMAGE_SUFFIXES or suffix in UNSUPPORTED_SUFFIXES


def _special_reason(entry: os.DirEntry[str]) -> str:
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        return os_error_reason(exc)
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a file; not read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file; not read"
    return "not a regular file; not read"


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
