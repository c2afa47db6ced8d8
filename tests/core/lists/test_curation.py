from pathlib import Path

import pytest

from core.common.errors import InputError
from core.lists import curation as curation_module
from core.lists.curation import PINNED, SUGGESTED, Curation, Entry, ListState, Rules, allowed, assemble, product_group
from core.similarity.indexing import index_catalog
from core.similarity.search import CatalogSearcher
from core.storage.store import CatalogStore, Item
from core.storage.workspace import Workspace
from tests.conftest import draw_product

pytestmark = pytest.mark.usefixtures("list_matching")


@pytest.fixture
def indexed(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    return ws


def _ids(state: ListState) -> list[int]:
    return [e.target_id for e in state.shown]


def test_assemble_keeps_pinned_places_and_fills_the_rest():
    pinned = [Entry(100, 0, 0.5, PINNED), Entry(101, 3, 0.4, PINNED)]
    out = assemble(pinned, [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)], k=5)
    assert [e.target_id for e in out] == [100, 1, 2, 101, 3]
    assert [e.position for e in out] == [0, 1, 2, 3, 4]
    assert [e.state for e in out] == [PINNED, SUGGESTED, SUGGESTED, PINNED, SUGGESTED]
    short = assemble([Entry(101, 6, None, PINNED)], [(1, 0.9)], k=3)
    assert [e.target_id for e in short] == [1, 101]
    beyond = assemble([Entry(101, 4, None, PINNED)], [(i, 0.9) for i in range(10)], k=2)
    assert [e.target_id for e in beyond] == [0, 1, 2, 3, 101]


def _item(i, sku=None, category=None, path=None):
    return Item(i, path or f"x/{i}.jpg", 1, 1, None, "ok", sku=sku, category=category)


def test_rules_for_category_and_product_group():
    shirt = _item(1, "TSH-001-RED", "shirts", "shirts/tee_red.jpg")
    same_group = _item(2, "TSH-001-BLU", "shirts", "shirts/tee_blue.jpg")
    other_shirt = _item(3, "TSH-002-RED", "shirts", "shirts/polo_red.jpg")
    shoe = _item(4, "SHO-001", "shoes", "shoes/a.jpg")
    assert not allowed(shirt, shirt, Rules())
    assert allowed(shirt, shoe, Rules()) and allowed(shirt, same_group, Rules())
    assert not allowed(shirt, shoe, Rules(category="same")) and allowed(shirt, other_shirt, Rules(category="same"))
    assert allowed(shirt, shoe, Rules(category="other")) and not allowed(shirt, other_shirt, Rules(category="other"))
    by_sku = Rules(group="sku-prefix")
    assert product_group(shirt, by_sku) == "tsh-001"
    assert not allowed(shirt, same_group, by_sku) and allowed(shirt, other_shirt, by_sku)
    assert product_group(shirt, Rules(group="sku-prefix", sku_prefix=3)) == "tsh"
    by_name = Rules(group="base-name")
    assert not allowed(shirt, same_group, by_name) and allowed(shirt, other_shirt, by_name)
    with pytest.raises(InputError):
        Rules(category="sideways")
    with pytest.raises(InputError):
        Rules(k=0)


def test_generate_fills_every_list_without_the_item_itself(indexed):
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        assert curation.generate(searcher, Rules(k=5)) == 32
        for item in searcher.items():
            state = curation.state(item.id)
            assert len(state.shown) == 5 and item.id not in _ids(state)
            assert all(e.state == SUGGESTED for e in state.shown)
        assert curation.review_counts() == (0, 32)


def test_generate_honours_rules(indexed):
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        items = {i.id: i for i in searcher.items()}
        curation.generate(searcher, Rules(k=4, category="other", kind="cross-sell"))
        curation.generate(searcher, Rules(k=4, category="same", min_score=0.2))
        for item in items.values():
            cross = curation.state(item.id, "cross-sell")
            assert len(cross.shown) == 4
            assert all(items[e.target_id].category != item.category for e in cross.shown)
            same = curation.state(item.id, "related")
            assert all(items[e.target_id].category == item.category and e.score >= 0.2 for e in same.shown)


def test_edits_survive_regeneration_and_reindex(indexed, small_encoder):
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=6))
        items = searcher.items()
        source = items[0].id
        first = curation.state(source)
        keep, drop = first.shown[2].target_id, first.shown[0].target_id
        outsider = next(i.id for i in items if i.id not in _ids(first) and i.id != source)
        curation.pin(source, "related", keep)
        curation.block(source, "related", drop)
        curation.move(source, "related", outsider, 4)
        curation.set_note(source, "related", "hero product")
        curation.set_reviewed(source, "related")
    draw_product(indexed.catalog / "new/extra.png", "wedge", (9, 9, 9))
    index_catalog(indexed)  # re-index: one new photo
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=6))
        state = curation.state(source)
    shown = _ids(state)
    assert drop not in shown and [e.target_id for e in state.blocked] == [drop]
    assert shown[1] == keep and state.shown[1].pinned  # was third; the blocked first one left, so second
    assert shown[4] == outsider and state.shown[4].pinned
    assert state.note == "hero product" and state.reviewed
    assert len(shown) == 6 and source not in shown


