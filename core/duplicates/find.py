"""Finding duplicate groups from the stored content hashes, shape embeddings and colour descriptors.

Exact copies share a content hash. Two photos whose shape embeddings are at least
`near_shape` alike, and stand out from the crowd of each one's other close photos (at least
`margin` above each one's `crowd`th most alike), are one photo or one design: products of one
kind alike to the embedding come in crowds, the copies of one photo stand apart from them (a
pair at least `sure` alike counts however crowded: thirty copies of one placeholder photo are
their own crowd; byte-for-byte copies count once). Their colour descriptors tell which: at
least `near_colour` alike is the same photo altered (a near-duplicate), less is another
colourway (a variant). Near-duplicates are grouped pair by pair, the most alike first, and two groups are
joined only when they are alike in the middle (the median of every photo of one against every
photo of the other), so that one chance pair does not chain two products into one group. Designs
are grouped the same way by shape alone; a design holding two or more near-duplicate groups (or
single photos) linked by a variant pair is a variant group, one member for each.

With frame prints (core.duplicates.frames; photos indexed by earlier versions have none and are
compared by shape alone), two photos framed alike with many pixels off are never linked as one
photo, and two framed alike with almost none off, alike in colour too, are linked however far apart
their trimmed products look: a banner or a watermark moves the trimmed frame, not the rest of the
photo. Those links are made first and without the median test (the pixels are the stronger
evidence); a bannered copy then counts as one of its group's photos, outvoted by the rest, when a
cropped or rotated copy is judged against the group by shape.

Two photos framed alike with almost none off that are not alike in colour are one design: another
colourway of the photo, or the photo with so much more light that its colours cannot tell.

A cropped, zoomed or turned copy the shape pairs still left out (its trimmed product moved too far,
or it stood in a crowd) is found last, among each photo's closest by shape and by frame: its frame
lines up with one of its group's photos once one of them is zoomed or turned a little
(core.duplicates.aligned; smoothed, and then as they are, so that a pattern still tells two
products apart), and its colours are as alike as one photo's. Such a line-up joins two groups
only when one of them is a copy or two left out: one chance line-up between two products' photos
never joins their groups. But when one of the two photos sits in its group by shape alone, lines
up with none of it and is no further from the other group by shape, it moves there: a cropped
copy the shape pairs put among another product's photos (the same model in another shirt).
Pairs a person marked "not duplicates" are never linked. The thresholds are those with the best
pair F1 on `bench duplicates`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.catalog import FRAME_PRINT
from core.common import CancelToken, Progress, ProgressFn, no_progress
from core.duplicates import frames as frame_prints
from core.duplicates.aligned import aligned_off
from core.duplicates.groups import DuplicateGroup, Member, ordered
from core.similarity import COLOUR_DIMENSIONS, COLOUR_HUE_BINS
from core.storage import CatalogStore, Item, Workspace, read_state


@dataclass(frozen=True)
class DuplicateSettings:
    near_shape: float = 0.935  # shape cosine at or above which two photos are one photo or one design
    near_colour: float = 0.93  # colour cosine at or above which such a pair is one photo, below a variant
    group_shape: float = 0.92  # median shape cosine between two near groups at or above which they are joined
    group_colour: float = 0.95  # and their median colour cosine
    crowd: int = 20  # a pair must be alike beyond each photo's this-many-th most alike other photo
    margin: float = 0.03  # by this much shape cosine
    sure: float = 0.995  # shape cosine at or above which a pair counts however crowded (many copies of one photo)
    frame_candidates: int = 15  # each photo's this many most alike frame prints are compared with it
    outline_candidates: int = 5  # and its this many most alike by the frame's outlines
    frame_alike: float = 0.7  # frames at least this alike (gradient correlation; a brighter copy loses its light edges) ...
    frame_off: float = 0.01  # ... with at most this share of pixels off are one photo
    frame_colour: float = 0.8  # when their colour cosine is at least this (another colourway is framed alike too)
    frame_hue: float = 0.8  # and the cosine of their hues alone (more light moves colour to grey, not to another hue)
    design_alike: float = 0.9  # frames at least this alike with `frame_off` or less off, not alike in colour: one design
    grey_share: float = 0.1  # photos with less of their colour in hues than this are grey: their hues tell nothing
    aligned_neighbours: int = 10  # each photo's this many most alike by shape (at most `crowd`), and its frame candidates, ...
    aligned_shape: float = 0.75  # ... at least this alike by shape are compared zoomed and turned a little (core.duplicates.aligned)
    aligned_off: float = 0.03  # at most this share of pixels off, prints smoothed, so is one photo (alike in colour, as frames) ...
    aligned_sharp_off: float = 0.15  # ... with at most this share off unsmoothed (a pattern, dots or checks, smooths away)
    aligned_joins: int = 2  # such a link joins two groups only when one of them has at most this many photos
    veto_alike: float = 0.85  # frames at least this alike ...
    veto_off: float = 0.05  # ... with more than this share of pixels off are two photos
    frame_tolerance: float = 24.0  # grey levels a pixel may be off after the brightness and contrast fit
    backdrop: int = 24  # grey levels from the backdrop at which a pixel is compared
    block: int = 1024  # rows of the similarity matrix computed at once


@dataclass(frozen=True)
class Frames:
    """Frame prints row by row with the photos (core.catalog.frame_print), and which rows have one."""

    prints: np.ndarray  # (N, size, size) uint8
    known: np.ndarray  # (N,) bool


class _AlikeGroups:
    """Groups over photo rows, two groups joined only when they are alike in the middle (in colour too, given colours)."""

    def __init__(self, shapes: np.ndarray, colours: np.ndarray | None, settings: DuplicateSettings) -> None:
        self.shapes, self.colours, self.settings = shapes, colours, settings
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
        if not self._alike(rows_a, rows_b):
            self.refused.add(key)
            return
        self.force(a, b)

    def _alike(self, rows_a: list[int], rows_b: list[int]) -> bool:
        if float(np.median(self.shapes[rows_a] @ self.shapes[rows_b].T)) < self.settings.group_shape:
            return False
        if self.colours is None:
            return True
        return float(np.median(self.colours[rows_a] @ self.colours[rows_b].T)) >= self.settings.group_colour

    def size(self, row: int) -> int:
        """How many photos the group of `row` holds."""
        return len(self.members.get(self.group_of[row], (row,)))

    def force(self, a: int, b: int) -> None:
        """Join the groups of rows a and b without the median test."""
        ga, gb = self.group_of[a], self.group_of[b]
        if ga == gb:
            return
        rows_a, rows_b = self.members.get(ga, [a]), self.members.get(gb, [b])
        if len(rows_a) < len(rows_b):
            ga, gb, rows_a, rows_b = gb, ga, rows_b, rows_a
        self.members[ga] = rows_a + rows_b
        self.members.pop(gb, None)
        for row in rows_b:
            self.group_of[row] = ga

    def take_out(self, row: int) -> None:
        """Make `row` a group of its own again; the rest of its group stays one."""
        label = self.group_of[row]
        rest = [r for r in self.members.pop(label, [row]) if r != row]
        stale = {label, *rest[:1]}  # what was found of the old groups of these labels tells nothing of the new ones
        self.refused = {key for key in self.refused if key[0] not in stale and key[2] not in stale}
        self.group_of[row] = row
        if rest:
            for r in rest:
                self.group_of[r] = rest[0]
            if len(rest) > 1:
                self.members[rest[0]] = rest

    def groups(self) -> list[list[int]]:
        return [sorted(m) for m in self.members.values()]


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class _ShapePairs:
    a: np.ndarray  # rows a < b of the pairs at least `near_shape` alike and standing out from the crowd
    b: np.ndarray
    scores: np.ndarray
    neighbours: np.ndarray  # (M, 2) rows a < b: either among the other's `aligned_neighbours` most alike, `aligned_shape` or more


def _alike_pairs(shapes: np.ndarray, settings: DuplicateSettings, progress: ProgressFn, cancel: CancelToken) -> _ShapePairs:
    """The pairs alike by shape, and each row's closest; one pass over the similarity matrix for both."""
    n = len(shapes)
    found_a, found_b, found_s, close = [], [], [], []
    crowd = np.full(n, -np.inf, np.float32)  # each row's crowd-th most alike other row's score
    reach = min(settings.crowd, n - 1)  # the row's this many most alike others (and itself) are sorted out
    count = min(settings.aligned_neighbours, reach)
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
        near = best_scores >= settings.aligned_shape
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
) -> list[DuplicateGroup]:
    """The duplicate groups of photos (`shapes`, `colours` and `frames` row by row with `items`), largest first.

    `dismissed` holds (smaller, larger) item id pairs that are not to be linked.
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
    if colour_units is None:
        same = np.ones(len(a), bool)  # nothing to tell colourways by: every pair counts as one photo
    else:
        same = np.einsum("ij,ij->i", colour_units[a], colour_units[b]) >= settings.near_colour
    pixel_links: list[tuple[int, int, float]] = []  # (row, row, score) linked by their pixels
    framed_designs: list[tuple[int, int, float]] = []  # (row, row, score) framed alike in other colours
    framed = frames is not None and bool(frames.known.any())
    if framed:
        apart = _framed_apart(frames, a, b, same, settings)
        a, b, shape, same = a[~apart], b[~apart], shape[~apart], same[~apart]
        printed = distinct[frames.known[distinct]]
        framed_a, framed_b = frame_prints.candidates(
            frames.prints, printed, settings.frame_candidates, settings.block, progress, cancel, settings.outline_candidates
        )
        pixel_links, framed_designs = _framed_together(items, frames, framed_a, framed_b, colour_units, dismissed, settings, cancel)
    order = np.lexsort((b, a, -shape))  # the most alike first; ties in row order
    pairs = [(int(a[i]), int(b[i]), float(shape[i]), bool(same[i])) for i in order]
    near_links, design_links = _AlikeGroups(units, colour_units, settings), _AlikeGroups(units, None, settings)
    for x, y, _ in pixel_links:  # first: the groups shape pairs join are then judged with every copy framed alike in them
        design_links.force(x, y)
        near_links.force(x, y)
    for x, y, _ in framed_designs:
        design_links.force(x, y)
    for x, y, _, one_photo in pairs:
        design_links.join(x, y)
        if one_photo:
            near_links.join(x, y)
    if framed:
        # Each photo's closest by shape and by frame: a crop moves the trimmed product (and its
        # embedding) more than the frame, a turn the frame more than the product.
        close = np.concatenate([distinct[shape_pairs.neighbours], np.stack([framed_a, framed_b], axis=1)])
        lined_up = _aligned_pairs(items, units, colour_units, frames, close, near_links, dismissed, settings, progress, cancel)
        pixel_rows = {row for x, y, _ in pixel_links for row in (x, y)}
        for x, y, s in lined_up:
            if near_links.root(x) == near_links.root(y):
                continue
            if min(near_links.size(x), near_links.size(y)) > settings.aligned_joins:
                stray = _stray((x, y), near_links, pixel_rows, frames, settings)
                if stray is None:
                    continue  # two groups: a line-up joins only a copy or two left out
                x, y = (x, y) if stray == x else (y, x)
                near_links.take_out(x)
                design_links.take_out(x)
            pixel_rows.update((x, y))
            design_links.force(x, y)
            near_links.force(x, y)
            pixel_links.append((x, y, s))
    best: dict[int, float] = defaultdict(float)  # row -> its best score to another member of its group
    for x, y, s, one_photo in pairs:
        if one_photo and near_links.root(x) == near_links.root(y):
            best[x], best[y] = max(best[x], s), max(best[y], s)
    for x, y, s in pixel_links:
        best[x], best[y] = max(best[x], s), max(best[y], s)
    linked = sorted(
        set(a.tolist()) | set(b.tolist()) | {row for x, y, _ in pixel_links + framed_designs for row in (x, y)}
    )
    for rows in near_links.groups():
        groups.append(DuplicateGroup("near", tuple(_member(items[r], best[r]) for r in rows)))
    colourways = pairs + [(x, y, s, False) for x, y, s in framed_designs]
    groups += _variant_groups(items, colourways, linked, near_links, design_links)
    return ordered(groups)


def _stray(pair: tuple[int, int], near_links: _AlikeGroups, pixel_rows: set[int], frames: Frames, settings: DuplicateSettings) -> int | None:
    """The photo of a lined-up pair that sits in its group by shape alone, lining up with none of it and no more alike
    to it by shape than to the other's group (None if neither)."""
    shapes = near_links.shapes
    for row, other in (pair, pair[::-1]):
        if row in pixel_rows or near_links.size(row) < 2:
            continue
        rest = np.array([r for r in near_links.members[near_links.root(row)] if r != row], np.int64)
        there = np.array(near_links.members.get(near_links.root(other), [other]), np.int64)
        if np.median(shapes[rest] @ shapes[row]) > np.median(shapes[there] @ shapes[row]):
            continue
        off = aligned_off(frames.prints, np.full(len(rest), row), rest, settings.frame_tolerance, settings.backdrop)
        if (off > settings.aligned_off).all():
            return row
    return None


