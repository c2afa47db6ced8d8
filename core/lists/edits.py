"""List edits as changes of one list, and their inverse applied to the list as it is now.

An edit (pin, block, move, add, note, review mark) is a function from a list to the list after
it, aimed at some of its entries; `Curation.change` runs it inside one transaction on the stored
list. Undo and redo do not write back a copy read earlier: they put the entries the edit aimed
at (and its note or mark) back as they were, or as the edit made them, on the list as it is now,
and refuse (EditConflict) when a later edit, from this window or another, changed one of those
since. Everything else in the list stays as it is now.

What a person decides of an entry is its fact: pinned, blocked, or free (suggested, or not in the
list at all: suggestions come and go as lists are remade).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from core.common import InputError, LookalikeError
from core.lists.state import BLOCKED, PINNED, SUGGESTED, Entry, ListState


@dataclass(frozen=True)
class Edit:
    """One edit of a list: what it does, and the entries it is about."""

    apply: Callable[[ListState], ListState]
    targets: frozenset[int] = frozenset()

    def __call__(self, state: ListState) -> ListState:
        return self.apply(state)


class EditConflict(LookalikeError):
    """An undo or redo whose entries were changed since by another edit."""


@dataclass(frozen=True)
class ListChange:
    """One edit of one list: the list just before it and just after it, read in the edit's transaction."""

    before: ListState
    after: ListState
    targets: frozenset[int] = field(default=frozenset())  # the entries it is about

    @property
    def changed(self) -> bool:
        return self.before != self.after


def settle(state: ListState, shown: list[Entry], blocked: list[Entry], **changes: object) -> ListState:
    """`state` with these shown entries (numbered in this order) and blocked ones (by target id)."""
    numbered = [e if e.position == i else replace(e, position=i) for i, e in enumerate(shown)]
    out = sorted((replace(e, position=-1) for e in blocked), key=lambda e: e.target_id)
    return replace(state, entries=tuple(numbered + out), **changes)


# the edits -----------------------------------------------------------------------------------
def pin(target_id: int, pinned: bool = True) -> Edit:
    def apply(state: ListState) -> ListState:
        shown = [replace(e, state=PINNED if pinned else SUGGESTED) if e.target_id == target_id else e for e in state.shown]
        return settle(state, shown, state.blocked)
    return Edit(apply, frozenset({target_id}))


def block(target_id: int) -> Edit:
    def apply(state: ListState) -> ListState:
        hit = [e for e in state.entries if e.target_id == target_id]
        blocked = [e for e in state.blocked if e.target_id != target_id] + [Entry(target_id, -1, hit[0].score if hit else None, BLOCKED)]
        return settle(state, [e for e in state.shown if e.target_id != target_id], blocked)
    return Edit(apply, frozenset({target_id}))


def unblock(target_id: int) -> Edit:
    return Edit(lambda state: settle(state, state.shown, [e for e in state.blocked if e.target_id != target_id]), frozenset({target_id}))


def move(target_id: int, position: int, score: float | None = None) -> Edit:
    """Put `target_id` at `position` and pin it there (adding it if it was not in the list)."""
    def apply(state: ListState) -> ListState:
        if state.item_id == target_id:
            raise InputError("a product cannot recommend itself")
        existing = [e for e in state.entries if e.target_id == target_id]
        entry = Entry(target_id, position, existing[0].score if existing else score, PINNED)
        shown = [e for e in state.shown if e.target_id != target_id]
        shown.insert(max(0, min(position, len(shown))), entry)
        return settle(state, shown, [e for e in state.blocked if e.target_id != target_id])
    return Edit(apply, frozenset({target_id}))


def add_many(targets: Sequence[tuple[int, float | None]], position: int) -> Edit:
    """Put these (target, score) products at `position` on, in this order, each pinned; one edit for them all."""
    def apply(state: ListState) -> ListState:
        for offset, (target_id, score) in enumerate(targets):
            state = move(target_id, position + offset, score)(state)
        return state
    return Edit(apply, frozenset(target_id for target_id, _ in targets))


def note(text: str) -> Edit:
    return Edit(lambda state: settle(state, state.shown, state.blocked, note=text))


def reviewed(flag: bool = True) -> Edit:
    return Edit(lambda state: settle(state, state.shown, state.blocked, reviewed=flag))


# undo and redo -------------------------------------------------------------------------------
def fact(state: ListState, target_id: int) -> str:
    """What a person decided of this entry: 'pinned', 'blocked' or 'free'."""
    for entry in state.entries:
        if entry.target_id == target_id:
            return entry.state if entry.state in (PINNED, BLOCKED) else "free"
    return "free"


def carry_over(current: ListState, change: ListChange, forward: bool, what: str) -> ListState:
    """`current` with `change` made again (`forward`) or taken back, on the entries it is about.

    Each of its entries, and its note or mark where it changed them, must still be as the change
    left them (as it found them, for redo), else EditConflict naming `what`; they become as the
    change found them (left them, for redo), each at its place there. The rest stays as it is now.
    """
    source, target = (change.before, change.after) if forward else (change.after, change.before)
    stale = [t for t in change.targets if fact(current, t) != fact(source, t)]
    if stale or (source.note != target.note and current.note != source.note) or (
        source.reviewed != target.reviewed and current.reviewed != source.reviewed
    ):
        raise EditConflict(f"cannot {what}: the list was changed since, in this window or another; it is shown as it is now")
    aimed = change.targets
    shown = [e for e in current.shown if e.target_id not in aimed]
    for entry in sorted((e for e in target.shown if e.target_id in aimed), key=lambda e: e.position):
        shown.insert(min(entry.position, len(shown)), entry)
    blocked = [e for e in current.blocked if e.target_id not in aimed] + [e for e in target.blocked if e.target_id in aimed]
    return settle(
        current,
        shown,
        blocked,
        note=target.note if source.note != target.note else current.note,
        reviewed=target.reviewed if source.reviewed != target.reviewed else current.reviewed,
    )


@dataclass(frozen=True)
class CarriedOver:
    """What a step on one list did where it could: the list after it, the part of the change it carried over, what it left."""

    state: ListState
    part: ListChange  # the change narrowed to what was carried over: what a later step takes back or makes again
    refused: int  # entries (and a note or a mark) changed since by another edit, left as they are now

    @property
    def done(self) -> bool:
        return bool(self.part.targets) or self.part.before.note != self.part.after.note or (
            self.part.before.reviewed != self.part.after.reviewed
        )


def carry_over_where_unchanged(current: ListState, change: ListChange, forward: bool) -> CarriedOver:
    """`carry_over` on those of the change's entries (and its note or mark) still as it left them (found
    them, for redo); the others, changed since by another edit, stay as they are now and are counted."""
    source, target = (change.before, change.after) if forward else (change.after, change.before)
    kept = frozenset(t for t in change.targets if fact(current, t) == fact(source, t))
    note_moved = source.note != target.note and current.note != source.note
    mark_moved = source.reviewed != target.reviewed and current.reviewed != source.reviewed
    after = change.after
    if note_moved:
        after = replace(after, note=change.before.note)
    if mark_moved:
        after = replace(after, reviewed=change.before.reviewed)
    part = ListChange(change.before, after, kept)
    refused = len(change.targets) - len(kept) + note_moved + mark_moved
    return CarriedOver(carry_over(current, part, forward, "carry the change over"), part, refused)
