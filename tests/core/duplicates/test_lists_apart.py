"""Lists made once duplicates are known keep them apart (the rule lives in core.lists)."""
from __future__ import annotations

import pytest

from core.duplicates import DuplicateMemory, find_duplicates
from core.lists import Curation, Rules
from core.similarity import CatalogSearcher
from core.storage import CatalogStore, Workspace

pytestmark = pytest.mark.usefixtures("list_matching")


def _lists(ws: Workspace, rules: Rules = Rules()) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Every product's list by path, and each path's item id."""
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        curation.generate(searcher, rules)
        path_of = {item.id: item.path for item in store.items()}
        lists = {path_of[s.item_id]: [path_of[e.target_id] for e in s.shown] for s in curation.all_states(rules.kind)}
    return lists, {p: i for i, p in path_of.items()}


def _copies(fresh) -> set[str]:
    return {fresh.original, fresh.exact, *fresh.altered}


def test_a_list_holds_no_copy_of_its_product_nor_two_copies_of_one(fresh):
    ws = Workspace.locate(fresh.catalog)
    copies = _copies(fresh)
    before, _ = _lists(ws)
    assert len(copies & set(before[fresh.altered[0]])) >= 3  # unknown, the copies fill each other's lists
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).save(find_duplicates(ws))
    after, _ = _lists(ws)
    for product, shown in after.items():
        if product in copies:
            assert not copies & set(shown), (product, shown)
        else:
            assert len(copies & set(shown)) <= 1, (product, shown)
        assert len(shown) == 10  # the places are filled by other products


def test_the_member_chosen_to_stay_is_the_one_lists_show(fresh):
    ws = Workspace.locate(fresh.catalog)
    groups = find_duplicates(ws)
    near = next(g for g in groups if g.kind == "near" and fresh.altered[0] in {m.path for m in g.members})
    chosen = next(m for m in near.members if m.path == fresh.altered[-1])
    with CatalogStore(ws.database) as store:
        memory = DuplicateMemory(store)
        memory.save(groups)
        memory.choose_keeper(near, chosen.item_id)
    lists, _ = _lists(ws)
    others = [shown for product, shown in lists.items() if product not in _copies(fresh)]
    shown_copies = {p for shown in others for p in shown if p in _copies(fresh)}
    assert shown_copies == {chosen.path}  # the exact copies are the same photo, so they give way too


def test_colourways_are_left_out_once_a_person_confirmed_them_unless_the_rules_ask(fresh):
    ws = Workspace.locate(fresh.catalog)
    with CatalogStore(ws.database) as store:
        memory = DuplicateMemory(store)
        memory.save(find_duplicates(ws))
        variant = next(g for g in memory.groups() if g.kind == "variant" and fresh.colourway in {m.path for m in g.members})
    found, _ = _lists(ws)
    assert fresh.colourway in found[fresh.altered[0]]  # only found: it may be another product, so it stays
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).confirm(variant)
    apart, _ = _lists(ws)
    assert fresh.colourway not in apart[fresh.altered[0]]
    assert not _copies(fresh) & set(apart[fresh.colourway])
    included, _ = _lists(ws, Rules(variants="include"))
    assert fresh.colourway in included[fresh.altered[0]]
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).unconfirm(variant.item_ids)
    again, _ = _lists(ws)
    assert fresh.colourway in again[fresh.altered[0]]


def test_a_pinned_copy_stays_where_a_person_put_it(fresh):
    ws = Workspace.locate(fresh.catalog)
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).save(find_duplicates(ws))
    lists, ids = _lists(ws)
    source, pinned = ids[fresh.altered[0]], ids[fresh.altered[1]]
    with CatalogStore(ws.database) as store:
        Curation(store).move(source, "related", pinned, 0)
    after, _ = _lists(ws)
    assert after[fresh.altered[0]][0] == fresh.altered[1]