def test_pins_and_blocks_outlive_a_photo_that_is_unreadable_for_a_while(indexed):
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=6))
        source = searcher.items()[3].id
        first = curation.state(source)
        pinned, blocked = first.shown[2].target_id, first.shown[0].target_id
        curation.pin(source, "related", pinned)
        curation.block(source, "related", blocked)
        place = _ids(curation.state(source)).index(pinned)  # the blocked one above it left
        paths = {i: searcher.store.item(i).path for i in (pinned, blocked)}
    originals = {i: (indexed.catalog / path).read_bytes() for i, path in paths.items()}
    for path in paths.values():
        (indexed.catalog / path).write_bytes(b"half-synced")
    index_catalog(indexed)
    with CatalogSearcher(indexed) as searcher:
        assert not {pinned, blocked} & {i.id for i in searcher.items()}
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=6))
        while_broken = curation.state(source)
    assert while_broken.shown[place].target_id == pinned and while_broken.shown[place].pinned
    assert [e.target_id for e in while_broken.blocked] == [blocked]
    for i, path in paths.items():
        (indexed.catalog / path).write_bytes(originals[i])
    index_catalog(indexed)
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=6))
        mended = curation.state(source)
    assert mended.shown[place].target_id == pinned and mended.shown[place].pinned
    assert blocked not in _ids(mended) and [e.target_id for e in mended.blocked] == [blocked]


def test_pinned_entry_keeps_its_exact_place(indexed):
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=6))
        source = searcher.items()[5].id
        target = curation.state(source).shown[3].target_id
        curation.pin(source, "related", target)
        curation.generate(searcher, Rules(k=6, min_score=-1.0))
        state = curation.state(source)
    assert state.shown[3].target_id == target and state.shown[3].pinned


def test_every_edit_is_stored_at_once_and_restore_undoes_it(tmp_path):
    db = tmp_path / "c.sqlite"
    with CatalogStore(db) as store:
        store.add_items([(f"{i}.jpg", 1, 1, None) for i in range(6)])
        ids = [i.id for i in store.items()]
        curation = Curation(store)
        before = ListState(ids[0], "related", tuple(Entry(t, p, 0.9 - p / 10, SUGGESTED) for p, t in enumerate(ids[1:4])))
        curation.restore(before)
        after = curation.block(ids[0], "related", ids[2])
        assert _ids(after) == [ids[1], ids[3]]
    with CatalogStore(db) as store:  # a new connection sees the edit: it was committed
        curation = Curation(store)
        assert curation.state(ids[0], "related") == after
        curation.restore(before)
        assert curation.state(ids[0], "related") == before
        curation.restore(after)
        assert curation.state(ids[0], "related") == after
        with pytest.raises(InputError):
            curation.move(ids[0], "related", ids[0], 0)


def test_removed_products_leave_the_lists(tmp_path):
    with CatalogStore(tmp_path / "c.sqlite") as store:
        store.add_items([(f"{i}.jpg", 1, 1, None) for i in range(3)])
        a, b, c = [i.id for i in store.items()]
        curation = Curation(store)
        curation.move(a, "related", b, 0)
        curation.move(a, "related", c, 1)
        curation.move(b, "related", a, 0)
        store.remove_items([c])
        assert _ids(curation.state(a, "related")) == [b]
        store.remove_items([a])
        assert curation.state(a, "related").entries == ()
        assert curation.state(b, "related").entries == ()


def test_a_kill_right_after_an_edit_loses_nothing(tmp_path):
    """The edit is committed before the call returns: SIGKILL the editing process at once, then look."""
    import signal
    import subprocess
    import sys
    import textwrap

    db = tmp_path / "c.sqlite"
    with CatalogStore(db) as store:
        store.add_items([(f"{i}.jpg", 1, 1, None) for i in range(4)])
        a, b, c, d = [i.id for i in store.items()]
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from core.lists.curation import Curation
        from core.storage.store import CatalogStore
        store = CatalogStore(Path({str(db)!r}))
        curation = Curation(store)
        curation.move({a}, "related", {b}, 0)
        curation.move({a}, "related", {c}, 1)
        curation.block({a}, "related", {d})
        curation.set_note({a}, "related", "after the kill")
        print("edited", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=str(Path(__file__).resolve().parents[3]))
    try:
        assert proc.stdout.readline().strip() == "edited"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with CatalogStore(db) as store:
        state = Curation(store).state(a, "related")
    assert _ids(state) == [b, c] and [e.target_id for e in state.blocked] == [d]
    assert state.note == "after the kill"


def test_blocking_refills_the_place_by_the_lists_rules(indexed):
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        source = searcher.items()[2].id
        assert curation.last_rules("related") is None
        bare = curation.block_and_refill(searcher, source, "related", searcher.items()[3].id)
        assert bare.shown == [] and len(bare.blocked) == 1  # never made: nothing to refill by
        curation.generate(searcher, Rules(k=5, category="same"))
        assert curation.last_rules("related") == Rules(k=5, category="same")
        before = curation.state(source, "related")
        gone = before.shown[1].target_id
        after = curation.block_and_refill(searcher, source, "related", gone)
    assert len(after.shown) == 5 and gone not in _ids(after)
    assert _ids(after)[:4] == [e.target_id for e in before.shown if e.target_id != gone]


