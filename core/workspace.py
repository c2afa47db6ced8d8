"""Where a catalog's work lives: the workspace folder and the paths inside it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