def _framed_apart(frames: Frames, a: np.ndarray, b: np.ndarray, same: np.ndarray, settings: DuplicateSettings) -> np.ndarray:
    """(P,) bool: the pairs taken as one photo whose frames show two: framed alike, with many pixels off."""
    check = np.flatnonzero(same & frames.known[a] & frames.known[b])
    apart = np.zeros(len(a), bool)
    if len(check):
        scores = frame_prints.score_pairs(
            frames.prints, a[check], b[check], settings.frame_tolerance, settings.backdrop, off_from=settings.veto_alike
        )
        apart[check] = (scores.alike >= settings.veto_alike) & (scores.off > settings.veto_off)
    return apart


def _alike_colours(colour_units: np.ndarray, a: np.ndarray, b: np.ndarray, settings: DuplicateSettings) -> np.ndarray:
    """(P,) bool: pairs alike enough in colour to be one photo framed alike: in colour, and in hue unless both are grey."""
    alike = np.einsum("ij,ij->i", colour_units[a], colour_units[b]) >= settings.frame_colour
    hues = colour_units[:, :COLOUR_HUE_BINS]  # the descriptor's hue bins come first, its grey bins after
    in_hues = (hues**2).sum(axis=1)  # the share of a photo's colour that has a hue (the descriptor holds square roots)
    hue_units = hues / np.maximum(np.linalg.norm(hues, axis=1, keepdims=True), 1e-9)
    grey = (in_hues[a] < settings.grey_share) & (in_hues[b] < settings.grey_share)
    return alike & (grey | (np.einsum("ij,ij->i", hue_units[a], hue_units[b]) >= settings.frame_hue))


