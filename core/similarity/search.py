"""Finding a catalog's lookalikes for a photo or for one of its own items."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Collection

import numpy as np
from PIL import Image

from core.catalog import catalog_file, fit_square, load_square
from core.common import CancelToken, IndexSettings, InputError, ProgressFn, SearchIndexError, no_progress
from core.similarity.blend import ScoreParts, blend, score_parts
from core.similarity.colour import DIMENSIONS as COLOUR_DIMENSIONS
from core.similarity.colour import Swatch, colour_descriptor, main_colours
from core.similarity.encoder import OnnxEncoder, normalise
from core.similarity.index import SearchIndex
from core.similarity.neighbours import SCORE_DECIMALS, NeighbourTable
from core.storage import (
    CatalogStore,
    DamagedIndexError,
    IndexState,
    Item,
    Workspace,
    check_state,
    encoder_path,
    read_state,
)


def ranked(scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """(item id, score) pairs best first; tied scores in item-id order."""
    return sorted(scored, key=lambda pair: (-round(pair[1], SCORE_DECIMALS), pair[0]))


# How far colour may reach, as a multiple of the list's length: at colour weight 1 a list of k is the
# k of the 20 k nearest shapes closest in colour. Chosen on half of 3,000 real product photos as the
# widest reach whose middle of the slider keeps precision by product type within 5 points of shape
# alone; the other half agrees (the numbers: `bench quality --slider`).
WIDEST_REACH = 20


def shape_neighbourhood(k: int, colour_weight: float) -> int:
    """How many of the nearest shapes a blended list of k is chosen from: k at weight 0, k * WIDEST_REACH at 1.

    Colour similarities bunch near 1 (most photos share some hue) while shape similarities
    spread out, so a blend over the whole catalog is decided by colour from a low weight on:
    a red T-shirt's list fills with red hats and bags. Bounding the candidates by shape keeps
    every list among products of a like kind; the bound grows by the same factor for each
    step of the weight, so each step of the slider widens it alike.
    """
    return max(k, round(k * WIDEST_REACH**colour_weight))


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
    """An indexed catalog, opened for searching: its encoder, its index and its items.

    Items embedded since the Annoy index was built (a small re-index defers the rebuild) are
    searched exactly beside it, and index positions whose item changed or went away are
    skipped, so answers are always those of the catalog as last indexed.
    """

    def __init__(self, ws: Workspace, search_k: int | None = None) -> None:
        self.ws = ws
        self.search_k = IndexSettings().annoy_search_k if search_k is None else search_k
        if not ws.database.exists():
            raise SearchIndexError(f"catalog has not been indexed yet: {ws.catalog} (run: index {ws.catalog})")
        self.store = CatalogStore(ws.database)
        self.colour_index: SearchIndex | None = None
        self._shape_table: NeighbourTable | None = None
        self._colour_rows: np.ndarray | None = None
        try:
            for attempt in (1, 2):  # an index run elsewhere may replace the files between reading the record and opening them
                state = read_state(self.store)
                if state is None:
                    raise SearchIndexError(f"catalog has not been indexed yet: {ws.catalog} (run: index {ws.catalog})")
                if (ws.root / state.shape_name).is_file() or attempt == 2:
                    break
            self._open(state)
        except BaseException:
            self.close()
            raise

    def _open(self, state: IndexState) -> None:
        ws, store = self.ws, self.store
        if not (ws.root / state.shape_name).is_file():
            raise SearchIndexError(f"catalog has not been indexed yet: {ws.catalog} (run: index {ws.catalog})")
        check_state(ws.root, state)  # before Annoy maps a file: it does not check what it reads
        self.encoder = OnnxEncoder(encoder_path(ws.root, state))
        model_id = state.model_id
        if model_id != self.encoder.info.model_id:
            raise SearchIndexError("the index was built with a different model; index the catalog again")
        self.positions = store.index_map()
        self.index = SearchIndex(ws.root / state.shape_name, self.encoder.info.latent_dim)
        if len(self.index) != len(self.positions):
            raise DamagedIndexError("the index does not match the workspace; it is rebuilt from the stored embeddings by: index")
        colour_name = state.colour_name
        if colour_name is not None and (ws.root / colour_name).is_file():
            self.colour_index = SearchIndex(ws.root / colour_name, COLOUR_DIMENSIONS)
            if len(self.colour_index) != len(self.positions):
                self.colour_index.close()
                self.colour_index = None
        pending_ids, pending_vectors, pending_colours = store.pending(model_id, COLOUR_DIMENSIONS)
        ok = store.searchable_ids()
        self._live = np.isin(self.positions, ok) & ~np.isin(self.positions, pending_ids)
        live = np.flatnonzero(self._live)
        self._position_of = dict(zip(self.positions[live].tolist(), live.tolist()))
        self._pending_ids = pending_ids
        self._pending_row = {int(item_id): row for row, item_id in enumerate(pending_ids)}
        self._pending_vectors = normalise(pending_vectors) if len(pending_ids) else np.zeros((0, self.index.dim), np.float32)
        if pending_colours is None and len(pending_ids) and self.colour_index is not None:
            self.colour_index = None  # some new items have no colour yet: colour matching waits for a re-index
        self._pending_colours = pending_colours if pending_colours is not None else np.zeros((0, COLOUR_DIMENSIONS), np.float32)

    def close(self) -> None:
        if getattr(self, "index", None) is not None:
            self.index.close()
        if self.colour_index is not None:
            self.colour_index.close()
        self.store.close()

    def __enter__(self) -> "CatalogSearcher":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._position_of) + len(self._pending_ids)

    def items(self) -> list[Item]:
        """Every searchable item: those in the index in index order, then those added since."""
        ids = self.positions[self._live].tolist() + self._pending_ids.tolist()
        found = self.store.items_by_id(ids)
        return [found[i] for i in ids if i in found]

    def describe_image(self, image: Path | Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """(shape embedding, colour descriptor) of a photo from a file or already in memory."""
        size = self.encoder.input_size
        pixels = load_square(Path(image), size) if isinstance(image, (str, Path)) else fit_square(image, size)
        return self.encoder.embed(pixels[None])[0], colour_descriptor(pixels)

    def embed_image(self, image: Path | Image.Image) -> np.ndarray:
        """The shape embedding of a photo."""
        return self.describe_image(image)[0]

    def _vector(self, item_id: int) -> np.ndarray:
        row = self._pending_row.get(item_id)
        return self._pending_vectors[row] if row is not None else self.index.vector(self._position_of[item_id])

    def _colour(self, item_id: int) -> np.ndarray:
        assert self.colour_index is not None
        row = self._pending_row.get(item_id)
        return self._pending_colours[row] if row is not None else self.colour_index.vector(self._position_of[item_id])

    def _indexed(self, index: SearchIndex, vector: np.ndarray, k: int, exclude: int | None) -> list[tuple[int, float]]:
        """(item id, score) of the k best live items in an Annoy index, asking for more while skipped ones crowd them out.

        Items tied with the k-th are all fetched before the cut, so which of them make the list is
        decided by item id (`ranked`), not by the order one build of the index happens to keep.
        """
        want = k + 1  # one more than asked: whether the k-th is tied with what comes after shows at once
        while True:
            hits = index.search(vector, want, search_k=self.search_k, exclude=self._position_of.get(exclude) if exclude is not None else None)
            live = ranked([(int(self.positions[h.position]), h.score) for h in hits if self._live[h.position]])
            if len(hits) < want or (len(live) >= k and round(hits[-1].score, SCORE_DECIMALS) < round(live[k - 1][1], SCORE_DECIMALS)):
                return live[:k]
            want *= 2

    def _exact(self, vector: np.ndarray, k: int, exclude: int | None) -> list[tuple[int, float]]:
        """(item id, score) of the k best items added since the index was built, by exact search."""
        if not len(self._pending_ids):
            return []
        scores = self._pending_vectors @ vector
        if exclude is not None and exclude in self._pending_row:
            scores[self._pending_row[exclude]] = -np.inf
        top = np.lexsort((self._pending_ids, -np.round(scores, SCORE_DECIMALS)))[:k]
        return [(int(self._pending_ids[r]), float(scores[r])) for r in top if np.isfinite(scores[r])]

    def similar_to_vector(
        self,
        vector: np.ndarray,
        k: int,
        exclude_item: int | None = None,
        colour: np.ndarray | None = None,
        colour_weight: float = 0.0,
        also_exclude: Collection[int] = (),
    ) -> list[Match]:
        """The k nearest items by shape, or when w > 0 the k best by (1 - w) * shape + w * colour
        similarity among the `shape_neighbourhood(k, w)` nearest by shape.

        `also_exclude` are items never answered besides `exclude_item` (the other photos of
        its product, say).
        """
        if k <= 0:
            raise InputError("k must be at least 1")
        k = min(k, len(self))  # a longer list than the catalog is the whole catalog
        if not 0.0 <= colour_weight <= 1.0:
            raise InputError("colour weight must be between 0 and 1")
        left_out = {int(i) for i in also_exclude} - {exclude_item}
        wanted = k + len(left_out)  # enough that k are left once those are taken out
        unit = normalise(vector)
        if colour_weight == 0.0 or colour is None:
            scored = self._indexed(self.index, unit, wanted, exclude_item) + self._exact(unit, wanted, exclude_item)
        else:
            if self.colour_index is None:
                raise SearchIndexError("this index has no colours yet; index the catalog again to match by colour")
            reach = min(shape_neighbourhood(wanted, colour_weight), len(self))
            near = ranked(self._indexed(self.index, unit, reach, exclude_item) + self._exact(unit, reach, exclude_item))[:reach]
            scored = [
                (i, blend(float(np.dot(unit, self._vector(i))), float(np.dot(colour, self._colour(i))), colour_weight))
                for i, _ in near
            ]
        scored = ranked([(i, score) for i, score in scored if i not in left_out])
        found = self.store.items_by_id(i for i, _ in scored[:k])  # names and SKUs as they are now
        # (an item a re-index running meanwhile has just removed is left out)
        return [Match(i, found[i].path, score, found[i].sku, found[i].name, found[i].category) for i, score in scored[:k] if i in found]

    def _table(self, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> NeighbourTable:
        """Every searchable item's shape embedding, ready for many nearest-neighbour queries at once."""
        if self._shape_table is None:
            ids = np.concatenate([self.positions[self._live], self._pending_ids]).astype(np.int64)
            shape = np.array([self._vector(i) for i in ids.tolist()], np.float32).reshape(len(ids), self.index.dim)
            self._shape_table = NeighbourTable(shape, ids, progress=progress, cancel=cancel)
        return self._shape_table

    def _colours(self, table: NeighbourTable) -> np.ndarray:
        """Every searchable item's colour descriptor, in the rows of `table`."""
        if self.colour_index is None:
            raise SearchIndexError("this index has no colours yet; index the catalog again to match by colour")
        if self._colour_rows is None:
            self._colour_rows = np.array([self._colour(i) for i in table.ids.tolist()], np.float32).reshape(len(table.ids), COLOUR_DIMENSIONS)
        return self._colour_rows

    def locality_order(
        self, item_ids: list[int], colour_weight: float = 0.0, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
    ) -> list[int]:
        """`item_ids` in the order `similar_to_items` answers fastest in (a large catalog is clustered first: "cluster" steps).

        Any colour weight gives the same order: candidates are always found by shape."""
        return self._table(progress, cancel).locality_order(item_ids)

    def similar_to_items(
        self, item_ids: list[int], k: int, colour_weight: float = 0.0, cancel: CancelToken | None = None
    ) -> dict[int, list[tuple[int, float]]]:
        """{item: (item id, score) of its k most alike other items, best first} for many items at once.

        What `similar_to_item` answers, scored exactly (or, in a catalog above the table's exact
        limit, among the nearest clusters) by matrix products instead of one search each: the way
        to make every list of a large catalog.
        """
        if k <= 0:
            raise InputError("k must be at least 1")
        if not 0.0 <= colour_weight <= 1.0:
            raise InputError("colour weight must be between 0 and 1")
        table = self._table()
        if colour_weight == 0.0:
            found = table.neighbours(item_ids, k, cancel)
            return {item: list(zip(ids.tolist(), scores.tolist())) for item, (ids, scores) in found.items()}
        colours = self._colours(table)
        by_id = np.argsort(table.ids)
        answer: dict[int, list[tuple[int, float]]] = {}
        for item, (ids, shape) in table.neighbours(item_ids, shape_neighbourhood(k, colour_weight), cancel).items():
            rows = by_id[np.searchsorted(table.ids[by_id], ids)]
            scores = blend(shape.astype(np.float64), colours[rows] @ colours[table.row_of[item]], colour_weight)
            best = np.lexsort((ids, -np.round(scores, SCORE_DECIMALS)))[:k]
            answer[item] = list(zip(ids[best].tolist(), scores[best].tolist()))
        return answer

    def similar_to_image(self, image: Path | Image.Image, k: int, colour_weight: float = 0.0) -> list[Match]:
        """The k catalog items that look most like `image`, best first."""
        vector, colour = self.describe_image(image)
        return self.similar_to_vector(vector, k, colour=colour, colour_weight=colour_weight)

    def similarity(self, a: int, b: int, colour_weight: float = 0.0) -> float | None:
        """The score `similar_to_item` gives b as a match for a (None if either is not indexed)."""
        parts = self.score_parts(a, b, colour_weight)
        return parts.score if parts is not None else None

    def score_parts(self, a: int, b: int, colour_weight: float = 0.0) -> ScoreParts | None:
        """b's score as a match for a, split into shape and colour as `similar_to_item` blends them (None if either is not indexed)."""
        if not (a in self and b in self):
            return None
        if self.colour_index is None:
            return score_parts(normalise(self._vector(a)), self._vector(b), None, None, colour_weight)
        return score_parts(normalise(self._vector(a)), self._vector(b), self._colour(a), self._colour(b), colour_weight)

    def main_colours(self, item_id: int, most: int = 5) -> list[Swatch]:
        """An item's main colours, read from its photo as indexing reads it for the colour descriptor."""
        item = self.store.item(item_id)
        if item is None:
            raise InputError(f"item {item_id} is not in the catalog")
        return main_colours(load_square(catalog_file(self.ws.catalog, item.path), self.encoder.input_size), most)

    def __contains__(self, item_id: object) -> bool:
        """Whether an item can be searched for (indexed and readable)."""
        return item_id in self._position_of or item_id in self._pending_row

    def similar_to_item(self, item_id: int, k: int, colour_weight: float = 0.0, exclude: Collection[int] = ()) -> list[Match]:
        """The k other catalog items that look most like item `item_id`, best first; never one of `exclude`."""
        if item_id not in self:
            raise InputError(f"item {item_id} is not in the index")
        colour = self._colour(item_id) if self.colour_index is not None else None
        return self.similar_to_vector(self._vector(item_id), k, item_id, colour, colour_weight, exclude)
