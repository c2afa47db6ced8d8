import pytest
from PIL import Image

from core.common.errors import InputError, SearchIndexError
from core.lists.recommend import recommend_all
from core.similarity.indexing import index_catalog
from core.similarity.search import CatalogSearcher
from core.storage.workspace import Workspace


@pytest.fixture
def indexed(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    return ws


def test_a_catalog_photo_finds_itself_and_its_recolourings_first(indexed):
    """The shape embedding ignores hue and framing: the 4 colourways x 2 placements of one shape tie at the top."""
    with CatalogSearcher(indexed) as searcher:
        matches = searcher.similar_to_image(indexed.catalog / "angular/wedge-1-6.png", 10)
    top = {m.path for m in matches[:8]}
    assert top == {f"angular/wedge-{c}-{o}.png" for c in range(4) for o in (0, 6)}
    assert all(m.score >= 0.99 for m in matches[:8])
    assert all(m.score < 0.99 for m in matches[8:])
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert matches[0].sku is not None


def test_an_image_in_memory_works_like_a_file(indexed):
    path = indexed.catalog / "round/disc-2-0.png"
    with CatalogSearcher(indexed) as searcher:
        from_file = searcher.similar_to_image(path, 8, colour_weight=0.5)
        in_memory = searcher.similar_to_image(Image.open(path), 8, colour_weight=0.5)
    assert [(m.path, round(m.score, 6)) for m in in_memory] == [(m.path, round(m.score, 6)) for m in from_file]
    assert {m.path for m in in_memory[:2]} == {"round/disc-2-0.png", "round/disc-2-6.png"}  # its own colour first


def test_tied_matches_come_in_item_order_however_short_the_list(indexed):
    """All 8 discs tie on shape: every list length takes the same ones, by item id, whatever order Annoy keeps them in."""
    with CatalogSearcher(indexed) as searcher:
        discs = sorted(item.id for item in searcher.items() if item.path.startswith("round/"))
        query = indexed.catalog / "round/disc-2-0.png"
        for k in range(1, 9):
            assert [m.item_id for m in searcher.similar_to_image(query, k)] == discs[:k]
        source = discs[5]
        for k in range(1, 8):
            assert [m.item_id for m in searcher.similar_to_item(source, k)] == [d for d in discs if d != source][:k]


def test_an_item_never_matches_itself(indexed):
    with CatalogSearcher(indexed) as searcher:
        item = next(i for i in searcher.items() if i.path == "round/disc-0-0.png")
        matches = searcher.similar_to_item(item.id, 31)
        assert len(matches) == 31
        assert item.path not in {m.path for m in matches}
        with pytest.raises(InputError):
            searcher.similar_to_item(item.id, 0)


def test_recommend_all_covers_every_item_without_itself(indexed):
    with CatalogSearcher(indexed) as searcher:
        recs = recommend_all(searcher, 4)
    assert len(recs) == 32
    for rec in recs:
        assert len(rec.matches) == 4
        assert rec.item.path not in {m.path for m in rec.matches}


def test_unindexed_catalog_and_stale_model_are_reported(shapes_catalog, small_encoder, tmp_path):
    with pytest.raises(SearchIndexError, match="not been indexed"):
        CatalogSearcher(Workspace.locate(shapes_catalog))
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    import torch

    from core.training.model import Architecture, Autoencoder
    from core.training.onnx_export import export_encoder

    torch.manual_seed(9)
    export_encoder(Autoencoder(Architecture(32, 16, (8, 16))).eval(), ws.encoder_in_use(), trained_on="swapped in")
    with pytest.raises(SearchIndexError, match="different model"):
        CatalogSearcher(ws)


def test_colour_weight_moves_from_shape_to_colour(indexed):
    """The catalog has 4 shapes in the same 4 colours: weight 0 ranks by shape, weight 1 by colour."""
    with CatalogSearcher(indexed) as searcher:
        by_shape = searcher.similar_to_image(indexed.catalog / "round/disc-0-0.png", 7)
        by_colour = searcher.similar_to_image(indexed.catalog / "round/disc-0-0.png", 7, colour_weight=1.0)
        item = next(i for i in searcher.items() if i.path == "round/disc-0-0.png")
        blended = searcher.similar_to_item(item.id, 5, colour_weight=0.5)
        with pytest.raises(InputError):
            searcher.similar_to_item(item.id, 5, colour_weight=1.5)
    assert all(m.path.startswith("round/disc-") for m in by_shape)
    assert {m.path.split("-")[1] for m in by_colour} == {"0"}  # colour 0 (red) in every shape
    assert {m.path.split("/")[1].split("-")[0] for m in by_colour} == {"disc", "bar", "slab", "wedge"}
    assert item.path not in {m.path for m in blended}
    assert blended[0].score >= blended[-1].score


def test_tied_scores_come_in_item_id_order_whatever_the_index_or_the_weight(indexed):
    """Scores equal to 6 decimals are ties; their order is the items' ids, for shape, blended and pending search."""
    with CatalogSearcher(indexed) as searcher:
        wedge = next(i for i in searcher.items() if i.path == "angular/wedge-1-6.png")
        for weight in (0.0, 0.3):
            matches = searcher.similar_to_item(wedge.id, 31, colour_weight=weight)
            keys = [(-round(m.score, 6), m.item_id) for m in matches]
            assert keys == sorted(keys)
            again = searcher.similar_to_item(wedge.id, 31, colour_weight=weight)
            assert [m.item_id for m in again] == [m.item_id for m in matches]
        # The photo's own item scores 1.0 and its recolourings 0.9999998: the same to 6 decimals,
        # so a machine's last bits of rounding do not decide which comes first.
        tied = searcher.similar_to_image(indexed.catalog / "angular/wedge-3-6.png", 8)
        assert all(round(m.score, 6) == 1.0 for m in tied)
        assert [m.item_id for m in tied] == sorted(m.item_id for m in tied)
