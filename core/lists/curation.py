"""Curated recommendation lists: seeded from lookalikes, then pinned, blocked, reordered, added to, annotated.

Each product has a list per kind (related, cross-sell, upsell). An entry is `suggested` (the
generator put it there and may replace it), `pinned` (a person put it at that position:
moved, added or pinned) or `blocked` (never to be suggested again for this product).
Every edit is one SQLite transaction, so an edit is on disk before the call returns.
Regenerating replaces only suggestions: pinned entries keep their place, blocked ones stay
out, notes and review marks stay.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from itertools import chain, groupby, islice
from operator import itemgetter
from pathlib import PurePosixPath
from typing import Callable, Iterator, Sequence

from core.common import CancelToken, InputError, LookalikeError, Progress, ProgressFn, no_progress
from core.duplicates import DuplicateMemory
from core.lists import edits
from core.lists.apart import keep_apart
from core.lists.edits import Edit, ListChange
from core.lists.products import Products
from core.lists.state import BLOCKED, PINNED, SUGGESTED, Entry, ListState
from core.similarity import CatalogSearcher
from core.storage import CatalogStore, Item

LIST_KINDS = ("related", "cross-sell", "upsell")
BULK_LISTS = 64  # from this many lists on, matches are found in bulk
# Lists matched and written in one transaction: in bulk, and one search each (about ten times slower a list).
_BLOCK, _BLOCK_ONE_BY_ONE = 2000, 200
_BULK_LISTS = 200  # lists read, changed and written in one transaction of a bulk edit (tens of ms holding the write lock)
_WRITE_ENTRIES = 4000  # list entries merged and written in one transaction (about 0.1 s holding the write lock)
_MAKING = "making:"  # meta key prefix: a run making lists of that kind is under way (or was stopped)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    reviewed  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, kind)
);
CREATE TABLE IF NOT EXISTS list_entries (
    item_id   INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    target_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    score     REAL,
    state     TEXT NOT NULL CHECK (state IN ('suggested', 'pinned', 'blocked')),
    PRIMARY KEY (item_id, kind, target_id),
    FOREIGN KEY (item_id, kind) REFERENCES lists(item_id, kind) ON DELETE CASCADE
);
"""


