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


def test_the_items_left_out_never_come_and_the_list_stays_as_long(indexed):
    """A product's other photos left out of its lookalikes: the next best take their places."""
    with CatalogSearcher(indexed) as searcher:
        item = next(i for i in searcher.store.items() if i.path == "round/disc-0-0.png")
        plain = searcher.similar_to_item(item.id, 6)
        left_out = {m.item_id for m in plain[:3]}
        without = searcher.similar_to_item(item.id, 6, exclude=left_out | {item.id})
        blended = searcher.similar_to_item(item.id, 6, 0.5, exclude=left_out)
    assert [m.item_id for m in without[:3]] == [m.item_id for m in plain[3:]]  # the next best moved up
    assert len(without) == 6 and not (left_out | {item.id}) & {m.item_id for m in without}
    assert len(blended) == 6 and not left_out & {m.item_id for m in blended}


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


def test_score_parts_split_the_scores_search_gives(indexed):
    """The shape and colour parts of a pair add up to the score the pair has among the lookalikes, at any weight."""
    with CatalogSearcher(indexed) as searcher:
        items = searcher.items()
        for weight in (0.0, 0.3, 0.5, 1.0):
            for item in items[::5]:
                for match in searcher.similar_to_item(item.id, 8, colour_weight=weight):
                    parts = searcher.score_parts(item.id, match.item_id, weight)
                    if weight > 0:  # blended, both from the stored vectors: the very same number
                        assert parts.shape + parts.colour == match.score
                    else:  # from Annoy's distance
                        assert parts.score == pytest.approx(match.score, abs=1e-5) and parts.colour == 0.0
                    assert parts.shape == pytest.approx((1 - weight) * parts.shape_similarity)
                    assert parts.colour == pytest.approx(weight * parts.colour_similarity)
                    assert searcher.similarity(item.id, match.item_id, weight) == parts.score
        assert searcher.score_parts(items[0].id, 10_000) is None


def test_main_colours_are_read_from_the_photo_as_indexing_reads_it(indexed):
    from core.catalog import load_square
    from core.similarity.colour import colour_descriptor

    with CatalogSearcher(indexed) as searcher:
        green = next(i for i in searcher.items() if i.path == "angular/slab-1-0.png")
        swatches = searcher.main_colours(green.id)
        square = load_square(indexed.catalog / green.path, searcher.encoder.input_size)
        with pytest.raises(InputError):
            searcher.main_colours(10_000)
    descriptor = colour_descriptor(square)
    assert swatches[0].bin == int(descriptor.argmax())
    assert all(abs(a - b) <= 12 for a, b in zip(swatches[0].rgb, (30, 160, 40)))
    assert [s.share for s in swatches] == pytest.approx([float(descriptor[s.bin]) ** 2 for s in swatches], abs=1e-5)
