"""`bench duplicates --labels`: `duplicates` judged on a real labelled catalog as it is, no copies planted.

Photo shoots put one model in many garments and one product on a backdrop in many colours: a
finder that takes likeness for one photo groups them. With a label file naming each photo's type,
colour and (where the file has it) gender, some of its mistakes are certain: two photos whose
type, colour or gender differ are not one photo altered, so a near-duplicate pair between them is
wrong whatever the pixels say. A colourway differs in colour by definition, so a variant pair is
certainly wrong only when the type or the gender differs. Pairs with equal labels may still be
two products; what is counted is a floor on the mistakes, not their number.

Then what the finding does to the lists a shop shows: precision@10 by type of every labelled
product's list, made as `recommend` makes them, before the finding is known and after.

The catalog is indexed into a workspace in the benchmark's own folder: nothing is written beside
the photos.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.bench.photos import LabelColumns, read_labels
from core.catalog import scan_catalog
from core.common import CancelToken, InputError, ProgressFn, no_progress

GENDER_COLUMN = "gender"  # compared when the label file has it (the Fashion Product Images set does)


@dataclass(frozen=True)
class WrongPair:
    a: str  # photo paths in the catalog
    b: str
    differ: tuple[str, ...]  # the label columns whose values differ


@dataclass(frozen=True)
class RealCatalogScore:
    photos: int  # indexed photos
    labelled: int  # of them, named in the label file
    compared: tuple[str, ...]  # the label columns compared
    groups: dict[str, int]  # kind -> groups found
    photos_grouped: int  # photos in a near or variant group
    near_pairs: int  # pairs of labelled photos within near groups
    near_wrong: int  # of them, with labels that differ
    variant_pairs: int
    variant_wrong: int  # with a type or gender that differs
    lists_before: float  # precision@10 by type of the labelled products' lists, the finding unknown
    lists_after: float  # and with it known
    seconds: float  # the finding's time, beyond indexing
    examples: list[WrongPair] = field(default_factory=list)  # near pairs with differing labels, a few


def score_real_catalog(
    photos: Path, labels: Path, folder: Path, columns: LabelColumns = LabelColumns(),
    progress: ProgressFn = no_progress, cancel: CancelToken | None = None, examples: int = 10,
) -> RealCatalogScore:
    """Index `photos` into a workspace under `folder`, find its duplicates, and count the certain mistakes."""
    from core.duplicates import DuplicateMemory, find_duplicates
    from core.similarity import index_catalog
    from core.storage import CatalogStore, Workspace

    rows = read_labels(labels, columns)
    if not any(Path(f.path).stem in rows for f in scan_catalog(photos, cancel=cancel).images):
        raise InputError(f"no photo in {photos} is named by the {columns.id!r} column of {labels}")
    ws = Workspace.locate(photos, folder / "real-catalog-workspace")
    report = index_catalog(ws, progress=progress, cancel=cancel)
    with CatalogStore(ws.database) as store:
        label_of = {item.path: rows.get(Path(item.path).stem) for item in store.items()}
    label_of = {path: row for path, row in label_of.items() if row is not None}
    if not label_of:
        raise InputError(f"none of the photos in {photos} named by {labels} could be read")
    compared = (columns.fine, columns.colour) + ((GENDER_COLUMN,) if GENDER_COLUMN in next(iter(label_of.values())) else ())
    before = _list_precision(ws, label_of, columns.fine)
    started = time.perf_counter()
    groups = find_duplicates(ws, progress=progress, cancel=cancel)
    seconds = time.perf_counter() - started
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).save(groups)
    after = _list_precision(ws, label_of, columns.fine)

    def differing(kind: str, among: tuple[str, ...]) -> tuple[int, list[WrongPair]]:
        pairs, wrong = 0, []
        for group in (g for g in groups if g.kind == kind):
            paths = sorted(m.path for m in group.members if m.path in label_of)
            for a, b in itertools.combinations(paths, 2):
                pairs += 1
                differ = tuple(c for c in among if label_of[a].get(c) != label_of[b].get(c))
                if differ:
                    wrong.append(WrongPair(a, b, differ))
        return pairs, wrong

    near_pairs, near_wrong = differing("near", compared)
    variant_pairs, variant_wrong = differing("variant", tuple(c for c in compared if c != columns.colour))
    return RealCatalogScore(
        photos=report.encoded + report.unchanged,
        labelled=len(label_of),
        compared=compared,
        groups={kind: sum(g.kind == kind for g in groups) for kind in ("exact", "near", "variant")},
        photos_grouped=len({m.path for g in groups if g.kind in ("near", "variant") for m in g.members}),
        near_pairs=near_pairs,
        near_wrong=len(near_wrong),
        variant_pairs=variant_pairs,
        variant_wrong=len(variant_wrong),
        lists_before=before,
        lists_after=after,
        seconds=seconds,
        examples=near_wrong[:examples],
    )


def _list_precision(ws, label_of: dict[str, dict[str, str]], type_column: str) -> float:
    """Precision@10 by type over the labelled products' lists, made afresh by the default rules."""
    from core.lists import Curation, Rules
    from core.similarity import CatalogSearcher
    from core.storage import CatalogStore

    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        curation.generate(searcher, Rules(k=10))
        path_of = {item.id: item.path for item in store.items()}
        shares = []
        for state in curation.all_states("related"):
            own = label_of.get(path_of[state.item_id])
            if own is None:
                continue
            shown = [label_of.get(path_of[e.target_id]) for e in state.shown][:10]
            shares.append(sum(s is not None and s[type_column] == own[type_column] for s in shown) / 10)
    return sum(shares) / max(1, len(shares))


def format_real_catalog(score: RealCatalogScore) -> str:
    s = score
    lines = [
        f"the catalog as it is: {s.photos} photos, {s.labelled} of them labelled; labels compared: {', '.join(s.compared)}",
        f"  groups found: {s.groups['exact']} exact, {s.groups['near']} near, {s.groups['variant']} variant; "
        f"{s.photos_grouped} photos in near or variant groups",
        f"  near-duplicate pairs {s.near_pairs}, of which {s.near_wrong} with labels that differ (certainly two products)",
        f"  variant pairs {s.variant_pairs}, of which {s.variant_wrong} of another type or gender",
        f"  lists' precision@10 by type: {s.lists_before:.3f} before the finding, {s.lists_after:.3f} after",
        f"  {1000 * s.seconds / max(1, s.photos):.1f} ms a photo beyond indexing ({s.seconds:.0f} s)",
    ]
    lines += [f"    {w.a} and {w.b}: {', '.join(w.differ)} differ" for w in s.examples]
    return "\n".join(lines)
