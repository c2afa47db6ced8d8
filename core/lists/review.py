"""Which lists want a look: those not reviewed yet, and those empty or weak (few entries, low similarity).

A list is weak when it shows fewer than `WEAK_ENTRIES` entries, or when the mean similarity of its
entries is below that of all but the lowest `WEAK_SHARE` of its kind's lists: a share rather than a fixed score,
because what a score means depends on the encoder in use.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.lists.state import BLOCKED
from core.storage import CatalogStore

WEAK_ENTRIES = 3
WEAK_SHARE = 0.1
REVIEW_FILTERS = ("all", "unreviewed", "weak")


@dataclass(frozen=True)
class ListSummaries:
    """Every stored list of one kind, in item id order: whether it is reviewed, how many entries it shows, their mean score."""

    item_ids: np.ndarray  # int64
    reviewed: np.ndarray  # bool
    entries: np.ndarray  # int64: shown entries
    mean_score: np.ndarray  # float64: NaN for a list with no scored entry


def summarise(store: CatalogStore, kind: str) -> ListSummaries:
    """The lists of `kind` as the review filters see them, read in one query."""
    rows = store.query(
        "SELECT lists.item_id, reviewed, COUNT(list_entries.target_id), AVG(list_entries.score) FROM lists "
        f"LEFT JOIN list_entries ON list_entries.item_id = lists.item_id AND list_entries.kind = lists.kind "
        f"AND list_entries.state != '{BLOCKED}' WHERE lists.kind = ? GROUP BY lists.item_id ORDER BY lists.item_id",
        (kind,),
    )
    return ListSummaries(
        np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        np.fromiter((bool(r[1]) for r in rows), bool, len(rows)),
        np.fromiter((r[2] for r in rows), np.int64, len(rows)),
        np.fromiter((np.nan if r[3] is None else r[3] for r in rows), np.float64, len(rows)),
    )


def weak(lists: ListSummaries) -> np.ndarray:
    """Per list: fewer than WEAK_ENTRIES entries shown (empty included), or a mean score under the kind's
    WEAK_SHARE quantile (the lowest tenth of its lists)."""
    scored = lists.mean_score[~np.isnan(lists.mean_score)]
    low = np.quantile(scored, WEAK_SHARE) if len(scored) else -np.inf
    return (lists.entries < WEAK_ENTRIES) | (np.nan_to_num(lists.mean_score, nan=np.inf) < low)


def wanting(lists: ListSummaries, which: str, owners: np.ndarray) -> np.ndarray:
    """Per owner (the product whose list a row shows; negative: a row with no list), whether the filter
    `which` keeps it. A product with no stored list is unreviewed and empty."""
    if which not in REVIEW_FILTERS:
        raise ValueError(f"review filter must be one of {', '.join(REVIEW_FILTERS)}, not {which!r}")
    if which == "all":
        return np.ones(len(owners), bool)
    at = np.searchsorted(lists.item_ids, owners)
    at = np.minimum(at, max(len(lists.item_ids) - 1, 0))
    stored = (lists.item_ids[at] == owners) if len(lists.item_ids) else np.zeros(len(owners), bool)
    flag = ~lists.reviewed if which == "unreviewed" else weak(lists)
    keep = np.where(stored, flag[at] if len(flag) else False, True)
    return keep & (owners >= 0)
