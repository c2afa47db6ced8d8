"""What a curated list is: its entries (suggested, pinned or blocked), its note and its review mark."""
from __future__ import annotations

from dataclasses import dataclass

SUGGESTED, PINNED, BLOCKED = "suggested", "pinned", "blocked"


@dataclass(frozen=True)
class Entry:
    target_id: int
    position: int  # place in the list (0 = first); -1 for blocked entries
    score: float | None
    state: str

    @property
    def pinned(self) -> bool:
        return self.state == PINNED


@dataclass(frozen=True)
class ListState:
    """Everything about one product's list of one kind.

    `entries` lists the shown entries by position, then the blocked ones by target id.
    """

    item_id: int
    kind: str
    entries: tuple[Entry, ...] = ()
    note: str = ""
    reviewed: bool = False

    @property
    def shown(self) -> list[Entry]:
        """The entries a shopper would see, in order."""
        return sorted((e for e in self.entries if e.state != BLOCKED), key=lambda e: e.position)

    @property
    def blocked(self) -> list[Entry]:
        return [e for e in self.entries if e.state == BLOCKED]
