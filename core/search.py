"""Finding a catalog's lookalikes for a photo or for one of its own items."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.colour import DIMENSIONS as COLOUR_DIMENSIONS, colour_descriptor
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
        self.colour_index = SearchIndex(ws.colour_index, COLOUR_DIMENSIONS) if ws.colour_index.exists() else None
        if self.colour_index is not None and len(self.colour_index) != len(self.positions):
            self.colour_index = None
        self._position_of = {int(item_id): pos for pos, item_id in enumerate(self.positions)}
        self._items = self.store.items_by_id(self.positions.tolist())

    def close(self) -> None:
        self.index.close()
        if self.colour_index is not None:
            self.colour_index.close()
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

    def describe_image(self, image: Path | Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """(shape embedding, colour descriptor) of a photo from a file or already in memory."""
        size = self.encoder.input_size
        pixels = load_square(Path(image), size) if isinstance(image, (str, Path)) else fit_square(image, size)
        return self.encoder.embed(pixels[None])[0], colour_descriptor(pixels)

    def embed_image(self, image: Path | Image.Image) -> np.ndarray:
        """The shape embedding of a photo."""
        return self.describe_image(image)[0]

    def similar_to_vector(
        self,
        vector: np.ndarray,
        k: int,
        exclude_item: int | None = None,
        colour: np.ndarray | None = None,
        colour_weight: float = 0.0,
    ) -> list[Match]:
        """The k nearest items by shape, or by (1 - w) * shape + w * colour similarity when w > 0.

        Blending searches both indexes for candidates and re-ranks their union, so a search
        stays a pair of Annoy look-ups whatever the weight.
        """
        if k <= 0:
            raise InputError("k must be at least 1")
        if not 0.0 <= colour_weight <= 1.0:
            raise InputError("colour weight must be between 0 and 1")
        exclude = self._position_of.get(exclude_item) if exclude_item is not None else None
        unit = normalise(vector)
        if colour_weight == 0.0 or colour is None:
            scored = [(hit.position, hit.score) for hit in self.index.search(unit, k, exclude=exclude)]
        else:
            if self.colour_index is None:
                raise SearchIndexError("this index has no colours yet; index the catalog again to match by colour")
            pool = max(k * 10, 100)
            candidates = {h.position for h in self.index.search(unit, pool, exclude=exclude)}
            candidates |= {h.position for h in self.colour_index.search(colour, pool, exclude=exclude)}
            scored = []
            for position in candidates:
                shape = float(np.dot(unit, self.index.vector(position)))
                hue = float(np.dot(colour, self.colour_index.vector(position)))
                scored.append((position, (1.0 - colour_weight) * shape + colour_weight * hue))
            scored.sort(key=lambda pair: -pair[1])
            scored = scored[:k]
        matches = []
        for position, score in scored:
            item = self._items[int(self.positions[position])]
            matches.append(Match(item.id, item.path, score, item.sku, item.name, item.category))
        return matches

    def similar_to_image(self, image: Path | Image.Image, k: int, colour_weight: float = 0.0) -> list[Match]:
        """The k catalog items that look most like `image`, best first."""
        vector, colour = self.describe_image(image)
        return self.similar_to_vector(vector, k, colour=colour, colour_weight=colour_weight)

    def similarity(self, a: int, b: int, colour_weight: float = 0.0) -> float | None:
        """The score `similar_to_item` gives b as a match for a (None if either is not indexed)."""
        pa, pb = self._position_of.get(a), self._position_of.get(b)
        if pa is None or pb is None:
            return None
        shape = float(np.dot(self.index.vector(pa), self.index.vector(pb)))
        if colour_weight == 0.0 or self.colour_index is None:
            return shape
        hue = float(np.dot(self.colour_index.vector(pa), self.colour_index.vector(pb)))
        return (1.0 - colour_weight) * shape + colour_weight * hue

    def similar_to_item(self, item_id: int, k: int, colour_weight: float = 0.0) -> list[Match]:
        """The k other catalog items that look most like item `item_id`, best first."""
        position = self._position_of.get(item_id)
        if position is None:
            raise InputError(f"item {item_id} is not in the index")
        colour = self.colour_index.vector(position) if self.colour_index is not None else None
        return self.similar_to_vector(self.index.vector(position), k, item_id, colour, colour_weight)
