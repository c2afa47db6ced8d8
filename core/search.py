"""Finding a catalog's lookalikes for a photo or for one of its own items."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.encoder import OnnxEncoder, normalise
from core.errors import InputError, SearchIndexError
from core.images import fit_square, load_square
from core.index import SearchIndex
from core.store import CatalogStore, Item
from core.workspace import Workspace


@dataclass(frozen=True)
class Match:
    """One lookalike: the catalog item and how alike it is (cosine similarity, 1 = identical)."""

    item_id: int
    path: str
    score: float
    sku: str | None = None
    name: str | None = None
    category: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "score": round(self.score, 6), "sku": self.sku}


class CatalogSearcher:
    """An indexed catalog, opened for searching: its encoder, its index and its items."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        if not ws.database.exists() or not ws.index.exists():
            raise SearchIndexError(f"catalog has not been indexed yet: {ws.catalog} (run: index {ws.catalog})")
        self.store = CatalogStore(ws.database)
        self.encoder = OnnxEncoder(ws.encoder_in_use())
        built_with = self.store.get_meta("model_id")
        if built_with != self.encoder.info.model_id:
            raise SearchIndexError("the index was built with a different model; index the catalog again")
        self.positions = self.store.index_map()
        self.index = SearchIndex(ws.index, self.encoder.info.latent_dim)
        if len(self.index) != len(self.positions):
            raise SearchIndexError("the index does not match the workspace; index the catalog again")
        self._position_of = {int(item_id): pos for pos, item_id in enumerate(self.positions)}
        self._items = self.store.items_by_id(self.positions.tolist())

    def close(self) -> None:
        self.index.close()
        self.store.close()

    def __enter__(self) -> "CatalogSearcher":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.positions)

    def items(self) -> list[Item]:
        """Every indexed item, in index order."""
        return [self._items[int(i)] for i in self.positions]

    def embed_image(self, image: Path | Image.Image) -> np.ndarray:
        """The embedding of a photo from a file or already in memory."""
        size = self.encoder.input_size
        pixels = load_square(Path(image), size) if isinstance(image, (str, Path)) else fit_square(image, size)
        return self.encoder.embed(pixels[None])[0]

    def similar_to_vector(self, vector: np.ndarray, k: int, exclude_item: int | None = None) -> list[Match]:
        if k <= 0:
            raise InputError("k must be at least 1")
        exclude = self._position_of.get(exclude_item) if exclude_item is not None else None
        hits = self.index.search(normalise(vector), k, exclude=exclude)
        matches = []
        for hit in hits:
            item = self._items[int(self.positions[hit.position])]
            matches.append(Match(item.id, item.path, hit.score, item.sku, item.name, item.category))
        return matches

    def similar_to_image(self, image: Path | Image.Image, k: int) -> list[Match]:
        """The k catalog items that look most like `image`, best first."""
        return self.similar_to_vector(self.embed_image(image), k)

    def similarity(self, a: int, b: int) -> float | None:
        """Cosine similarity of two indexed items (None if either is not indexed)."""
        pa, pb = self._position_of.get(a), self._position_of.get(b)
        if pa is None or pb is None:
            return None
        return float(np.dot(self.index.vector(pa), self.index.vector(pb)))

    def similar_to_item(self, item_id: int, k: int) -> list[Match]:
        """The k other catalog items that look most like item `item_id`, best first."""
        position = self._position_of.get(item_id)
        if position is None:
            raise InputError(f"item {item_id} is not in the index")
        return self.similar_to_vector(self.index.vector(position), k, exclude_item=item_id)
