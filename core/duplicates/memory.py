"""What the workspace remembers of duplicates: the last finding, the groups a person said are not
duplicates, the colourways a person confirmed are one design, and the member chosen to stay in
lists. In the catalog's SQLite database, each change one transaction.

Lists keep a found copy of a photo apart at once (the photo registered onto it is the evidence),
but a colourway only once a person confirmed its group: products that look like one design in
other colours may be other products, and a list that drops them loses them without a word.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Iterable, Sequence

from core.duplicates.groups import DuplicateGroup, Member, ordered
from core.storage import CatalogStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS duplicate_groups (
    group_id  INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('exact', 'near', 'variant'))
);
CREATE TABLE IF NOT EXISTS duplicate_members (
    group_id  INTEGER NOT NULL REFERENCES duplicate_groups(group_id) ON DELETE CASCADE,
    item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    score     REAL NOT NULL,
    PRIMARY KEY (group_id, item_id)
);
CREATE TABLE IF NOT EXISTS duplicate_dismissed (
    a  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    b  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE TABLE IF NOT EXISTS duplicate_confirmed (
    a  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    b  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE TABLE IF NOT EXISTS duplicate_keepers (
    item_id  INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
);
"""
_FOUND = "duplicates:found"  # meta key: when the last finding was stored


@dataclass(frozen=True)
class KnownDuplicates:
    """The stored finding as lists use it: which photos are one photo, which one design."""

    photo_of: dict[int, int] = field(default_factory=dict)  # item -> its exact or near group
    design_of: dict[int, int] = field(default_factory=dict)  # item -> its variant group, confirmed by a person
    keeper: dict[int, int] = field(default_factory=dict)  # exact or near group -> the member chosen to stay

    def __bool__(self) -> bool:
        return bool(self.photo_of or self.design_of)

    def one_photo(self, a: int, b: int) -> bool:
        group = self.photo_of.get(a)
        return group is not None and group == self.photo_of.get(b)

    def one_design(self, a: int, b: int) -> bool:
        group = self.design_of.get(a)
        return group is not None and group == self.design_of.get(b)


