from __future__ import annotations

import numpy as np
import pytest

from core.common import Cancelled, CancelToken
from core.duplicates import DuplicateMemory, DuplicateSettings, find_duplicates, group_photos
from core.storage import CatalogStore, Item, Workspace


def _item(i: int, digest: str | None = None) -> Item:
    return Item(i, f"p/{i:02d}.jpg", 1, 1, digest or f"h{i}", "ok", sku=f"S{i}")


def _groups_of(groups, kind):
    return [sorted(m.path for m in g.members) for g in groups if g.kind == kind]


def test_one_photo_copied_altered_and_recoloured_is_found_as_such(planted):
    groups = find_duplicates(Workspace.locate(planted.catalog))
    exact = _groups_of(groups, "exact")
    assert exact == [sorted([planted.original, planted.exact])]
    near = [g for g in _groups_of(groups, "near") if set(planted.altered) & set(g)]
    assert len(near) == 1 and set(planted.altered) <= set(near[0])
    # Exact copies are one member of the near group: the first of them by path stands for all.
    assert len({planted.original, planted.exact} & set(near[0])) == 1 and planted.colourway not in near[0]
    variants = [g for g in _groups_of(groups, "variant") if planted.colourway in g]
    assert len(variants) == 1 and len(variants[0]) == 2
    assert set(variants[0]) & set(near[0])  # the design's other colour is stood for by one of its photos
    for group in groups:  # the planted photos never join an unrelated product
        planted_here = {planted.original, planted.exact, planted.colourway, *planted.altered} & {m.path for m in group.members}
        assert not planted_here or len(planted_here) == len(group.members), group


def test_groups_come_largest_first_with_scores_in_range(planted):
    groups = find_duplicates(Workspace.locate(planted.catalog))
    sizes = [len(g.members) for g in groups]
    assert sizes == sorted(sizes, reverse=True)
    for g in groups:
        assert all(0.0 <= m.score <= 1.0 for m in g.members)
        assert [m.path for m in g.members] == sorted(m.path for m in g.members)
        assert g.score == min(m.score for m in g.members)


def test_exact_copies_come_from_the_content_hash_alone():
    items = [_item(1, "same"), _item(2, "same"), _item(3)]
    unrelated = np.eye(3, dtype=np.float32)
    groups = group_photos(items, unrelated, None)
    assert [(g.kind, g.item_ids) for g in groups] == [("exact", (1, 2))]


def test_the_colour_tells_one_photo_from_another_colourway():
    items = [_item(i) for i in range(4)]
    shapes = np.array([[1, 0, 0], [1, 0.01, 0], [1, 0, 0.02], [0, 1, 0]], np.float32)  # 0..2 one shape
    colours = np.array([[1, 0], [1, 0.05], [0, 1], [1, 0]], np.float32)  # 2 is another colour
    groups = group_photos(items, shapes, colours)
    assert [(g.kind, g.item_ids) for g in groups] == [("near", (0, 1)), ("variant", (0, 2))]
    without_colour = group_photos(items, shapes, None)
    assert [(g.kind, g.item_ids) for g in without_colour] == [("near", (0, 1, 2))]


def test_thresholds_decide_what_is_alike():
    items = [_item(0), _item(1)]
    shapes = np.array([[1, 0], [0.9, 0.436]], np.float32)  # cosine 0.9
    assert group_photos(items, shapes, None, DuplicateSettings(near_shape=0.95)) == []
    assert len(group_photos(items, shapes, None, DuplicateSettings(near_shape=0.85, group_shape=0.85))) == 1


def test_one_chance_pair_does_not_chain_two_products_into_one_group():
    """Two photos each of two products, one photo of each close to one of the other: two groups, unless the groups are alike on average."""
    angles = np.radians([0, 5, 20, 25])  # 5-20 is the closest pair across: cosine 0.966; the middle of the four pairs across 0.940
    shapes = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    items = [_item(i) for i in range(4)]
    apart = group_photos(items, shapes, None, DuplicateSettings(near_shape=0.95, group_shape=0.95))
    assert [g.item_ids for g in apart] == [(0, 1), (2, 3)]
    together = group_photos(items, shapes, None, DuplicateSettings(near_shape=0.95, group_shape=0.93))
    assert [g.item_ids for g in together] == [(0, 1, 2, 3)]


