"""List edits as one transaction each, and undo and redo applied to the list as it is now."""
from __future__ import annotations

import pytest

from core.common import InputError
from core.lists import Curation, EditConflict, ListState, edits
from core.lists.state import BLOCKED, PINNED, SUGGESTED, Entry
from core.storage import CatalogStore


@pytest.fixture
def two_windows(tmp_path):
    """One catalog database opened twice, as by two app windows (two connections)."""
    db = tmp_path / "c.sqlite"
    with CatalogStore(db) as store:
        store.add_items([(f"{i:02}.jpg", 1, 1, None) for i in range(12)])
        ids = [i.id for i in store.items()]
        Curation(store).restore(ListState(ids[0], "related", tuple(Entry(t, p, 0.9 - p / 100, SUGGESTED) for p, t in enumerate(ids[1:7]))))
    a, b = CatalogStore(db), CatalogStore(db)
    yield Curation(a), Curation(b), ids
    a.close()
    b.close()


def _facts(state: ListState) -> dict[int, tuple]:
    return {e.target_id: (e.state, e.position if e.state == PINNED else None) for e in state.entries}


def test_an_edit_reads_the_list_as_committed_by_another_window(two_windows):
    a, b, ids = two_windows
    source = ids[0]
    a.pin(source, "related", ids[2])
    b.block(source, "related", ids[4])  # B read nothing before: the edit reads inside its own transaction
    a.set_note(source, "related", "from A")
    b.set_reviewed(source, "related", True)
    state = a.state(source, "related")
    assert _facts(state)[ids[2]][0] == PINNED and _facts(state)[ids[4]][0] == BLOCKED
    assert state.note == "from A" and state.reviewed


def test_undo_takes_back_only_its_own_entries(two_windows):
    a, b, ids = two_windows
    source = ids[0]
    pin = a.change(source, "related", edits.pin(ids[3]))
    b.set_note(source, "related", "from B")
    b.set_reviewed(source, "related", True)
    b.block(source, "related", ids[5])
    a.undo(pin)
    state = b.state(source, "related")
    assert _facts(state)[ids[3]] == (SUGGESTED, None)
    assert state.note == "from B" and state.reviewed and _facts(state)[ids[5]][0] == BLOCKED
    a.redo(pin)
    state = b.state(source, "related")
    assert _facts(state)[ids[3]] == (PINNED, pin.after.shown[2].position)
    assert state.note == "from B" and state.reviewed


def test_undo_of_a_move_puts_everything_back_and_keeps_other_edits(two_windows):
    a, b, ids = two_windows
    source = ids[0]
    a.pin(source, "related", ids[4])  # pinned at 3
    move = a.change(source, "related", edits.move(ids[6], 0))  # pushes the pin to 4
    b.set_note(source, "related", "kept")
    a.undo(move)
    state = a.state(source, "related")
    assert [e.target_id for e in state.shown] == ids[1:7]
    assert _facts(state)[ids[4]] == (PINNED, 3) and _facts(state)[ids[6]] == (SUGGESTED, None)
    assert state.note == "kept"


def test_undo_refuses_when_a_later_edit_changed_its_entry(two_windows):
    a, b, ids = two_windows
    source = ids[0]
    pin = a.change(source, "related", edits.pin(ids[2]))
    b.block(source, "related", ids[2])
    with pytest.raises(EditConflict, match="changed since"):
        a.undo(pin)
    assert _facts(b.state(source, "related"))[ids[2]][0] == BLOCKED
    note = a.change(source, "related", edits.note("first"))
    b.set_note(source, "related", "second")
    with pytest.raises(EditConflict):
        a.undo(note)
    assert a.state(source, "related").note == "second"


def test_undo_of_an_add_removes_only_what_it_added(two_windows):
    a, b, ids = two_windows
    source = ids[0]
    add = a.change(source, "related", edits.move(ids[9], 1, 0.5))
    b.change(source, "related", edits.move(ids[10], 0, 0.4))
    a.undo(add)
    state = a.state(source, "related")
    assert ids[9] not in _facts(state)
    assert state.shown[0].target_id == ids[10] and state.shown[0].pinned


def test_an_edit_on_a_product_forgotten_elsewhere_is_said_in_words(two_windows):
    a, b, ids = two_windows
    b.store.remove_items([ids[11]])  # as `missing --forget` in another process
    with pytest.raises(InputError, match="no longer in the catalog"):
        a.move(ids[0], "related", ids[11], 0)
    assert ids[11] not in _facts(a.state(ids[0], "related"))
