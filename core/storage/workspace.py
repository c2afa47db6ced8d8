"""Where a catalog's work lives: the workspace folder and the paths inside it.

A workspace belongs to one catalog: its database records the catalog's folder, and a
workspace given with --workspace that another catalog still uses is refused. Nothing in the
workspace is written through a link: its folders are made real, its files replaced, never
followed elsewhere.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

try:
    import fcntl
except ImportError:  # not POSIX: runs are not kept apart
    fcntl = None  # type: ignore[assignment]

from core.common import CatalogError, config

if TYPE_CHECKING:
    from core.storage.store import CatalogStore


@dataclass(frozen=True)
class Workspace:
    """A catalog folder and its workspace (by default `<catalog>/.lookalike`)."""

    catalog: Path
    root: Path

    @classmethod
    def locate(cls, catalog: Path | str, workspace: Path | str | None = None, create: bool = True) -> "Workspace":
        """Check the catalog folder and find (or make) its workspace."""
        catalog = Path(catalog).expanduser()
        if not catalog.exists():
            raise CatalogError(f"catalog folder not found: {catalog}")
        if not catalog.is_dir():
            raise CatalogError(f"not a folder: {catalog}")
        catalog = catalog.resolve()
        root = Path(workspace).expanduser().resolve() if workspace else catalog / config.WORKSPACE_DIRNAME
        if root == catalog:
            raise CatalogError(f"the workspace cannot be the catalog folder itself: {catalog}")
        if workspace and catalog in root.parents and _holds_photos(root):
            # indexing skips the workspace, so these photos would silently drop out of the catalog
            raise CatalogError(f"the workspace {root} holds photos of the catalog; choose an empty folder")
        if workspace:
            _check_owner(root, catalog)
        if create:
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CatalogError(
                    f"cannot create workspace {root} ({exc.strerror}); use --workspace to put it elsewhere"
                ) from None
            if not os.access(root, os.W_OK):
                raise CatalogError(f"workspace {root} is not writable; use --workspace to put it elsewhere")
        elif not root.is_dir():
            raise CatalogError(f"catalog has not been indexed yet: {catalog} (run: index {catalog})")
        return cls(catalog, root)

    @contextlib.contextmanager
    def exclusive(self, doing: str) -> Iterator[None]:
        """Hold the workspace for a run that rewrites it (`doing`: "indexing", "making lists for", ...).

        A second such run meanwhile gets CatalogError saying what the first one is doing. The
        lock is the operating system's, on a file in the workspace: it goes with the process,
        so a run that crashed or was killed never leaves the workspace locked.
        """
        path = self.root / config.LOCK_NAME
        _replace_link(path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            raise CatalogError(f"cannot lock the workspace {self.root}: {exc.strerror}") from None
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "using"
                    raise CatalogError(f"another Lookalike run is {holder} {self.catalog}; try again when it has finished") from None
                os.ftruncate(fd, 0)
                os.pwrite(fd, doing.encode("utf-8"), 0)
            yield
        finally:
            os.close(fd)

    @property
    def database(self) -> Path:
        return self.root / config.DATABASE_NAME

    @property
    def thumbs(self) -> Path:
        return self.folder(config.THUMBS_DIRNAME)

    def file(self, name: str) -> Path:
        """A file of the workspace by name; a link put in its place is removed, so nothing is written through it."""
        path = self.root / name
        _replace_link(path)
        return path

    def folder(self, name: str) -> Path:
        """A folder of the workspace (made if missing); a link in its place is replaced by a real folder."""
        path = self.root / name
        _replace_link(path)
        try:
            path.mkdir(exist_ok=True)
        except FileExistsError:
            raise CatalogError(f"{path} should be a folder of the workspace but is a file") from None
        except OSError:
            pass  # a read-only workspace: readers find what is there
        return path

    def encoder_in_use(self) -> Path:
        """The encoder the workspace's index was built with: its own model, else the embedded default."""
        from core.storage.index_state import encoder_path, read_state
        from core.storage.store import CatalogStore

        if not self.database.is_file():
            return config.DEFAULT_ENCODER
        with CatalogStore(self.database) as store:
            return encoder_path(self.root, read_state(store))

    def previous_encoder(self) -> Path | None:
        """The encoder in use before the current one (to go back to), or None when there was none."""
        from core.storage.index_state import previous_encoder_path, read_state
        from core.storage.store import CatalogStore

        if not self.database.is_file():
            return None
        with CatalogStore(self.database) as store:
            return previous_encoder_path(self.root, read_state(store))

    def claim(self, store: "CatalogStore") -> None:
        """Record in the workspace's database that it is this catalog's (every run that writes does)."""
        if store.get_meta(CATALOG_KEY) != str(self.catalog):
            store.set_meta({CATALOG_KEY: str(self.catalog)})


CATALOG_KEY = "catalog_path"


def _replace_link(path: Path) -> None:
    """Remove a symbolic link at `path` (the file it points to is left alone)."""
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CatalogError(f"cannot use {path}: {exc.strerror}") from None


def _check_owner(root: Path, catalog: Path) -> None:
    """Refuse a workspace whose database says it is another catalog's, while that catalog is still there.

    A recorded catalog that no longer exists is taken as moved: the workspace follows it.
    """
    database = root / config.DATABASE_NAME
    if not database.is_file():
        return
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = ?", (CATALOG_KEY,)).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return  # unreadable: opening it reports that, and recovery deals with it
    owner = Path(row[0]) if row else None
    if owner is not None and owner != catalog and owner.is_dir():
        raise CatalogError(
            f"the workspace {root} belongs to the catalog {owner}, not {catalog}; give each catalog its own --workspace"
        )


def _holds_photos(folder: Path) -> bool:
    try:
        return any(entry.suffix.lower() in config.IMAGE_SUFFIXES for entry in folder.iterdir())
    except OSError:  # missing (made later) or unreadable: nothing of the catalog's in it
        return False
