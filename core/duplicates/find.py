"""Finding duplicate groups: exact copies by content hash, near-duplicates and colourways by registering the photos.

Exact copies share a content hash. Every other pair is decided by the photos themselves
(core.duplicates.registration): registered onto each other, they are one photo (the same pixels
where both show the product, an overlay aside), one design in other colours, or two photos. Only
the candidates are registered, each photo with
- the photos whose shape embeddings are at least `near_shape` alike and stand out from the crowd of
  each one's other close photos (at least `margin` above each one's `crowd`th most alike, or at
  least `sure` alike: thirty copies of one placeholder photo are their own crowd),
- its `neighbours` most alike by shape (at least `neighbour_shape` alike), and
- its `frame_candidates` most alike by frame print and `outline_candidates` by the print's outlines
  (core.duplicates.frames): a crop moves the trimmed product the embedding sees, a banner the frame.
Near-duplicates are grouped pair by pair, the most alike by shape first; a variant group is a design
(photos registered as one design) holding two or more near groups or single photos. Pairs a person
marked "not duplicates" are never linked, and no group joins two photos of such a pair.

A photo that cannot be read now (moved, or on a drive not mounted) is one photo with another when the
two are alike by shape, standing out from the crowd, and at least `near_colour` alike in colour.
Without the photos at all (`group_photos` given embeddings alone) every pair is judged so, and two
groups are joined only when they are alike in the middle (the median of every photo of one against
every photo of the other, by `group_shape` and `group_colour`), so that one chance pair does not chain
two products into one group.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from core.catalog import FRAME_PRINT, catalog_file, open_rgb
from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.duplicates import frames as frame_prints
from core.duplicates.groups import DuplicateGroup, Member, ordered
from core.duplicates.registered import register_pairs
from core.duplicates.registration import SIDE
from core.similarity import COLOUR_DIMENSIONS
from core.storage import CatalogStore, Item, Workspace, read_state


@dataclass(frozen=True)
class DuplicateSettings:
    near_shape: float = 0.935  # shape cosine at or above which two photos are a candidate pair (or, unread, one photo or design)
    near_colour: float = 0.93  # colour cosine at or above which such a pair, unread, is one photo, below a variant
    group_shape: float = 0.92  # embeddings alone: median shape cosine between two near groups at or above which they are joined
    group_colour: float = 0.95  # and their median colour cosine
    crowd: int = 20  # a pair must be alike beyond each photo's this-many-th most alike other photo
    margin: float = 0.03  # by this much shape cosine
    sure: float = 0.995  # shape cosine at or above which a pair counts however crowded (many copies of one photo)
    neighbours: int = 10  # each photo's this many most alike by shape (at most `crowd`) are candidates ...
    neighbour_shape: float = 0.75  # ... when at least this alike
    frame_candidates: int = 15  # and its this many most alike frame prints
    outline_candidates: int = 5  # and its this many most alike by the frame's outlines
    block: int = 1024  # rows of the similarity matrix computed at once


@dataclass(frozen=True)
class Frames:
    """Frame prints row by row with the photos (core.catalog.frame_print), and which rows have one."""

    prints: np.ndarray  # (N, size, size) uint8
    known: np.ndarray  # (N,) bool


class _AlikeGroups:
    """Groups over photo rows, two groups joined only when they are alike in the middle (in colour too, given
    colours), and never when a person marked two of their photos not duplicates."""

    def __init__(self, shapes: np.ndarray, colours: np.ndarray | None, settings: DuplicateSettings, apart: "_Apart") -> None:
        self.shapes, self.colours, self.settings, self.apart = shapes, colours, settings, apart
        self.group_of = list(range(len(shapes)))
        self.members: dict[int, list[int]] = {}  # a group of two or more -> its rows
        self.refused: set[tuple[int, int, int, int]] = set()  # (group, size, group, size) found too far apart

    def root(self, row: int) -> int:
        return self.group_of[row]

    def join(self, a: int, b: int) -> None:
        ga, gb = self.group_of[a], self.group_of[b]
        if ga == gb:
            return
        rows_a, rows_b = self.members.get(ga, [a]), self.members.get(gb, [b])
        key = (ga, len(rows_a), gb, len(rows_b))
        if key in self.refused:
            return
        if not self._alike(rows_a, rows_b) or self.apart(rows_a, rows_b):
            self.refused.add(key)
            return
        if len(rows_a) < len(rows_b):
            ga, gb, rows_a, rows_b = gb, ga, rows_b, rows_a
        self.members[ga] = rows_a + rows_b
        self.members.pop(gb, None)
        for row in rows_b:
            self.group_of[row] = ga

    def _alike(self, rows_a: list[int], rows_b: list[int]) -> bool:
        if float(np.median(self.shapes[rows_a] @ self.shapes[rows_b].T)) < self.settings.group_shape:
            return False
        if self.colours is None:
            return True
        return float(np.median(self.colours[rows_a] @ self.colours[rows_b].T)) >= self.settings.group_colour

    def groups(self) -> list[list[int]]:
        return [sorted(m) for m in self.members.values()]


class _Apart:
    """Whether two sets of rows hold two photos a person marked not duplicates."""

    def __init__(self, items: Sequence[Item], dismissed: set[tuple[int, int]]) -> None:
        self.items, self.dismissed = items, dismissed

    def __call__(self, rows_a: list[int], rows_b: list[int]) -> bool:
        if not self.dismissed:
            return False
        ids_b = [self.items[r].id for r in rows_b]
        return any(_pair(self.items[r].id, y) in self.dismissed for r in rows_a for y in ids_b)


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class _ShapePairs:
    a: np.ndarray  # rows a < b of the pairs at least `near_shape` alike and standing out from the crowd
    b: np.ndarray
    scores: np.ndarray
    neighbours: np.ndarray  # (M, 2) rows a < b: either among the other's `neighbours` most alike, `neighbour_shape` or more


def _alike_pairs(shapes: np.ndarray, settings: DuplicateSettings, progress: ProgressFn, cancel: CancelToken) -> _ShapePairs:
    """The pairs alike by shape, and each row's closest; one pass over the similarity matrix for both."""
    n = len(shapes)
    found_a, found_b, found_s, close = [], [], [], []
    crowd = np.full(n, -np.inf, np.float32)  # each row's crowd-th most alike other row's score
    reach = min(settings.crowd, n - 1)  # the row's this many most alike others (and itself) are sorted out
    count = min(settings.neighbours, reach)
    for start in range(0, n, settings.block):
        cancel.raise_if_cancelled()
        scores = shapes[start : start + settings.block] @ shapes.T
        rows = np.arange(start, start + len(scores))
        top = np.argpartition(-scores, reach, axis=1)[:, : reach + 1]
        top_scores = np.take_along_axis(scores, top, axis=1)
        if n > settings.crowd:  # (the row itself is among its scores, the most alike)
            crowd[rows] = top_scores.min(axis=1)
        a, b = np.nonzero(scores >= settings.near_shape)
        keep = a + start < b
        found_a.append(a[keep] + start)
        found_b.append(b[keep])
        found_s.append(scores[a[keep], b[keep]])
        top_scores[top == rows[:, None]] = -np.inf  # not itself
        order = np.argsort(-top_scores, axis=1, kind="stable")[:, :count]
        best, best_scores = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)
        near = best_scores >= settings.neighbour_shape
        close.append(np.stack([np.broadcast_to(rows[:, None], best.shape)[near], best[near]], axis=1))
        progress(Progress("duplicates", min(n, start + settings.block), n))
    a, b, s = np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_s)
    apart = (s >= np.maximum(crowd[a], crowd[b]) + settings.margin) | (s >= settings.sure)
    neighbours = np.unique(np.sort(np.concatenate(close), axis=1), axis=0)
    return _ShapePairs(a[apart], b[apart], s[apart], neighbours)


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
    frames: Frames | None = None,
    photos: Callable[[int], Image.Image] | None = None,
) -> list[DuplicateGroup]:
    """The duplicate groups of photos (`shapes`, `colours` and `frames` row by row with `items`), largest first.

    `dismissed` holds (smaller, larger) item id pairs that are not to be linked. With `photos` (a row's
    photo, opened at registration's SIDE), near-duplicates and colourways are decided by registering the candidate pairs.
    """
    cancel = cancel or CancelToken()
    groups, stand_in = _exact_groups(items, dismissed)
    n = len(items)
    if n < 2:
        return ordered(groups)
    units = _unit(shapes)
    distinct = np.array([r for r in range(n) if r not in stand_in], np.int64)  # exact copies count once, in the crowd too
    shape_pairs = _alike_pairs(units[distinct], settings, progress, cancel)
    a, b, shape = distinct[shape_pairs.a], distinct[shape_pairs.b], shape_pairs.scores
    keep = np.array([_pair(items[x].id, items[y].id) not in dismissed for x, y in zip(a, b)], bool)
    a, b, shape = a[keep], b[keep], shape[keep]
    colour_units = None if colours is None else _unit(colours)
    if photos is not None:
        close = [np.stack([a, b], axis=1), distinct[shape_pairs.neighbours]]
        if frames is not None and frames.known.any():
            printed = distinct[frames.known[distinct]]
            close.append(np.stack(frame_prints.candidates(
                frames.prints, printed, settings.frame_candidates, settings.block, progress, cancel, settings.outline_candidates
            ), axis=1))
        same = np.ones(len(a), bool) if colour_units is None else np.einsum("ij,ij->i", colour_units[a], colour_units[b]) >= settings.near_colour
        by_shape = np.stack([a[same], b[same]], axis=1)
        return ordered(groups + _registered_groups(items, units, np.concatenate(close), by_shape, dismissed, photos, progress, cancel))
    same = np.ones(len(a), bool) if colour_units is None else np.einsum("ij,ij->i", colour_units[a], colour_units[b]) >= settings.near_colour
    order = np.lexsort((b, a, -shape))  # the most alike first; ties in row order
    pairs = [(int(a[i]), int(b[i]), float(shape[i]), bool(same[i])) for i in order]
    apart = _Apart(items, dismissed)
    near_links, design_links = _AlikeGroups(units, colour_units, settings, apart), _AlikeGroups(units, None, settings, apart)
    for x, y, _, one_photo in pairs:
        design_links.join(x, y)
        if one_photo:
            near_links.join(x, y)
    best: dict[int, float] = defaultdict(float)  # row -> its best score to another member of its group
    for x, y, s, one_photo in pairs:
        if one_photo and near_links.root(x) == near_links.root(y):
            best[x], best[y] = max(best[x], s), max(best[y], s)
    for rows in near_links.groups():
        groups.append(DuplicateGroup("near", tuple(_member(items[r], best[r]) for r in rows)))
    linked = sorted(set(a.tolist()) | set(b.tolist()))
    groups += _variant_groups(items, pairs, linked, near_links, design_links)
    return ordered(groups)


