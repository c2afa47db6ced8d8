"""Where a catalog's work lives: the workspace folder and the paths inside it."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # not POSIX: runs are not kept apart
    fcntl = None  # type: ignore[assignment]

from core import config
from core.errors import CatalogError


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
        """Hold the workspace for a run that rewrites it; a second such run meanwhile gets CatalogError.

        The lock is the operating system's, on a file in the workspace: it goes with the
        process, so a run that crashed or was killed never leaves the workspace locked.
        """
        with open(self.root / config.LOCK_NAME, "a") as handle:
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise CatalogError(f"another Lookalike run is {doing} {self.catalog}; try again when it has finished") from None
            yield

    @property
    def database(self) -> Path:
        return self.root / config.DATABASE_NAME

    @property
    def encoder(self) -> Path:
        return self.root / config.ENCODER_NAME

    @property
    def index(self) -> Path:
        return self.root / config.INDEX_NAME

    @property
    def colour_index(self) -> Path:
        return self.root / config.COLOUR_INDEX_NAME

    @property
    def thumbs(self) -> Path:
        return self.root / config.THUMBS_DIRNAME

    def encoder_in_use(self) -> Path:
        """The workspace's own encoder if it has one, else the embedded default."""
        return self.encoder if self.encoder.exists() else config.DEFAULT_ENCODER


def _holds_photos(folder: Path) -> bool:
    try:
        return any(entry.suffix.lower() in config.IMAGE_SUFFIXES for entry in folder.iterdir())
    except OSError:  # missing (made later) or unreadable: nothing of the catalog's in it
        return False