@dataclass(frozen=True)
class Rules:
    """How a batch fills lists."""

    k: int = 10
    min_score: float = 0.0
    category: str = "any"  # any | same | other ("complete the look")
    group: str = "none"  # none | sku-prefix | base-name: never recommend the same product in another variant
    sku_prefix: int = 0  # with group sku-prefix: this many characters; 0 = up to the last separator
    kind: str = "related"
    colour_weight: float = 0.0  # 0 matches by shape only, 1 by colour only
    # A product with several photos is matched by its main photo ("main") or by all of them, a
    # candidate scoring its best pair ("all"); either way it is one entry in lists.
    photos: str = "main"
    # Colourways of one design (as the duplicate finding knows them): "apart" leaves those of the
    # product itself out and keeps one of any other design; "include" treats them as any product.
    variants: str = "apart"

    def __post_init__(self) -> None:
        if self.k <= 0:
            raise InputError("k must be at least 1")
        if self.category not in ("any", "same", "other"):
            raise InputError(f"category rule must be any, same or other, not {self.category!r}")
        if self.group not in ("none", "sku-prefix", "base-name"):
            raise InputError(f"group rule must be none, sku-prefix or base-name, not {self.group!r}")
        if self.kind not in LIST_KINDS:
            raise InputError(f"list kind must be one of {', '.join(LIST_KINDS)}, not {self.kind!r}")
        if not -1.0 <= self.min_score <= 1.0:
            raise InputError("minimum similarity must be between -1 and 1")
        if not 0.0 <= self.colour_weight <= 1.0:
            raise InputError("colour weight must be between 0 and 1")
        if self.photos not in ("main", "all"):
            raise InputError(f"photos rule must be main or all, not {self.photos!r}")
        if self.variants not in ("apart", "include"):
            raise InputError(f"variants rule must be apart or include, not {self.variants!r}")

    def to_json(self) -> str:
        """The rules as one line of JSON: the workspace keeps a list kind's so, and the app its named presets."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Rules | None:
        """Rules written by `to_json`; None for text that holds no valid rules (damaged, or of another version)."""
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError, InputError):
            return None


_SEPARATORS = re.compile(r"[-_.\s/]+")


def product_group(item: Item, rules: Rules) -> str | None:
    """The key that variants of one product share under `rules` (None: the item forms no group)."""
    if rules.group == "sku-prefix":
        if not item.sku:
            return None
        if rules.sku_prefix > 0:
            return item.sku[: rules.sku_prefix].lower()
        parts = _SEPARATORS.split(item.sku.strip())
        return "-".join(parts[:-1]).lower() if len(parts) > 1 else item.sku.lower()
    if rules.group == "base-name":
        stem = PurePosixPath(item.path).stem
        parts = _SEPARATORS.split(stem)
        return (PurePosixPath(item.path).parent / "-".join(parts[:-1] if len(parts) > 1 else parts)).as_posix().lower()
    return None


def allowed(source: Item, target: Item, rules: Rules) -> bool:
    """Whether `target` may be recommended for `source` by the category and product-group rules."""
    if source.id == target.id:
        return False
    if rules.category == "same" and source.category != target.category:
        return False
    if rules.category == "other" and (source.category is None or source.category == target.category):
        return False
    group = product_group(source, rules)
    return group is None or group != product_group(target, rules)


def assemble(pinned: Sequence[Entry], suggestions: Sequence[tuple[int, float]], k: int) -> list[Entry]:
    """Pinned entries at their positions and (target, score) suggestions in the places between.

    The list is k long, or longer when a pinned entry sits further down; if suggestions run
    out, the remaining pinned entries close up behind the last one.
    """
    anchored = sorted(pinned, key=lambda e: e.position)
    length = max(k, anchored[-1].position + 1 if anchored else 0)
    queue = iter(suggestions)
    result: list[Entry] = []
    next_pinned = 0
    for position in range(length):
        if next_pinned < len(anchored) and anchored[next_pinned].position <= position:
            result.append(anchored[next_pinned])
            next_pinned += 1
            continue
        suggestion = next(queue, None)
        if suggestion is None:
            break
        result.append(Entry(suggestion[0], position, suggestion[1], SUGGESTED))
    result.extend(anchored[next_pinned:])
    return [e if e.position == i else replace(e, position=i) for i, e in enumerate(result)]


class Curation:
    """The curated lists in one workspace database."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store
        store.ensure_tables(_SCHEMA)

    # reading -----------------------------------------------------------------------------
    def state(self, item_id: int, kind: str = "related") -> ListState:
        rows = self.store.query("SELECT note, reviewed FROM lists WHERE item_id = ? AND kind = ?", (item_id, kind))
        if not rows:
            return ListState(item_id, kind)
        entries = self.store.query(
            "SELECT target_id, position, score, state FROM list_entries WHERE item_id = ? AND kind = ? "
            "ORDER BY state = 'blocked', position, target_id",
            (item_id, kind),
        )
        return ListState(item_id, kind, tuple(Entry(*e) for e in entries), rows[0][0], bool(rows[0][1]))

    def has_lists(self, kind: str = "related") -> bool:
        return bool(self.store.query("SELECT 1 FROM lists WHERE kind = ? LIMIT 1", (kind,)))

    def review_counts(self, kind: str = "related") -> tuple[int, int]:
        """(lists marked reviewed, lists in all) of this kind."""
        (reviewed, total), = self.store.query("SELECT COALESCE(SUM(reviewed), 0), COUNT(*) FROM lists WHERE kind = ?", (kind,))
        return int(reviewed), int(total)

    def all_states(self, kind: str = "related") -> Iterator[ListState]:
        """Every list of this kind, in the order of the products' paths (read in one pass)."""
        rows = self.store.query(
            "SELECT lists.item_id, note, reviewed, target_id, position, score, state FROM lists "
            "JOIN items ON items.id = lists.item_id "
            "LEFT JOIN list_entries USING (item_id, kind) WHERE kind = ? "
            "ORDER BY items.path, lists.item_id, state = 'blocked', position, target_id",
            (kind,),
        )
        for item_id, group in groupby(rows, key=lambda row: row[0]):
            first, *rest = group
            entries = tuple(Entry(*row[3:]) for row in (first, *rest) if row[3] is not None)
            yield ListState(item_id, kind, entries, first[1], bool(first[2]))

    # writing -----------------------------------------------------------------------------
    def restore(self, state: ListState) -> None:
        """Make the stored list exactly `state` (one transaction), whatever it holds now: for setting a list up
        whole; edits go through `change`, which never writes back a copy read earlier."""
        self.restore_many([state])

    def restore_many(self, states: Sequence[ListState], meta: dict[str, str] | None = None) -> None:
        """`restore` for many lists in one transaction (with `meta` facts set in the same commit)."""
        with self.store.transaction("lists") as db:
            self._write(db, states)
            if meta:
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())

    def unfinished_run(self, kind: str = "related") -> tuple[int, int] | None:
        """(lists made, lists to make) of a run making this kind of list that was stopped before the end, else None."""
        text = self.store.get_meta(f"{_MAKING}{kind}")
        if text is None:
            return None
        try:
            facts = json.loads(text)
            done, total = int(facts["done"]), int(facts["total"])
        except (ValueError, KeyError, TypeError):
            return None
        return (done, total) if done < total else None

    @staticmethod
    def _write(db: sqlite3.Connection, states: Sequence[ListState]) -> None:
        db.executemany(
            "INSERT INTO lists (item_id, kind, note, reviewed) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (item_id, kind) DO UPDATE SET note = excluded.note, reviewed = excluded.reviewed",
            [(state.item_id, state.kind, state.note, int(state.reviewed)) for state in states],
        )
        db.executemany("DELETE FROM list_entries WHERE item_id = ? AND kind = ?", [(state.item_id, state.kind) for state in states])
        db.executemany(
            "INSERT INTO list_entries (item_id, kind, target_id, position, score, state) VALUES (?, ?, ?, ?, ?, ?)",
            [(state.item_id, state.kind, e.target_id, e.position, e.score, e.state) for state in states for e in state.entries],
        )

    def change(self, item_id: int, kind: str, edit: Edit) -> ListChange:
        """Apply one edit to the stored list in one transaction: read, changed and written under the write lock.

        A product that another window or run has meanwhile forgotten is an InputError, not a traceback.
        """
        try:
            with self.store.transaction("lists") as db:
                before = self.state(item_id, kind)
                after = edit(before)
                if after != before:
                    self._write(db, [after])
        except sqlite3.IntegrityError:
            raise InputError("that product is no longer in the catalog (it was forgotten in another window or run)") from None
        return ListChange(before, after, edit.targets)

    def undo(self, change: ListChange, what: str = "undo this edit") -> ListState:
        """Take `change` back from the list as it is now (EditConflict if a later edit changed its entries)."""
        return self._step(change, False, what)

    def redo(self, change: ListChange, what: str = "redo this edit") -> ListState:
        """Make `change` again on the list as it is now (EditConflict if a later edit changed its entries)."""
        return self._step(change, True, what)

    def _step(self, change: ListChange, forward: bool, what: str) -> ListState:
        step = Edit(lambda now: edits.carry_over(now, change, forward, what), change.targets)
        return self.change(change.before.item_id, change.before.kind, step).after

    def pin(self, item_id: int, kind: str, target_id: int, pinned: bool = True) -> ListState:
        return self.change(item_id, kind, edits.pin(target_id, pinned)).after

    def block(self, item_id: int, kind: str, target_id: int) -> ListState:
        return self.change(item_id, kind, edits.block(target_id)).after

    def unblock(self, item_id: int, kind: str, target_id: int) -> ListState:
        return self.change(item_id, kind, edits.unblock(target_id)).after

    def move(self, item_id: int, kind: str, target_id: int, position: int, score: float | None = None) -> ListState:
        """Put `target_id` at `position` and pin it there (adding it if it was not in the list)."""
        return self.change(item_id, kind, edits.move(target_id, position, score)).after

    add = move

    def set_note(self, item_id: int, kind: str, note: str) -> ListState:
        return self.change(item_id, kind, edits.note(note)).after

    def set_reviewed(self, item_id: int, kind: str, reviewed: bool = True) -> ListState:
        return self.change(item_id, kind, edits.reviewed(reviewed)).after

    # many lists at once ------------------------------------------------------------------
    def change_many(self, edits_of: Sequence[tuple[int, str, Edit]]) -> list[ListChange]:
        """Apply each (item, kind, edit) to its stored list, `_BULK_LISTS` lists a transaction, each list
        read, changed and written under the write lock; a product forgotten meanwhile is left out."""
        done: list[ListChange] = []
        try:
            self._each(
                [(item_id, kind, edit.apply) for item_id, kind, edit in edits_of],
                lambda index, before, after: done.append(ListChange(before, after, edits_of[index][2].targets)),
            )
        except LookalikeError as exc:
            if any(change.changed for change in done):
                raise BulkInterrupted(exc, [change for change in done if change.changed]) from exc
            raise
        return done

    def step_many(self, changes: Sequence[ListChange], forward: bool) -> BulkStep:
        """Take `changes` back (or make them again, `forward`) on the lists as they are now, a few hundred
        lists a transaction; entries changed since by another edit stay as they are and are counted."""
        carried: list[edits.CarriedOver] = []
        work = [
            (change.before.item_id, change.before.kind, lambda now, change=change: _carry(carried, now, change, forward))
            for change in changes
        ]
        states: list[ListState] = []
        self._each(work, lambda index, before, after: states.append(after))
        gone = len(changes) - len(carried)  # lists whose product was forgotten meanwhile
        return BulkStep(
            tuple(c.part for c in carried if c.done), sum(c.refused for c in carried) + gone, tuple(states)
        )

    def block_everywhere(self, target_id: int, kinds: Sequence[str] = LIST_KINDS) -> list[ListChange]:
        """Block `target_id` in every stored list of these kinds (but its own); returns the lists it changed."""
        keys = self.store.query(
            "SELECT item_id, kind FROM lists WHERE item_id != ? AND kind IN (SELECT value FROM json_each(?)) "
            "ORDER BY kind, item_id",
            (target_id, json.dumps(list(kinds))),
        )
        block = edits.block(target_id)
        return [change for change in self.change_many([(item_id, kind, block) for item_id, kind in keys]) if change.changed]

    def mark_reviewed(self, item_ids: Sequence[int], kind: str, reviewed: bool = True) -> list[ListChange]:
        """Mark the lists of these products reviewed (or not); returns the lists it changed."""
        mark = edits.reviewed(reviewed)
        return [change for change in self.change_many([(i, kind, mark) for i in dict.fromkeys(item_ids)]) if change.changed]

    def _each(
        self,
        work: Sequence[tuple[int, str, Callable[[ListState], ListState]]],
        done: Callable[[int, ListState, ListState], None],
    ) -> None:
        """Run each (item, kind, change) on its stored list, `_BULK_LISTS` lists a transaction; `done` hears of
        each (its place in `work`, the list before, after). Products no longer in the catalog are left out."""
        for first in range(0, len(work), _BULK_LISTS):
            part = work[first : first + _BULK_LISTS]
            with self.store.transaction("lists") as db:
                ids = json.dumps(sorted({item_id for item_id, _, _ in part}))
                present = {row[0] for row in db.execute("SELECT id FROM items WHERE id IN (SELECT value FROM json_each(?))", (ids,))}
                stored = self._states([(item_id, kind) for item_id, kind, _ in part if item_id in present])
                changed, heard = [], []
                for offset, (item_id, kind, step) in enumerate(part):
                    if item_id not in present:
                        continue
                    before = stored.get((item_id, kind)) or ListState(item_id, kind)
                    after = step(before)
                    stored[(item_id, kind)] = after  # a list named twice takes both changes, in order
                    heard.append((first + offset, before, after))
                    if after != before:
                        changed.append(after)
                self._write(db, list({(s.item_id, s.kind): s for s in changed}.values()))
            for index, before, after in heard:
                done(index, before, after)

    def _states(self, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], ListState]:
        """The stored lists of these (item, kind) keys, read in one pass a kind (lists not stored are left out)."""
        found: dict[tuple[int, str], ListState] = {}
        for kind in sorted({kind for _, kind in keys}):
            ids = json.dumps(sorted({item_id for item_id, k in keys if k == kind}))
            rows = self.store.query(
                "SELECT lists.item_id, note, reviewed, target_id, position, score, state FROM lists "
                "LEFT JOIN list_entries USING (item_id, kind) WHERE kind = ? AND lists.item_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY lists.item_id, state = 'blocked', position, target_id",
                (kind, ids),
            )
            for item_id, group in groupby(rows, key=itemgetter(0)):
                first, *rest = group
                entries = tuple(Entry(*row[3:]) for row in (first, *rest) if row[3] is not None)
                found[(item_id, kind)] = ListState(item_id, kind, entries, first[1], bool(first[2]))
        return found

    # generating --------------------------------------------------------------------------
    def generate(
        self,
        searcher: CatalogSearcher,
        rules: Rules = Rules(),
        items: Sequence[int] | None = None,
        progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None,
        bulk: bool | None = None,
    ) -> int:
        """Fill (or refill) the lists of `items` (default: every indexed item); returns how many.

        Suggestions are replaced; pinned entries, blocked entries, notes and review marks stay.
        With `bulk` (by default when there are many lists) they are matched all at once
        (`CatalogSearcher.similar_to_items`), else one search each.
        """
        catalog = {item.id: item for item in searcher.items()}
        products = Products(catalog.values())
        known = DuplicateMemory(self.store).known()
        todo = products.mains() if items is None else list(dict.fromkeys(products.main(i) for i in items if i in catalog))
        wanted = max(rules.k * 5, 50) if rules.category == "any" else max(rules.k * 20, 200)
        pool = min(len(catalog) - 1, round(wanted * products.photos_per_product))
        bulk = (len(todo) >= BULK_LISTS if bulk is None else bulk) and pool > 0
        if bulk:
            todo = searcher.locality_order(todo, rules.colour_weight, progress, cancel)
        marker = f"{_MAKING}{rules.kind}"
        whole_run = items is None
        done = 0
        size = _BLOCK if bulk else _BLOCK_ONE_BY_ONE
        for start in range(0, len(todo), size):
            if cancel is not None:
                cancel.raise_if_cancelled()
            block = todo[start : start + size]
            sources = {i: products.photos_of(i) if rules.photos == "all" else [i] for i in block}
            if bulk:
                photos = [p for ps in sources.values() for p in ps if p in searcher]
                found = searcher.similar_to_items(photos, pool, rules.colour_weight, cancel)
            elif pool > 0:
                found = {p: [(m.item_id, m.score) for m in searcher.similar_to_item(p, pool, rules.colour_weight)]
                         for ps in sources.values() for p in ps if p in searcher}
            else:
                found = {}  # a catalog of one product: nothing to match it with
            # Candidates are ranked before the transaction, as far as the lists' current edits suggest
            # they will be needed; the transaction holds the write lock only to merge and write.
            hint = self._curated(block, rules.kind)
            ranked = {}
            for item_id in block:
                source = catalog[item_id]
                candidates = (
                    (target, score)
                    for target, score in _product_matches(found, products, item_id, sources[item_id])
                    if score >= rules.min_score and allowed(source, catalog[target], rules)
                )
                head = list(islice(candidates, rules.k + len(hint[item_id].entries if item_id in hint else ()) + 4))
                ranked[item_id] = chain(head, candidates)
            # What a person made of these lists is read in the transaction that writes them, so an
            # edit made meanwhile (in this window, another, or on the command line) is merged, never
            # overwritten; a few thousand entries a transaction keep an edit's wait for it short.
            chunk = max(1, _WRITE_ENTRIES // rules.k)
            for first in range(0, len(block), chunk):
                part = block[first : first + chunk]
                with self.store.transaction("lists"):
                    curated = self._curated(part, rules.kind)
                    states = []
                    for item_id in part:
                        old = curated.get(item_id) or ListState(item_id, rules.kind)
                        # Pins and blocks stay even while their photo cannot be searched (unreadable or
                        # missing for a while, say); they go only with the item itself.
                        keep = [e for e in old.shown if e.pinned]
                        skip = {e.target_id for e in old.entries}
                        suggestions = ((target, score) for target, score in ranked[item_id] if target not in skip)
                        suggestions = keep_apart(known, products, item_id, suggestions, rules.variants == "include")
                        keep = [replace(e, score=_current_score(searcher, item_id, e, rules.colour_weight)) for e in keep]
                        shown = assemble(keep, suggestions, rules.k)
                        blocked = sorted(old.blocked, key=lambda e: e.target_id)
                        states.append(replace(old, entries=tuple(shown + blocked)))
                    done += len(states)
                    # Until the run's last commit, the workspace says a run was under way, so a run stopped
                    # half-way (lists of two rule sets side by side) is reported, not taken for a whole one.
                    meta = {marker: json.dumps({"done": done, "total": len(todo), "rules": asdict(rules)})} if whole_run else None
                    if whole_run and done == len(todo):
                        meta = {**(meta or {}), f"rules:{rules.kind}": rules.to_json()}
                    self.restore_many(states, meta)
            progress(Progress("recommend", done, len(todo)))
        if whole_run:
            self.store.delete_meta(marker)
            if not todo:
                self.store.set_meta({f"rules:{rules.kind}": rules.to_json()})
        elif self.store.get_meta(f"rules:{rules.kind}") is None:
            self.store.set_meta({f"rules:{rules.kind}": rules.to_json()})
        return done

    def _curated(self, item_ids: Sequence[int], kind: str) -> dict[int, ListState]:
        """The stored lists of `item_ids` with only what a person made of them: pins, blocks, notes, review marks."""
        ids = json.dumps(list(item_ids))
        states = {
            item_id: ListState(item_id, kind, (), note, bool(reviewed))
            for item_id, note, reviewed in self.store.query(
                "SELECT item_id, note, reviewed FROM lists WHERE kind = ? AND item_id IN (SELECT value FROM json_each(?))", (kind, ids)
            )
        }
        entries: dict[int, list[Entry]] = {}
        for item_id, *entry in self.store.query(
            "SELECT item_id, target_id, position, score, state FROM list_entries "
            "WHERE kind = ? AND state != 'suggested' AND item_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY item_id, state = 'blocked', position, target_id",
            (kind, ids),
        ):
            entries.setdefault(item_id, []).append(Entry(*entry))
        for item_id, found in entries.items():
            if item_id in states:
                states[item_id] = replace(states[item_id], entries=tuple(found))
        return states

    def last_rules(self, kind: str) -> Rules | None:
        """The rules this kind of list was last made with (None if it never was)."""
        text = self.store.get_meta(f"rules:{kind}")
        return Rules.from_json(text) if text is not None else None

    def block_and_refill(self, searcher: CatalogSearcher | None, item_id: int, kind: str, target_id: int) -> ListState:
        """Block an entry, then fill its place by the rules the list was made with (when known)."""
        return self.block_and_refill_change(searcher, item_id, kind, target_id).after

    def block_and_refill_change(self, searcher: CatalogSearcher | None, item_id: int, kind: str, target_id: int) -> ListChange:
        """`block_and_refill` as one change (one transaction), for undo."""
        rules = self.last_rules(kind)
        with self.store.transaction("lists"):
            blocked = self.change(item_id, kind, edits.block(target_id))
            if searcher is not None and rules is not None and blocked.changed:
                self.generate(searcher, rules, items=[item_id])
            after = self.state(item_id, kind)
            refill = {e.target_id for e in after.entries} - {e.target_id for e in blocked.before.entries}
            return ListChange(blocked.before, after, blocked.targets | refill)  # undo takes the refill out too


class BulkInterrupted(LookalikeError):
    """A bulk edit stopped part-way by a write the disk refused: the lists written before it stay so (`done`)."""

    def __init__(self, cause: LookalikeError, done: list[ListChange]) -> None:
        super().__init__(f"{cause} ({len(done):,} lists were changed before it)")
        self.done = done


@dataclass(frozen=True)
class BulkStep:
    """An undo or redo of many lists' changes: what it carried over, what it left, the lists after it."""

    done: tuple[ListChange, ...]  # each change narrowed to what was carried over (what the next step works on)
    refused: int  # entries (notes, marks, lists of forgotten products) changed since, left as they are now
    states: tuple[ListState, ...]


def _carry(carried: list[edits.CarriedOver], now: ListState, change: ListChange, forward: bool) -> ListState:
    step = edits.carry_over_where_unchanged(now, change, forward)
    carried.append(step)
    return step.state


def _product_matches(
    found: dict[int, list[tuple[int, float]]], products: Products, item_id: int, sources: Sequence[int]
) -> Iterator[tuple[int, float]]:
    """Other products like `item_id`'s, as (main photo, score), best first; each product once.

    `found` holds the matches of each photo in `sources` (the source's main photo, or all of its
    photos); a match on any photo of a product counts for the product, at its best score.
    """
    if len(sources) == 1 and products.photos_per_product == 1.0:  # one photo a product: matches are products already
        yield from ((target, score) for target, score in found.get(item_id, ()) if target in products.by_id)
        return
    own = products.product(item_id)
    best: dict[int, float] = {}
    for photo in sources:
        for target, score in found.get(photo, ()):
            if target not in products.by_id or products.product(target) == own:
                continue
            main = products.main(target)
            if score > best.get(main, -2.0):
                best[main] = score
    yield from sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))


