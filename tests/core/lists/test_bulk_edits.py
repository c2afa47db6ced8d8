"""Edits of many lists at once (block a product everywhere, mark lists reviewed, add several products):
written a few hundred lists a transaction, undone and redone on the lists as they are now, entry by entry."""
from __future__ import annotations

import pytest

from core.common import faults
from core.lists import BulkInterrupted, Curation, ListState, edits
from core.lists import curation as curation_module
from core.lists.state import PINNED, SUGGESTED, Entry
from core.storage import CatalogStore

LISTS = 25


@pytest.fixture
def two_windows(tmp_path, monkeypatch):
    """A catalog of 40 products whose first 25 have related lists (product 30 in most of them), opened twice."""
    monkeypatch.setattr(curation_module, "_BULK_LISTS", 7)  # several transactions for 25 lists
    db = tmp_path / "c.sqlite"
    with CatalogStore(db) as store:
        store.add_items([(f"{i:02}.jpg", 1, 1, None) for i in range(40)])
        ids = [i.id for i in store.items()]
        lists = []
        for n, source in enumerate(ids[:LISTS]):
            targets = [t for t in ids[26:36] if t != source][: 4 + n % 3]
            if n % 5 == 4:
                targets = [t for t in targets if t != ids[30]]  # some lists do not hold it: blocking adds it as blocked
            lists.append(ListState(source, "related", tuple(Entry(t, p, 0.9 - p / 100, SUGGESTED) for p, t in enumerate(targets))))
        lists.append(ListState(ids[30], "related", tuple(Entry(t, p, 0.5, SUGGESTED) for p, t in enumerate(ids[:3]))))
        Curation(store).restore_many(lists)
    a, b = CatalogStore(db), CatalogStore(db)
    yield Curation(a), Curation(b), ids
    a.close()
    b.close()


def _everything(curation: Curation) -> dict[int, ListState]:
    return {state.item_id: state for state in curation.all_states("related")}


def test_blocking_a_product_everywhere_then_undo_and_redo(two_windows):
    a, b, ids = two_windows
    product = ids[30]
    before = _everything(a)
    changes = a.block_everywhere(product)
    assert len(changes) == LISTS  # every list but its own
    after = _everything(b)
    for source, state in after.items():
        if source == product:
            assert state == before[source]
        else:
            assert product in {e.target_id for e in state.blocked} and product not in {e.target_id for e in state.shown}
    assert a.block_everywhere(product) == []  # blocked already: nothing changes
    undone = a.step_many(changes, forward=False)
    assert undone.refused == 0 and len(undone.done) == LISTS
    assert _everything(b) == before
    redone = a.step_many(undone.done, forward=True)
    assert redone.refused == 0 and _everything(b) == after


def test_an_edit_made_elsewhere_between_a_bulk_block_and_its_undo_survives_it(two_windows):
    a, b, ids = two_windows
    product, first, second = ids[30], ids[2], ids[1]  # lists that hold the product
    changes = a.block_everywhere(product)
    other = b.state(first, "related").shown[0].target_id
    b.change(first, "related", edits.pin(other))  # the other window pins another entry of one list
    b.change(second, "related", edits.unblock(product))  # and takes the product itself back into another
    b.change(second, "related", edits.move(product, 0))
    b.set_note(second, "related", "kept from the other window")
    undone = a.step_many(changes, forward=False)
    assert undone.refused == 1 and len(undone.done) == LISTS - 1
    mine = b.state(first, "related")
    assert {e.target_id: e.state for e in mine.shown}[other] == PINNED  # the other edit stays
    assert product in {e.target_id for e in mine.shown}  # and the block is taken back around it
    theirs = b.state(second, "related")
    assert theirs.shown[0].target_id == product and theirs.shown[0].pinned  # the refused entry is as the other window left it
    assert theirs.note == "kept from the other window"
    untouched = b.state(ids[7], "related")
    assert product in {e.target_id for e in untouched.shown}
    redone = a.step_many(undone.done, forward=True)  # made again: only what was taken back
    assert redone.refused == 0
    assert b.state(second, "related").shown[0].target_id == product
    assert product in {e.target_id for e in b.state(first, "related").blocked}


