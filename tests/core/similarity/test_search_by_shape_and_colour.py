"""The colour weight on real drawn photos: the middle keeps the kind of product and brings its colour first."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.similarity.indexing import index_catalog
from core.similarity.search import WIDEST_REACH, CatalogSearcher, shape_neighbourhood
from core.storage.workspace import Workspace
from tests.conftest import draw_discs_and_red_shapes

K = 4


@pytest.fixture
def searcher(tmp_path: Path, default_encoder: Path):
    """A red disc among as many other discs as a list of K reaches at the middle, and six red other shapes."""
    catalog = draw_discs_and_red_shapes(tmp_path / "catalog", other_discs=shape_neighbourhood(K, 0.5) - 1)
    ws = Workspace.locate(catalog)
    index_catalog(ws, model=default_encoder)
    with CatalogSearcher(ws) as opened:
        yield opened


def _names(searcher: CatalogSearcher, weight: float) -> list[str]:
    red = next(i for i in searcher.items() if i.path == "disc-red-0.png")
    return [Path(m.path).stem for m in searcher.similar_to_item(red.id, K, weight)]


def test_the_reach_grows_from_the_list_to_the_widest_by_one_factor_a_step():
    assert shape_neighbourhood(10, 0.0) == 10
    assert shape_neighbourhood(10, 1.0) == 10 * WIDEST_REACH
    reaches = [shape_neighbourhood(100, w / 4) for w in range(5)]
    ratios = [b / a for a, b in zip(reaches, reaches[1:])]
    assert ratios == pytest.approx([ratios[0]] * 4, rel=0.02) and ratios[0] > 1


def test_the_middle_puts_shape_and_colour_first_then_the_shape_before_the_colour(searcher):
    """Shape alone: discs, in any colour. The middle: the red disc first, then discs, never a red bar.
    Colour alone: everything red, the red disc among them."""
    shape_only = _names(searcher, 0.0)
    assert all(name.startswith("disc-") for name in shape_only)
    middle = _names(searcher, 0.5)
    assert middle[0] == "disc-red-6"  # same shape, same colour
    assert all(name.startswith("disc-other-") for name in middle[1:])  # same shape, other colour, before any red other shape
    colour_most = _names(searcher, 1.0)
    assert all("-red-" in name for name in colour_most)
    assert any(not name.startswith("disc-") for name in colour_most)


def test_lists_made_many_at_once_blend_as_one_search_does(searcher):
    items = searcher.items()
    for weight in (0.0, 0.25, 0.5, 1.0):
        bulk = searcher.similar_to_items([i.id for i in items], K, weight)
        for item in items:
            one = searcher.similar_to_item(item.id, K, weight)
            assert [m.item_id for m in one] == [i for i, _ in bulk[item.id]]
            assert [m.score for m in one] == pytest.approx([s for _, s in bulk[item.id]], abs=1e-5)