@pytest.mark.parametrize("photos", ["main", "all"])
def test_a_product_with_several_photos_is_one_entry_and_never_recommends_itself(indexed, photos):
    with CatalogStore(indexed.database) as store, CatalogSearcher(indexed) as searcher:
        items = store.items()
        by_path = {item.path: item for item in items}
        disc = by_path["round/disc-0-0.png"]
        # as plain photos, the other shot of the same product is the closest match
        assert searcher.similar_to_item(disc.id, 1)[0].path == "round/disc-0-6.png"
        updates = []
        for item in items:
            stem = item.path.rsplit("/", 1)[1][:-4]  # "disc-0-6"
            shape, colour, offset = stem.split("-")
            updates.append((item.id, {"product": f"{shape}-{colour}", "photo": "1" if offset == "0" else "2"}))
        store.set_metadata(updates, ["product", "photo"])
        searcher = CatalogSearcher(indexed)
        made = Curation(store).generate(searcher, Rules(k=5, photos=photos))
        assert made == 16
        mains = {item.id for item in store.items() if item.attrs["photo"] == "1"}
        product = {item.id: item.attrs["product"] for item in store.items()}
        states = list(Curation(store).all_states("related"))
        assert {s.item_id for s in states} == mains
        for state in states:
            targets = [e.target_id for e in state.shown]
            assert len(targets) == 5 and set(targets) <= mains
            assert product[state.item_id] not in {product[t] for t in targets}


@pytest.mark.parametrize("colour_weight", [0.0, 0.4])
def test_lists_matched_in_bulk_are_those_matched_one_by_one(indexed, monkeypatch, colour_weight):
    rules = Rules(k=6, colour_weight=colour_weight)
    with CatalogSearcher(indexed) as searcher:
        curation = Curation(searcher.store)
        monkeypatch.setattr(curation_module, "BULK_LISTS", 10**9)
        curation.generate(searcher, rules)
        alone = {item.id: curation.state(item.id) for item in searcher.items()}
        monkeypatch.setattr(curation_module, "BULK_LISTS", 1)
        curation.generate(searcher, rules)
        for item_id, state in alone.items():
            bulk = curation.state(item_id)
            assert _ids(bulk) == _ids(state)
            assert [e.score for e in bulk.shown] == pytest.approx([e.score for e in state.shown], abs=1e-5)


def test_export_lists_holds_each_lists_shown_entries_in_order_with_pins_notes_and_marks(indexed):
    from core.lists.curation import export_lists

    with CatalogSearcher(indexed) as searcher, CatalogStore(indexed.database) as store:
        curation = Curation(store)
        curation.generate(searcher, Rules(k=5))
        curation.generate(searcher, Rules(k=3, kind="cross-sell"))
        ids = sorted(item.id for item in store.items())
        first, second, third = ids[0], ids[1], ids[2]
        shown = _ids(curation.state(first))
        curation.pin(first, "related", shown[3])
        curation.block(first, "related", shown[0])
        curation.move(first, "related", shown[4], 0)
        curation.set_note(first, "related", "summer edit")
        curation.set_reviewed(second, "related", True)
        for target in _ids(curation.state(third, "cross-sell")):
            curation.block(third, "cross-sell", target)  # nothing left to show
        lists = export_lists(store)
        items = {item.id: item for item in store.items()}

        expected = []
        for kind in ("related", "cross-sell"):
            for state in curation.all_states(kind):
                expected.append((items[state.item_id].path, kind, [(items[e.target_id].path, e.score, e.pinned) for e in state.shown],
                                 state.note, state.reviewed))
    expected.sort(key=lambda row: (row[0], row[1] != "related"))
    got = [(lst.item.path, lst.kind, [(e.item.path, e.score, e.pinned) for e in lst.entries], lst.note, lst.reviewed) for lst in lists]
    assert got == expected
    by_key = {(lst.item.id, lst.kind): lst for lst in lists}
    edited = by_key[(first, "related")]
    assert [e.item.id for e in edited.entries][:1] == [shown[4]] and shown[0] not in [e.item.id for e in edited.entries]
    assert [e.pinned for e in edited.entries].count(True) == 2 and edited.note == "summer edit"
    assert by_key[(second, "related")].reviewed and by_key[(third, "cross-sell")].entries == []


def test_rules_round_trip_through_json_and_bad_text_reads_as_none():
    rules = Rules(k=4, min_score=0.25, category="same", group="sku-prefix", sku_prefix=3, kind="upsell",
                  colour_weight=0.5, photos="all", variants="include")
    assert Rules.from_json(rules.to_json()) == rules
    for bad in ("", "not json", "[1, 2]", '{"k": 0}', '{"k": 3, "colour": "red"}', '{"category": "nearby"}'):
        assert Rules.from_json(bad) is None