def _registered_groups(
    items: Sequence[Item],
    units: np.ndarray,
    close: np.ndarray,
    by_shape: np.ndarray,
    dismissed: set[tuple[int, int]],
    photos: Callable[[int], Image.Image],
    progress: ProgressFn,
    cancel: CancelToken,
) -> list[DuplicateGroup]:
    """Near-duplicate and variant groups from the `close` pairs (rows) registered onto each other.

    A pair registered as one photo is one photo; registered as one design in other colours, another
    colourway. A pair with a photo that cannot be read now is one photo when it is among the `by_shape`
    pairs (alike by shape, standing out from the crowd, alike in colour). Near groups join their
    pairs, the most alike by shape first, and never two photos a person marked not duplicates; a pair
    whose photos are in one near group by then is not compared (it would change nothing).
    """
    pairs = np.unique(np.sort(close, axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    keep = np.array([_pair(items[x].id, items[y].id) not in dismissed for x, y in pairs], bool).reshape(-1)
    a, b = pairs[keep, 0], pairs[keep, 1]
    scores = np.einsum("ij,ij->i", units[a], units[b]) if len(a) else np.zeros(0, np.float32)
    order = np.lexsort((b, a, -scores))  # the most alike first; ties in row order
    a, b, scores = a[order], b[order], scores[order]
    shape_linked = {(int(x), int(y)) for x, y in np.sort(by_shape, axis=1)}
    apart = _Apart(items, dismissed)
    near_links, design_links = _Linked(apart), _Linked(apart)
    colourways, linked = [], set()

    def unsettled(i: int) -> bool:  # two photos already in one near group are one design too, whatever their pair shows
        return near_links.root(int(a[i])) != near_links.root(int(b[i]))

    for i, found, read in register_pairs(a, b, photos, unsettled, progress, cancel):
        x, y = int(a[i]), int(b[i])
        if read:
            photo, design = found is not None and found.one_photo, found is not None and found.one_design
        else:
            photo = design = (x, y) in shape_linked
        if photo:
            near_links.join(x, y)
        if design:
            design_links.join(x, y)
            linked |= {x, y}
            if not photo:
                colourways.append((x, y, float(scores[i]), False))
    groups = []
    for rows in near_links.groups():
        best = np.max(units[rows] @ units[rows].T - 2 * np.eye(len(rows)), axis=1)  # each one's most alike other member
        groups.append(DuplicateGroup("near", tuple(_member(items[r], float(s)) for r, s in zip(rows, best))))
    return groups + _variant_groups(items, colourways, sorted(linked), near_links, design_links)


class _Linked:
    """Photos joined pair by pair; never two groups holding two photos a person marked not duplicates."""

    def __init__(self, apart: _Apart) -> None:
        self.apart = apart
        self.members: dict[int, list[int]] = {}  # a group's first row -> its rows
        self.group_of: dict[int, int] = {}

    def root(self, row: int) -> int:
        return self.group_of.get(row, row)

    def join(self, a: int, b: int) -> bool:
        """Join the groups of rows a and b; whether they are one group now."""
        ga, gb = self.root(a), self.root(b)
        if ga == gb:
            return True
        rows_a, rows_b = self.members.get(ga, [a]), self.members.get(gb, [b])
        if self.apart(rows_a, rows_b):
            return False
        if len(rows_a) < len(rows_b):
            ga, gb, rows_a, rows_b = gb, ga, rows_b, rows_a
        self.members[ga] = rows_a + rows_b
        self.members.pop(gb, None)
        for row in self.members[ga]:
            self.group_of[row] = ga
        return True

    def groups(self) -> list[list[int]]:
        return [sorted(m) for m in self.members.values()]


def _variant_groups(
    items: Sequence[Item], pairs: list, linked: list[int], near_links: _AlikeGroups | _Linked, design_links: _AlikeGroups | _Linked
) -> list[DuplicateGroup]:
    """One group per design holding two or more near groups (or single photos) linked as colourways."""
    design_of = {r: near_links.root(r) for r in linked}  # each photo's near group
    variant_best: dict[int, float] = defaultdict(float)
    for x, y, s, one_photo in pairs:
        if not one_photo and design_of[x] != design_of[y]:
            for root in (design_of[x], design_of[y]):
                variant_best[root] = max(variant_best[root], s)
    groups = []
    for rows in design_links.groups():
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
    from core.duplicates.backfill import fill_missing_prints
    from core.duplicates.memory import DuplicateMemory

    with CatalogStore(ws.database) as store:
        model_id = read_state(store).model_id
    fill_missing_prints(ws, model_id, progress, cancel)  # photos embedded before frame prints were kept
    with CatalogStore(ws.database) as store:
        ids, shapes = store.embeddings(model_id)
        colours = store.colours(model_id, COLOUR_DIMENSIONS)
        prints, known = store.frames(model_id, FRAME_PRINT)
        items = store.items_by_id(ids.tolist())
        dismissed = DuplicateMemory(store).dismissed_pairs()
    rows = [items[int(i)] for i in ids]

    def photo(row: int) -> Image.Image:
        return open_rgb(catalog_file(ws.catalog, rows[row].path), SIDE)

    return group_photos(rows, shapes, colours, settings, dismissed, progress, cancel, Frames(prints, known), photo)
