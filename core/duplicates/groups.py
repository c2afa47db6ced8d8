"""What duplicate finding gives: groups of photos, each of one kind, with how alike each member is."""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("exact", "near", "variant")  # the same bytes; one photo altered; one design in another colour


@dataclass(frozen=True)
class Member:
    item_id: int
    path: str
    sku: str | None
    score: float  # how alike it is to the closest other member: 1 for the same bytes


@dataclass(frozen=True)
class DuplicateGroup:
    kind: str
    members: tuple[Member, ...]  # by path

    @property
    def score(self) -> float:
        """The least alike member's score: how sure the whole group is."""
        return min(m.score for m in self.members)

    @property
    def item_ids(self) -> tuple[int, ...]:
        return tuple(m.item_id for m in self.members)


def ordered(groups: list[DuplicateGroup]) -> list[DuplicateGroup]:
    """Largest groups first; then exact, near, variant; then by the first member's path."""
    return sorted(groups, key=lambda g: (-len(g.members), KINDS.index(g.kind), g.members[0].path))