def _current_score(searcher: CatalogSearcher, source: int, entry: Entry, colour_weight: float) -> float | None:
    """The entry's score now, or the last one it had while its photo cannot be searched."""
    score = searcher.similarity(source, entry.target_id, colour_weight)
    return entry.score if score is None else score


@dataclass(frozen=True)
class ExportEntry:
    """One recommended product in an export."""

    item: Item
    score: float | None
    pinned: bool


@dataclass(frozen=True)
class ExportList:
    """One product's list of one kind, resolved to items, for the export writers."""

    item: Item
    kind: str
    entries: list[ExportEntry] = field(default_factory=list)
    note: str = ""
    reviewed: bool = False


def export_lists(store: CatalogStore, kinds: Sequence[str] = LIST_KINDS) -> list[ExportList]:
    """Every stored list of the given kinds with its shown entries, ordered by product path then kind.

    Read in one pass a kind, straight into what the writers take: a million lists are ten million
    entries, and objects made only to be dropped again cost more than the reading.
    """
    items = {item.id: item for item in store.items()}
    result = []
    for kind in kinds:
        rows = store.query(
            "SELECT lists.item_id, note, reviewed, target_id, score, state FROM lists "
            "LEFT JOIN list_entries ON list_entries.item_id = lists.item_id AND list_entries.kind = lists.kind "
            f"AND list_entries.state != '{BLOCKED}' WHERE lists.kind = ? ORDER BY lists.item_id, position, target_id",
            (kind,),
        )
        for item_id, group in groupby(rows, key=itemgetter(0)):
            source = items.get(item_id)
            if source is None:
                continue
            rows_of = list(group)  # a list without entries is one row whose target is NULL
            entries = [ExportEntry(items[target], score, state == PINNED) for *_, target, score, state in rows_of if target in items]
            result.append(ExportList(source, kind, entries, rows_of[0][1], bool(rows_of[0][2])))
    result.sort(key=lambda lst: (lst.item.path, LIST_KINDS.index(lst.kind)))
    return result