"""What a database file holds of people's decisions on lists (pins, blocks, notes, review marks).

Read without trusting the file: read-only, and each kind on its own, so a damaged table leaves
the others readable. After a recovery this tells what the restored copy lacks of what the
damaged file still shows. The tables are core.lists.curation's, read here by name.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

# (one, many, the decisions of that kind as rows)
_KINDS = (
    ("pin", "pins", "SELECT item_id, kind, target_id, position FROM list_entries WHERE state = 'pinned'"),
    ("block", "blocks", "SELECT item_id, kind, target_id FROM list_entries WHERE state = 'blocked'"),
    ("note", "notes", "SELECT item_id, kind, note FROM lists WHERE note != ''"),
    ("review mark", "review marks", "SELECT item_id, kind FROM lists WHERE reviewed"),
)

Decisions = dict[str, "frozenset[tuple] | None"]  # by kind (its plural); None: could not be read


def read_decisions(path: Path) -> Decisions:
    """Every decision in the database file at `path`, by kind; a kind that cannot be read is None."""
    found: Decisions = {many: None for _, many, _ in _KINDS}
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return found
    try:
        for _, many, sql in _KINDS:
            try:
                found[many] = frozenset(connection.execute(sql).fetchall())
            except sqlite3.OperationalError as exc:
                found[many] = frozenset() if "no such table" in str(exc) else None
            except sqlite3.DatabaseError:
                pass
    finally:
        connection.close()
    return found


def _listed(words: list[str]) -> str:
    """'a, b and c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _counted(counts: list[tuple[int, str, str]]) -> str:
    """'3 pins, 1 note and 2 review marks' from (count, one, many)."""
    return _listed([f"{n} {one if n == 1 else many}" for n, one, many in counts])


def lacking(restored: Decisions, damaged: Decisions) -> str:
    """In words, what the restored copy lacks of the decisions the damaged file still shows."""
    both = [(one, many) for one, many, _ in _KINDS if restored[many] is not None and damaged[many] is not None]
    if not both:
        held = _counted([(len(restored[many] or ()), one, many) for one, many, _ in _KINDS])
        return f"the damaged file cannot be read to compare: changes since that backup are lost (it holds {held})"
    lost = [(len(damaged[many] - restored[many]), one, many) for one, many in both]  # type: ignore[operator]
    if any(n for n, _, _ in lost):
        text = f"it lacks {_counted([c for c in lost if c[0]])} that the damaged file still shows"
    else:
        text = f"it lacks none of the {_listed([many for _, many in both])} the damaged file still shows"
    unread = [many for _, many, _ in _KINDS if damaged[many] is None]
    if unread:
        text += f" (its {_listed(unread)} could not be read)"
    return text