class DuplicateMemory:
    def __init__(self, store: CatalogStore) -> None:
        self.store = store
        store.ensure_tables(_SCHEMA)

    def save(self, groups: Sequence[DuplicateGroup]) -> None:
        """Replace the stored finding by `groups`, at once."""
        with self.store.transaction("duplicates") as db:
            db.execute("DELETE FROM duplicate_members")
            db.execute("DELETE FROM duplicate_groups")
            for number, group in enumerate(groups, 1):
                db.execute("INSERT INTO duplicate_groups VALUES (?, ?)", (number, group.kind))
                db.executemany(
                    "INSERT INTO duplicate_members VALUES (?, ?, ?)", [(number, m.item_id, m.score) for m in group.members]
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, datetime('now'))", (_FOUND,))

    def found(self) -> bool:
        """Whether a finding was ever stored."""
        return self.store.get_meta(_FOUND) is not None

    def groups(self) -> list[DuplicateGroup]:
        """The stored finding, largest groups first (members whose photo is gone are left out)."""
        rows = self.store.query(
            "SELECT g.group_id, g.kind, m.item_id, i.path, i.sku, m.score FROM duplicate_groups g "
            "JOIN duplicate_members m ON m.group_id = g.group_id JOIN items i ON i.id = m.item_id "
            "ORDER BY g.group_id, i.path"
        )
        kinds: dict[int, str] = {}
        members: dict[int, list[Member]] = {}
        for group_id, kind, item_id, path, sku, score in rows:
            kinds[group_id] = kind
            members.setdefault(group_id, []).append(Member(item_id, path, sku, score))
        return ordered([DuplicateGroup(kinds[g], tuple(m)) for g, m in members.items() if len(m) > 1])

    def known(self) -> KnownDuplicates:
        """The stored finding, with the chosen keepers, for making lists.

        A variant group counts once a person confirmed it (every two of its members); it names one
        photo of each near-duplicate group it joins, and every photo of those groups is of the design.
        """
        keepers = self.keepers()
        confirmed = self.confirmed_pairs()
        photo_groups: dict[int, list[int]] = {}
        variant_members: list[tuple[int, int]] = []
        for group_id, kind, item_id in self.store.query(
            "SELECT g.group_id, g.kind, m.item_id FROM duplicate_groups g "
            "JOIN duplicate_members m ON m.group_id = g.group_id ORDER BY g.group_id, m.item_id"
        ):
            if kind == "variant":
                variant_members.append((group_id, item_id))
            else:
                photo_groups.setdefault(group_id, []).append(item_id)
        # A photo's exact copies and its altered copies are one photo: groups sharing a member merge.
        photo_of: dict[int, int] = {}
        for group_id, members in photo_groups.items():
            joined = {photo_of[m] for m in members if m in photo_of}
            target = min(joined | {group_id})
            if joined - {target}:  # rare: only where an exact copy is also altered
                for item_id, old in list(photo_of.items()):
                    if old in joined:
                        photo_of[item_id] = target
            for m in members:
                photo_of[m] = target
        keeper: dict[int, int] = {}
        for item_id in sorted(keepers & photo_of.keys()):
            keeper.setdefault(photo_of[item_id], item_id)
        photos_in: dict[int, list[int]] = {}
        for item_id, group_id in photo_of.items():
            photos_in.setdefault(group_id, []).append(item_id)
        designs: dict[int, list[int]] = {}
        for group_id, item_id in variant_members:
            designs.setdefault(group_id, []).append(item_id)
        design_of: dict[int, int] = {}
        for group_id, members in designs.items():
            if not all(pair in confirmed for pair in combinations(sorted(members), 2)):
                continue
            for item_id in members:
                for photo in photos_in.get(photo_of.get(item_id, -1), [item_id]):
                    design_of[photo] = group_id
        return KnownDuplicates(photo_of, design_of, keeper)

    def dismiss(self, group: DuplicateGroup) -> None:
        """Remember that the group's members are not duplicates of each other, and drop the group."""
        pairs = [tuple(sorted(p)) for p in combinations(set(group.item_ids), 2)]
        with self.store.transaction("duplicates") as db:
            db.executemany("INSERT OR IGNORE INTO duplicate_dismissed VALUES (?, ?)", pairs)
            self._drop(db, group.item_ids, group.kind)

    def add_group(self, group: DuplicateGroup) -> None:
        """Put a group back into the stored finding (undoing a dismissal, with `undismiss`)."""
        with self.store.transaction("duplicates") as db:
            number = db.execute("SELECT COALESCE(MAX(group_id), 0) + 1 FROM duplicate_groups").fetchone()[0]
            db.execute("INSERT INTO duplicate_groups VALUES (?, ?)", (number, group.kind))
            db.executemany("INSERT INTO duplicate_members VALUES (?, ?, ?)", [(number, m.item_id, m.score) for m in group.members])

    def undismiss(self, item_ids: Iterable[int]) -> None:
        """Forget a "not duplicates" mark among these photos (the next finding may group them again)."""
        pairs = [tuple(sorted(p)) for p in combinations(set(item_ids), 2)]
        with self.store.transaction("duplicates") as db:
            db.executemany("DELETE FROM duplicate_dismissed WHERE a = ? AND b = ?", pairs)

    def confirm(self, group: DuplicateGroup) -> None:
        """Remember that the group's members are one design (lists then keep its colourways apart)."""
        pairs = [tuple(sorted(p)) for p in combinations(set(group.item_ids), 2)]
        with self.store.transaction("duplicates") as db:
            db.executemany("INSERT OR IGNORE INTO duplicate_confirmed VALUES (?, ?)", pairs)

    def unconfirm(self, item_ids: Iterable[int]) -> None:
        """Forget that these photos were confirmed one design."""
        pairs = [tuple(sorted(p)) for p in combinations(set(item_ids), 2)]
        with self.store.transaction("duplicates") as db:
            db.executemany("DELETE FROM duplicate_confirmed WHERE a = ? AND b = ?", pairs)

    def confirmed_pairs(self) -> set[tuple[int, int]]:
        return {(a, b) for a, b in self.store.query("SELECT a, b FROM duplicate_confirmed")}

    def is_confirmed(self, group: DuplicateGroup) -> bool:
        """Whether a person confirmed every two of the group's members one design."""
        confirmed = self.confirmed_pairs()
        return all(tuple(sorted(p)) in confirmed for p in combinations(set(group.item_ids), 2))

    def dismissed_pairs(self) -> set[tuple[int, int]]:
        return {(a, b) for a, b in self.store.query("SELECT a, b FROM duplicate_dismissed")}

    def choose_keeper(self, group: DuplicateGroup, item_id: int | None) -> None:
        """Make `item_id` the member of `group` that stays in lists (None: the best match stays)."""
        with self.store.transaction("duplicates") as db:
            db.executemany("DELETE FROM duplicate_keepers WHERE item_id = ?", [(i,) for i in group.item_ids])
            if item_id is not None:
                db.execute("INSERT INTO duplicate_keepers VALUES (?)", (item_id,))

    def keeper_of(self, group: DuplicateGroup) -> int | None:
        """The member chosen to stay in lists (None: the best match in each list stays)."""
        chosen = self.keepers() & set(group.item_ids)
        return min(chosen) if chosen else None

    def keepers(self) -> set[int]:
        return {row[0] for row in self.store.query("SELECT item_id FROM duplicate_keepers")}

    @staticmethod
    def _drop(db, item_ids: Sequence[int], kind: str) -> None:
        """Delete the stored group of this kind with exactly these members."""
        wanted = sorted(set(item_ids))
        members: dict[int, list[int]] = {}
        for group_id, item_id in db.execute(
            "SELECT g.group_id, m.item_id FROM duplicate_groups g JOIN duplicate_members m ON m.group_id = g.group_id "
            "WHERE g.kind = ? ORDER BY m.item_id", (kind,)
        ):
            members.setdefault(group_id, []).append(item_id)
        db.executemany("DELETE FROM duplicate_groups WHERE group_id = ?", [(g,) for g, m in members.items() if m == wanted])
