"""Finding duplicate groups from the stored content hashes, shape embeddings and colour descriptors.

Exact copies share a content hash. Two photos whose shape embeddings are at least
`near_shape` alike are one photo or one design; their colour descriptors tell which: at least
`near_colour` alike is the same photo altered (a near-duplicate), less is another colourway (a
variant). Near-duplicates are grouped by linking every such pair; a variant group joins
near-duplicate groups (or single photos) linked by a variant pair, one member for each. Pairs
a person marked "not duplicates" are never linked. The thresholds are those with the best pair
F1 on `bench duplicates`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.duplicates.groups import DuplicateGroup, Member, ordered
from core.similarity import COLOUR_DIMENSIONS
from core.storage import CatalogStore, Item, Workspace, read_state


@dataclass(frozen=True)
class DuplicateSettings:
    near_shape: float = 0.935  # shape cosine at or above which two photos are one photo or one design
    near_colour: float = 0.93  # colour cosine at or above which such a pair is one photo, below a variant
    block: int = 1024  # rows of the similarity matrix computed at once


class _Links:
    """Union-find over photo rows."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def root(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int) -> None:
        self.parent[self.root(a)] = self.root(b)

    def components(self, rows: Sequence[int]) -> list[list[int]]:
        parts: dict[int, list[int]] = defaultdict(list)
        for r in rows:
            parts[self.root(r)].append(r)
        return [sorted(p) for p in parts.values() if len(p) > 1]


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _alike_pairs(
    shapes: np.ndarray, settings: DuplicateSettings, progress: ProgressFn, cancel: CancelToken
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows a, rows b, shape scores) of every pair a < b at least `near_shape` alike."""
    n = len(shapes)
    found_a, found_b, found_s = [], [], []
    for start in range(0, n, settings.block):
        cancel.raise_if_cancelled()
        scores = shapes[start : start + settings.block] @ shapes.T
        a, b = np.nonzero(scores >= settings.near_shape)
        keep = a + start < b
        found_a.append(a[keep] + start)
        found_b.append(b[keep])
        found_s.append(scores[a[keep], b[keep]])
        progress(Progress("duplicates", min(n, start + settings.block), n))
    return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_s)


def _exact_groups(
    items: Sequence[Item], dismissed: set[tuple[int, int]]
) -> tuple[list[DuplicateGroup], dict[int, int]]:
    """Groups of photos with the same content hash, and row -> the row standing for its copies."""
    by_hash: dict[str, list[int]] = defaultdict(list)
    for row, item in enumerate(items):
        if item.hash:
            by_hash[item.hash].append(row)
    groups, stand_in = [], {}
    for rows in by_hash.values():
        rows = sorted(rows, key=lambda r: items[r].path)
        if len(rows) < 2 or all(_pair(items[x].id, items[y].id) in dismissed for x in rows for y in rows if x < y):
            continue
        groups.append(DuplicateGroup("exact", tuple(Member(items[r].id, items[r].path, items[r].sku, 1.0) for r in rows)))
        stand_in.update({r: rows[0] for r in rows[1:]})
    return groups, stand_in


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def group_photos(
    items: Sequence[Item],
    shapes: np.ndarray,
    colours: np.ndarray | None,
    settings: DuplicateSettings = DuplicateSettings(),
    dismissed: set[tuple[int, int]] = frozenset(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[DuplicateGroup]:
    """The duplicate groups of photos (`shapes` and `colours` row by row with `items`), largest first.

    `dismissed` holds (smaller, larger) item id pairs that are not to be linked.
    """
    cancel = cancel or CancelToken()
    groups, stand_in = _exact_groups(items, dismissed)
    n = len(items)
    if n < 2:
        return ordered(groups)
    a, b, shape = _alike_pairs(_unit(shapes), settings, progress, cancel)
    a = np.array([stand_in.get(r, r) for r in a.tolist()], np.int64)
    b = np.array([stand_in.get(r, r) for r in b.tolist()], np.int64)
    keep = (a != b) & np.array([_pair(items[x].id, items[y].id) not in dismissed for x, y in zip(a, b)], bool)
    a, b, shape = a[keep], b[keep], shape[keep]
    if colours is None:
        same = np.ones(len(a), bool)  # nothing to tell colourways by: every pair counts as one photo
    else:
        unit = _unit(colours)
        same = np.einsum("ij,ij->i", unit[a], unit[b]) >= settings.near_colour
    pairs = list(zip(a.tolist(), b.tolist(), shape.tolist(), same.tolist()))
    near_links, design_links = _Links(n), _Links(n)
    best: dict[int, float] = defaultdict(float)  # row -> its best score to another member of its group
    for x, y, s, one_photo in pairs:
        design_links.join(x, y)
        if one_photo:
            near_links.join(x, y)
            best[x], best[y] = max(best[x], s), max(best[y], s)
    linked = sorted(set(a.tolist()) | set(b.tolist()))
    for rows in near_links.components(linked):
        groups.append(DuplicateGroup("near", tuple(_member(items[r], best[r]) for r in rows)))
    groups += _variant_groups(items, pairs, linked, near_links, design_links)
    return ordered(groups)


def _variant_groups(
    items: Sequence[Item], pairs: list, linked: list[int], near_links: _Links, design_links: _Links
) -> list[DuplicateGroup]:
    """One group per design holding two or more near groups (or single photos) linked as colourways."""
    design_of = {r: near_links.root(r) for r in linked}  # each photo's near group
    variant_best: dict[int, float] = defaultdict(float)
    for x, y, s, one_photo in pairs:
        if not one_photo and design_of[x] != design_of[y]:
            for root in (design_of[x], design_of[y]):
                variant_best[root] = max(variant_best[root], s)
    groups = []
    for rows in design_links.components(linked):
        shown: dict[int, int] = {}  # near group -> the first of its photos, standing for it
        for r in sorted(rows, key=lambda r: items[r].path):
            if design_of[r] in variant_best:
                shown.setdefault(design_of[r], r)
        if len(shown) > 1:
            members = sorted((_member(items[r], variant_best[root]) for root, r in shown.items()), key=lambda m: m.path)
            groups.append(DuplicateGroup("variant", tuple(members)))
    return groups


def _member(item: Item, score: float) -> Member:
    return Member(item.id, item.path, item.sku, round(score, 4))


def find_duplicates(
    ws: Workspace,
    settings: DuplicateSettings = DuplicateSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[DuplicateGroup]:
    """The duplicate groups of an indexed catalog's searchable photos, largest first."""
    from core.duplicates.memory import DuplicateMemory

    with CatalogStore(ws.database) as store:
        model_id = read_state(store).model_id
        ids, shapes = store.embeddings(model_id)
        colours = store.colours(model_id, COLOUR_DIMENSIONS)
        items = store.items_by_id(ids.tolist())
        dismissed = DuplicateMemory(store).dismissed_pairs()
    rows = [items[int(i)] for i in ids]
    return group_photos(rows, shapes, colours, settings, dismissed, progress, cancel)