def test_a_crowd_of_alike_products_is_no_duplicates_but_a_copy_among_them_is():
    """Thirty products of one kind, all alike to the embedding, and a copy of one of them."""
    rng = np.random.default_rng(5)
    kind = rng.normal(size=16)
    products = kind / np.linalg.norm(kind) + 0.05 * rng.normal(size=(30, 16))
    shapes = np.concatenate([products, products[:1] + 0.002 * rng.normal(size=(1, 16))]).astype(np.float32)
    units = shapes / np.linalg.norm(shapes, axis=1, keepdims=True)
    alike = units @ units.T
    assert (alike[:30, :30] >= DuplicateSettings().near_shape).mean() > 0.99  # nearly every two would pass the threshold alone
    items = [_item(i) for i in range(31)]
    assert [g.item_ids for g in group_photos(items, shapes, None)] == [(0, 30)]
    crowded = group_photos(items, shapes, None, DuplicateSettings(margin=-1.0))
    assert len(crowded) == 1 and len(crowded[0].members) == 31


def test_many_copies_of_one_photo_are_one_group_however_crowded():
    """Thirty re-encoded copies of one photo (a placeholder under many SKUs, say), and unrelated products."""
    rng = np.random.default_rng(6)
    photo = rng.normal(size=16)
    copies = photo / np.linalg.norm(photo) + 0.001 * rng.normal(size=(30, 16))
    shapes = np.concatenate([copies, rng.normal(size=(20, 16))]).astype(np.float32)
    groups = group_photos([_item(i) for i in range(50)], shapes, None)
    assert [g.item_ids for g in groups] == [tuple(range(30))]


def test_exact_copies_count_once_in_the_crowd():
    """Thirty byte-for-byte copies of one photo and one altered copy: the altered one still stands out."""
    rng = np.random.default_rng(7)
    photo = rng.normal(size=16)
    photo /= np.linalg.norm(photo)
    altered = photo + 0.05 * rng.normal(size=16)
    assert DuplicateSettings().near_shape <= altered @ photo / np.linalg.norm(altered) < DuplicateSettings().sure
    shapes = np.concatenate([np.tile(photo, (30, 1)), altered[None], rng.normal(size=(20, 16))]).astype(np.float32)
    items = [_item(i, "same" if i < 30 else None) for i in range(51)]
    groups = group_photos(items, shapes, None)
    assert [(g.kind, len(g.members)) for g in groups] == [("exact", 30), ("near", 2)]
    assert groups[1].item_ids == (0, 30)


def test_pairs_marked_not_duplicates_are_never_linked():
    items = [_item(i) for i in range(3)]
    shapes = np.ones((3, 2), np.float32)
    groups = group_photos(items, shapes, None, dismissed={(0, 1), (0, 2), (1, 2)})
    assert groups == []
    partly = group_photos(items, shapes, None, dismissed={(0, 1)})
    assert [g.item_ids for g in partly] == [(0, 2)]  # 1 is not joined to 0 through 2 either: they stay apart


def test_blocks_of_any_size_find_the_same_pairs():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(30, 8)).astype(np.float32)
    shapes = np.concatenate([base, base[:10] + 0.01 * rng.normal(size=(10, 8)).astype(np.float32)])
    items = [_item(i) for i in range(40)]
    whole = group_photos(items, shapes, None, DuplicateSettings(block=1000))
    for block in (1, 7, 39):
        assert group_photos(items, shapes, None, DuplicateSettings(block=block)) == whole
    assert len(whole) == 10 and all(len(g.members) == 2 for g in whole)


def test_finding_can_be_cancelled():
    token = CancelToken()
    token.cancel()
    items = [_item(i) for i in range(3)]
    with pytest.raises(Cancelled):
        group_photos(items, np.ones((3, 2), np.float32), None, cancel=token)


def test_the_workspace_remembers_the_finding_and_what_a_person_said(fresh):
    ws = Workspace.locate(fresh.catalog)
    groups = find_duplicates(ws)
    with CatalogStore(ws.database) as store:
        memory = DuplicateMemory(store)
        assert not memory.found()
        memory.save(groups)
        assert memory.found() and memory.groups() == groups
        near = next(g for g in groups if g.kind == "near" and fresh.altered[0] in {m.path for m in g.members})
        memory.dismiss(near)
        assert near not in memory.groups()
    again = find_duplicates(ws)  # a new finding leaves the dismissed photos apart
    assert not any(set(near.item_ids) <= set(g.item_ids) for g in again if g.kind == "near")
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).undismiss(near.item_ids)
    assert near in find_duplicates(ws)