def _framed_together(
    items: Sequence[Item],
    frames: Frames,
    a: np.ndarray,
    b: np.ndarray,
    colour_units: np.ndarray | None,
    dismissed: set[tuple[int, int]],
    settings: DuplicateSettings,
    cancel: CancelToken,
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
    """(row, row, frame alikeness) of the pairs whose frames show one photo: altered at an edge or a corner, or in
    brightness, when alike in colour too; the rest are one design (another colourway, or more light than
    the colours can tell from one). `a` and `b` are the candidate pairs, each framed alike."""
    cancel.raise_if_cancelled()
    one = np.ones(len(a), bool) if colour_units is None else _alike_colours(colour_units, a, b, settings)
    least = np.where(one, settings.frame_alike, settings.design_alike)
    scores = frame_prints.score_pairs(frames.prints, a, b, settings.frame_tolerance, settings.backdrop, off_from=least)
    framed = (scores.alike >= least) & (scores.off <= settings.frame_off)
    a, b, alike, one = a[framed], b[framed], scores.alike[framed], one[framed]
    photos: list[tuple[int, int, float]] = []
    designs: list[tuple[int, int, float]] = []
    for x, y, s, same in zip(a.tolist(), b.tolist(), alike.tolist(), one.tolist()):
        if _pair(items[x].id, items[y].id) not in dismissed:
            (photos if same else designs).append((x, y, s))
    return photos, designs


def _aligned_pairs(
    items: Sequence[Item],
    units: np.ndarray,
    colour_units: np.ndarray | None,
    frames: Frames,
    close: np.ndarray,
    near_links: _AlikeGroups,
    dismissed: set[tuple[int, int]],
    settings: DuplicateSettings,
    progress: ProgressFn,
    cancel: CancelToken,
) -> list[tuple[int, int, float]]:
    """(row, row, shape score) of the close pairs not yet one photo whose frames show one photo cropped, zoomed or turned, most alike first."""
    close = np.unique(close, axis=0)
    a, b = close[:, 0], close[:, 1]
    keep = frames.known[a] & frames.known[b] & np.array([near_links.root(x) != near_links.root(y) for x, y in zip(a, b)], bool)
    keep &= np.einsum("ij,ij->i", units[a], units[b]) >= settings.aligned_shape
    a, b = a[keep], b[keep]
    if colour_units is not None:  # as alike as one photo's by the descriptor: a crop or a turn keeps the colours
        alike = _alike_colours(colour_units, a, b, settings)
        alike &= np.einsum("ij,ij->i", colour_units[a], colour_units[b]) >= settings.near_colour
        a, b = a[alike], b[alike]
    off = aligned_off(frames.prints, a, b, settings.frame_tolerance, settings.backdrop, progress=progress, cancel=cancel)
    one = np.flatnonzero(off <= settings.aligned_off)
    sharp = aligned_off(frames.prints, a[one], b[one], settings.frame_tolerance, settings.backdrop, smooth=False, cancel=cancel)
    one = one[sharp <= settings.aligned_sharp_off]
    a, b = a[one], b[one]
    apart = _framed_apart(frames, a, b, np.ones(len(a), bool), settings)  # framed alike as they are, many pixels off
    a, b = a[~apart], b[~apart]
    scores = np.einsum("ij,ij->i", units[a], units[b])
    order = np.lexsort((b, a, -scores))
    return [
        (int(a[i]), int(b[i]), float(scores[i])) for i in order if _pair(items[a[i]].id, items[b[i]].id) not in dismissed
    ]


def _variant_groups(
    items: Sequence[Item], pairs: list, linked: list[int], near_links: _AlikeGroups, design_links: _AlikeGroups
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
    return group_photos(rows, shapes, colours, settings, dismissed, progress, cancel, Frames(prints, known))
