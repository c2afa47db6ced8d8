"""Which lists the review filters keep: not reviewed yet, empty or weak."""
from __future__ import annotations

import numpy as np
import pytest

from core.lists import Curation, ListState, review
from core.lists.state import BLOCKED, SUGGESTED, Entry
from core.storage import CatalogStore


@pytest.fixture
def lists(tmp_path):
    """Twelve products: ten with lists of four entries (scores falling list by list), one empty, one with two entries."""
    with CatalogStore(tmp_path / "c.sqlite") as store:
        store.add_items([(f"{i:02}.jpg", 1, 1, None) for i in range(14)])
        ids = [i.id for i in store.items()]
        states = [
            ListState(source, "related", tuple(Entry(t, p, 0.9 - n / 20, SUGGESTED) for p, t in enumerate(ids[10:14])), reviewed=n % 2 == 0)
            for n, source in enumerate(ids[:10])
        ]
        states.append(ListState(ids[10], "related", (Entry(ids[0], -1, 0.99, BLOCKED),)))  # nothing shown
        states.append(ListState(ids[11], "related", (Entry(ids[0], 0, 0.95, SUGGESTED), Entry(ids[1], 1, 0.95, SUGGESTED))))
        Curation(store).restore_many(states)
        yield review.summarise(store, "related"), ids


def test_lists_are_summarised_with_their_shown_entries_and_mean_score(lists):
    summaries, ids = lists
    assert list(summaries.item_ids) == ids[:12]
    assert list(summaries.entries) == [4] * 10 + [0, 2]
    assert summaries.mean_score[0] == pytest.approx(0.9) and np.isnan(summaries.mean_score[10])
    assert list(summaries.reviewed[:4]) == [True, False, True, False]


def test_weak_lists_are_the_short_ones_and_the_lowest_tenth_by_score(lists):
    summaries, ids = lists
    assert [int(i) for i in summaries.item_ids[review.weak(summaries)]] == [ids[9], ids[10], ids[11]]


def test_the_filters_keep_rows_by_their_lists_and_a_product_without_a_list_wants_a_look(lists):
    summaries, ids = lists
    owners = np.array([ids[0], ids[1], ids[9], ids[10], ids[12], -1], np.int64)  # ids[12] has no list; -1: a row with none
    assert list(review.wanting(summaries, "all", owners)) == [True] * 6
    assert list(review.wanting(summaries, "unreviewed", owners)) == [False, True, True, True, True, False]
    assert list(review.wanting(summaries, "weak", owners)) == [False, False, True, True, True, False]
    with pytest.raises(ValueError):
        review.wanting(summaries, "someday", owners)
