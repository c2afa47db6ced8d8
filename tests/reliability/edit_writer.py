"""One merchandiser's window, as a process: random list edits, undos and redos on a shared catalog.

    python -m tests.reliability.edit_writer DATABASE LOG SEED PARITY SECONDS SOURCES

Edits go through `Curation.change`, `undo` and `redo`, as the app's list editor does. This
writer touches only the entries whose target id has its PARITY, so two writers share every
list but never an entry; it writes notes (parity 0) or review marks (parity 1). After each
acknowledged step (the call returned), one JSON line is appended and flushed to LOG: the
step, and the resulting fact of each of its entries ('pinned', 'blocked' or 'free') and of its
note or mark. A refused step (a conflict with a later edit) is logged as refused, with no facts.
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from core.common import LookalikeError
from core.lists import Curation, EditConflict, ListChange, edits
from core.storage import CatalogStore

KINDS = ("related", "cross-sell")


def main(database: str, log: str, seed: str, parity: str, seconds: str, sources: str) -> int:
    rng = random.Random(int(seed))
    mine = int(parity)
    ids = [int(i) for i in sources.split(",")]
    end = time.monotonic() + float(seconds)
    done: list[ListChange] = []
    undone: list[ListChange] = []
    with CatalogStore(Path(database)) as store, open(log, "a", encoding="utf-8") as out:
        curation = Curation(store)
        step = 0
        while time.monotonic() < end:
            step += 1
            source, kind = rng.choice(ids), rng.choice(KINDS)
            state = curation.state(source, kind)
            own_shown = [e for e in state.shown if e.target_id % 2 == mine]
            own_blocked = [e for e in state.blocked if e.target_id % 2 == mine]
            others = [i for i in ids if i % 2 == mine and i != source]
            roll = rng.random()
            name, edit = "", None
            if roll < 0.08 and done:
                name = "undo"
            elif roll < 0.12 and undone:
                name = "redo"
            elif roll < 0.30 and own_shown:
                target = rng.choice(own_shown)
                name, edit = "pin", edits.pin(target.target_id, not target.pinned)
            elif roll < 0.45 and own_shown:
                name, edit = "block", edits.block(rng.choice(own_shown).target_id)
            elif roll < 0.52 and own_blocked:
                name, edit = "unblock", edits.unblock(rng.choice(own_blocked).target_id)
            elif roll < 0.75 and others:
                name, edit = "move", edits.move(rng.choice(others), rng.randrange(6))
            elif roll < 0.90 and mine == 0:
                name, edit = "note", edits.note(f"note {step} of writer {mine}")
            elif roll < 0.90:
                name, edit = "review", edits.reviewed(rng.random() < 0.5)
            else:
                continue
            try:
                if name == "undo":
                    change = done.pop()
                    curation.undo(change)
                    undone.append(change)
                    before, after = change.after, curation.state(change.before.item_id, change.before.kind)
                    touched = change
                elif name == "redo":
                    change = undone.pop()
                    curation.redo(change)
                    done.append(change)
                    before, after = change.before, curation.state(change.before.item_id, change.before.kind)
                    touched = change
                else:
                    touched = curation.change(source, kind, edit)
                    if not touched.changed:
                        continue
                    done.append(touched)
                    undone.clear()
                    before, after = touched.before, touched.after
            except EditConflict:
                out.write(json.dumps({"writer": mine, "step": name, "refused": True}) + "\n")
                out.flush()
                continue
            except LookalikeError as exc:
                out.write(json.dumps({"writer": mine, "step": name, "error": str(exc)}) + "\n")
                out.flush()
                continue
            targets = {e.target_id for e in touched.before.entries} | {e.target_id for e in touched.after.entries}
            facts = {str(t): edits.fact(after, t) for t in sorted(targets) if t % 2 == mine and edits.fact(before, t) != edits.fact(after, t)}
            # The state read after an undo or redo may already hold a later edit of the other writer's,
            # but never of this writer's entries: only this process changes those.
            record = {"writer": mine, "step": name, "list": [touched.before.item_id, touched.before.kind], "facts": facts}
            if mine == 0 and touched.before.note != touched.after.note:
                record["note"] = after.note
            if mine == 1 and touched.before.reviewed != touched.after.reviewed:
                record["reviewed"] = after.reviewed
            out.write(json.dumps(record) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