def test_marking_lists_reviewed_and_its_undo_keep_marks_made_elsewhere(two_windows):
    a, b, ids = two_windows
    b.set_reviewed(ids[3], "related", True)  # reviewed already: not part of the change
    changes = a.mark_reviewed(ids[:10], "related")
    assert len(changes) == 9 and all(b.state(i, "related").reviewed for i in ids[:10])
    b.set_reviewed(ids[4], "related", False)  # the other window takes one mark back itself
    b.set_note(ids[5], "related", "looked at")
    undone = a.step_many(changes, forward=False)
    assert undone.refused == 1
    assert b.state(ids[3], "related").reviewed  # its own mark, from before
    assert not any(b.state(i, "related").reviewed for i in ids[:10] if i != ids[3])
    assert b.state(ids[5], "related").note == "looked at"


def test_adding_several_products_is_one_change_and_its_undo_leaves_entries_changed_since(two_windows):
    a, b, ids = two_windows
    source = ids[0]
    before = a.state(source, "related")
    added = [ids[37], ids[38], ids[39]]
    change = a.change(source, "related", edits.add_many([(t, 0.4) for t in added], 1))
    shown = [e.target_id for e in b.state(source, "related").shown]
    assert shown[1:4] == added and all(e.pinned for e in b.state(source, "related").shown[1:4])
    b.change(source, "related", edits.block(ids[38]))  # the other window blocks one of them
    undone = a.step_many([change], forward=False)
    assert undone.refused == 1
    state = b.state(source, "related")
    assert [e.target_id for e in state.shown] == [e.target_id for e in before.shown]
    assert {e.target_id for e in state.blocked} == {ids[38]}


def test_a_forgotten_product_is_left_out_of_a_bulk_edit(two_windows):
    a, b, ids = two_windows
    b.store.remove_items([ids[2]])
    changes = a.mark_reviewed(ids[:4], "related")
    assert [c.after.item_id for c in changes] == [ids[0], ids[1], ids[3]]


def test_a_bulk_edit_lets_other_windows_in_between_its_transactions_and_keeps_their_edits(two_windows, monkeypatch):
    a, b, ids = two_windows
    product, late = ids[30], ids[22]  # a list of the last transaction
    commits = []
    point = faults.point

    def between(name: str) -> None:
        point(name)
        if name == "db:lists:committed" and not commits:
            commits.append("first")
            b.change(late, "related", edits.pin(b.state(late, "related").shown[0].target_id))  # the lock is free: it gets in
            b.set_note(late, "related", "from the other window")
        if name == "db:lists:committed":
            commits.append(name)

    monkeypatch.setattr(faults, "point", between)
    changes = a.block_everywhere(product)
    assert len(changes) == LISTS and len(commits) == 1 + 2 + 4  # the other window's two edits, and 25 lists 7 a transaction
    state = b.state(late, "related")
    assert state.note == "from the other window" and state.shown[0].pinned
    assert product in {e.target_id for e in state.blocked}


def test_a_full_disk_part_way_keeps_what_was_written_and_says_it_can_be_undone(two_windows, monkeypatch):
    a, b, ids = two_windows
    product = ids[30]
    before = _everything(b)
    commits = []
    point = faults.point

    def full_at_the_third_commit(name: str) -> None:
        point(name)
        if name == "db:lists:commit":
            commits.append(name)
            if len(commits) == 3:
                raise OSError(28, "No space left on device")

    monkeypatch.setattr(faults, "point", full_at_the_third_commit)
    with pytest.raises(BulkInterrupted) as stopped:
        a.block_everywhere(product)
    assert "disk is full" in str(stopped.value) and len(stopped.value.done) == 14  # two transactions of seven
    monkeypatch.setattr(faults, "point", point)
    blocked = {s for s, state in _everything(b).items() if product in {e.target_id for e in state.blocked}}
    assert blocked == {c.after.item_id for c in stopped.value.done}
    a.step_many(stopped.value.done, forward=False)
    assert _everything(b) == before
