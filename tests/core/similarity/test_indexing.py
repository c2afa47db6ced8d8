import os

import pytest

from core.common.config import DEFAULT_ENCODER, IndexSettings
from core.common.errors import Cancelled, CatalogError, ModelError, SearchIndexError
from core.common.jobs import CancelToken, Progress
from core.similarity.indexing import index_catalog
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace
from tests.conftest import draw_product, index_file, rewrite_in_place, same_size_photos


def _index(catalog, model, **kw):
    return index_catalog(Workspace.locate(catalog), model=model, **kw)


def test_first_index_embeds_everything_and_imports_metadata(shapes_catalog, small_encoder):
    stages = set()
    report = _index(shapes_catalog, small_encoder, progress=lambda p: stages.add(p.stage))
    assert (report.images, report.encoded, report.unchanged, report.removed) == (32, 32, 0, 0)
    assert report.failed == []
    assert report.metadata.matched == 32 and report.metadata.unmatched == []
    assert {"scan", "encode", "index"} <= stages
    ws = Workspace.locate(shapes_catalog)
    assert index_file(ws).is_file() and ws.encoder_in_use().read_bytes() == small_encoder.read_bytes()
    with CatalogStore(ws.database) as store:
        ids, vectors = store.embeddings(report.model.model_id)
        assert vectors.shape == (32, 16)
        assert sorted(store.index_map().tolist()) == sorted(ids.tolist())
        disc = store.item_by_path("round/disc-0-0.png")
        assert disc.sku and disc.category == "disc"


def test_reindex_only_encodes_new_and_changed_files(shapes_catalog, small_encoder):
    _index(shapes_catalog, small_encoder)
    ws = Workspace.locate(shapes_catalog)
    with CatalogStore(ws.database) as store:
        before = {i.path: i.id for i in store.items()}
    draw_product(shapes_catalog / "new" / "extra.png", "disc", (10, 10, 10))
    os.remove(shapes_catalog / "angular" / "bar-0-0.png")
    changed = shapes_catalog / "angular" / "slab-1-0.png"
    draw_product(changed, "wedge", (1, 2, 3))
    touched = shapes_catalog / "angular" / "wedge-2-0.png"
    os.utime(touched, ns=(1, 1))  # new mtime, same content: hash says unchanged

    report = index_catalog(ws)
    assert report.images == 32
    assert report.encoded == 2
    assert report.removed == 1
    assert report.unchanged == 30
    with CatalogStore(ws.database) as store:
        after = {i.path: i.id for i in store.items()}
        assert after["angular/wedge-2-0.png"] == before["angular/wedge-2-0.png"]
        assert store.item_by_path("angular/bar-0-0.png").missing == "file not found"  # kept, with its lists
        assert len(store.index_map()) == 32

    again = index_catalog(ws)
    assert (again.encoded, again.unchanged) == (0, 32)


def test_bad_files_are_skipped_recorded_and_the_rest_indexed(shapes_catalog, small_encoder):
    (shapes_catalog / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    (shapes_catalog / "notes.png").write_text("not a picture")
    (shapes_catalog / "readme.txt").write_text("ignored: not an image and not named like one")
    report = _index(shapes_catalog, small_encoder)
    failed = dict(report.failed)
    assert set(failed) == {"broken.jpg", "notes.png"}
    assert failed["notes.png"] == "not an image"
    assert report.encoded == 32
    with CatalogStore(Workspace.locate(shapes_catalog).database) as store:
        assert store.item_by_path("broken.jpg").status == "error"
        assert len(store.index_map()) == 32


def test_fixed_bad_file_is_picked_up_on_reindex(shapes_catalog, small_encoder):
    bad = shapes_catalog / "later.png"
    bad.write_text("not yet")
    _index(shapes_catalog, small_encoder)
    draw_product(bad, "disc", (90, 90, 90))
    report = index_catalog(Workspace.locate(shapes_catalog))
    assert report.failed == [] and report.encoded == 1


def test_new_model_reencodes_everything(shapes_catalog, small_encoder, tmp_path):
    first = _index(shapes_catalog, small_encoder)
    other = tmp_path / "other.onnx"
    data = bytearray(small_encoder.read_bytes())
    other.write_bytes(bytes(data) + b"")  # same graph bytes: same model id, nothing to do
    assert _index(shapes_catalog, other).encoded == 0
    import torch

    from core.training.model import Architecture, Autoencoder
    from core.training.onnx_export import export_encoder

    torch.manual_seed(5)
    export_encoder(Autoencoder(Architecture(32, 8, (8, 16))).eval(), other, trained_on="another")
    second = _index(shapes_catalog, other)
    assert second.encoded == 32 and second.model.model_id != first.model.model_id
    assert second.unchanged == 0  # every photo was encoded again; none counts twice


def test_cancel_keeps_finished_batches_and_the_old_index(shapes_catalog, small_encoder):
    from core.common.config import IndexSettings

    ws = Workspace.locate(shapes_catalog)
    token = CancelToken()

    def cancel_after_first_batch(p: Progress) -> None:
        if p.stage == "encode" and p.done >= 8:
            token.cancel()

    with pytest.raises(Cancelled):
        index_catalog(ws, model=small_encoder, settings=IndexSettings(batch_size=8), progress=cancel_after_first_batch, cancel=token)
    assert index_file(ws) is None
    assert ws.encoder_in_use() == DEFAULT_ENCODER  # the new model is installed only with a finished index
    with CatalogStore(ws.database) as store:
        done = store.count("ok")
    assert 8 <= done < 32
    report = index_catalog(ws, model=small_encoder)  # resuming keeps the finished batches
    assert report.encoded == 32 - done
    assert ws.encoder_in_use().read_bytes() == small_encoder.read_bytes()


def test_empty_folder_and_bad_model_are_refused(tmp_path, small_encoder):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CatalogError, match="no images"):
        _index(empty, small_encoder)
    folder = tmp_path / "one"
    draw_product(folder / "a.png", "disc", (1, 1, 1))
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x01garbage")
    with pytest.raises(ModelError):
        _index(folder, corrupt)
    assert Workspace.locate(folder).encoder_in_use() == DEFAULT_ENCODER


def test_workspace_elsewhere_leaves_the_catalog_untouched(shapes_catalog, small_encoder, tmp_path):
    ws = Workspace.locate(shapes_catalog, tmp_path / "ws")
    index_catalog(ws, model=small_encoder)
    assert not (shapes_catalog / ".lookalike").exists()
    assert index_file(ws).is_file()


def test_unchanged_catalog_keeps_its_index(shapes_catalog, small_encoder):
    _index(shapes_catalog, small_encoder)
    ws = Workspace.locate(shapes_catalog)
    built = index_file(ws).stat().st_mtime_ns
    stages = []
    index_catalog(ws, progress=lambda p: stages.append(p.stage))
    assert index_file(ws).stat().st_mtime_ns == built and "index" not in stages


def test_a_few_changes_are_searched_beside_the_index_until_there_are_enough_to_rebuild(shapes_catalog, small_encoder):
    from core.similarity.search import CatalogSearcher

    _index(shapes_catalog, small_encoder)
    ws = Workspace.locate(shapes_catalog)
    built = index_file(ws)
    draw_product(shapes_catalog / "round" / "disc-0-0.png", "bar", (200, 0, 0))  # was a disc
    os.remove(shapes_catalog / "round" / "disc-1-0.png")
    draw_product(shapes_catalog / "extra" / "new-disc.png", "disc", (0, 90, 0))
    settings = IndexSettings(rebuild_share=0.1)  # 3 changes of 32 stay under 10%
    report = index_catalog(ws, settings=settings)
    assert (report.encoded, report.removed) == (2, 1)
    assert index_file(ws) == built
    with CatalogStore(ws.database) as store:
        ids = {i.path: i.id for i in store.items()}
        assert store.pending_ids() == {ids["round/disc-0-0.png"], ids["extra/new-disc.png"]}
    with CatalogSearcher(ws) as searcher:
        assert len(searcher) == 32 and len(searcher.items()) == 32
        everything = searcher.similar_to_item(ids["angular/bar-0-0.png"], 31)
        paths = [m.path for m in everything]
        assert len(paths) == len(set(paths)) == 31 and "round/disc-1-0.png" not in paths
        changed = searcher.similar_to_item(ids["round/disc-0-0.png"], 4)
        assert all(m.category == "bar" for m in changed[:3]), [m.path for m in changed]
        new = searcher.similar_to_item(ids["extra/new-disc.png"], 3)
        assert all("disc" in m.path for m in new) and all("new-disc" not in m.path for m in new)
        # The encoder sees every disc alike (colour and placement are taken out), so the photo's
        # own item ties with the other discs: it is among the best, and ties go by item id.
        found = searcher.similar_to_image(shapes_catalog / "extra" / "new-disc.png", 8)
        best = [m for m in found if round(m.score, 6) == round(found[0].score, 6)]
        assert found[0].score > 0.999 and "extra/new-disc.png" in [m.path for m in best]
        assert [m.item_id for m in best] == sorted(m.item_id for m in best)
        blended = searcher.similar_to_item(ids["extra/new-disc.png"], 5, colour_weight=0.5)
        assert len(blended) == 5 and blended == sorted(blended, key=lambda m: -m.score)

    draw_product(shapes_catalog / "round" / "disc-2-0.png", "wedge", (0, 0, 200))
    index_catalog(ws, settings=settings)  # a fourth change: past 10%, so the index is built again
    assert index_file(ws) != built and not built.exists()
    with CatalogStore(ws.database) as store:
        assert store.pending_ids() == set() and len(store.index_map()) == 32


def test_a_run_that_finds_nothing_readable_fails_and_keeps_items_and_lists(shapes_catalog, small_encoder, tmp_path):
    from core.lists.curation import Curation, Rules
    from core.similarity.search import CatalogSearcher

    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    with CatalogSearcher(ws) as searcher:
        curation = Curation(searcher.store)
        curation.generate(searcher, Rules(k=5))
        source = searcher.items()[0].id
        pinned = curation.state(source).shown[1].target_id
        curation.pin(source, "related", pinned)
    away = tmp_path / "away"
    away.mkdir()
    for folder in [p for p in shapes_catalog.iterdir() if p.name != ".lookalike"]:
        folder.rename(away / folder.name)
    (shapes_catalog / "junk.jpg").write_bytes(b"not a photo")

    with pytest.raises(SearchIndexError, match="nothing to index.*junk.jpg.*kept"):
        index_catalog(ws)
    with CatalogStore(ws.database) as store:
        assert store.count(status="ok") == 32
        assert Curation(store).state(source).shown[1].target_id == pinned

    for folder in away.iterdir():
        folder.rename(shapes_catalog / folder.name)
    report = index_catalog(ws)
    assert (report.removed, len(report.failed)) == (0, 1)
    with CatalogSearcher(ws) as searcher:
        assert len(searcher.items()) == 32
        state = Curation(searcher.store).state(source)
        assert state.shown[1].target_id == pinned and state.shown[1].pinned


def test_a_broken_product_list_in_the_catalog_is_reported_and_the_photos_indexed(shapes_catalog, small_encoder):
    (shapes_catalog / "products.csv").write_text("sku,name\nA,B\n")
    report = _index(shapes_catalog, small_encoder)
    assert report.encoded == 32 and report.metadata is None
    assert "path" in report.metadata_problem
    assert index_file(Workspace.locate(shapes_catalog)).is_file()


def test_a_second_run_at_once_is_turned_away_and_the_first_unharmed(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    with ws.exclusive("indexing"):  # as another process's run would hold it
        with pytest.raises(CatalogError, match="another Lookalike run is indexing"):
            index_catalog(ws, model=small_encoder)
        assert not ws.database.exists()
    assert index_catalog(ws, model=small_encoder).encoded == 32


def test_a_workspace_indexed_before_sealed_states_is_searched_and_then_sealed_with_everything_kept(shapes_catalog, small_encoder):
    """The layout of earlier versions: index.ann, colour.ann, encoder.onnx and only a model id in the database."""
    import sqlite3

    from core.similarity.search import CatalogSearcher
    from core.storage.index_state import STATE_KEY, read_state

    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    with CatalogStore(ws.database) as store:
        state = read_state(store)
        store.delete_meta(STATE_KEY)
    os.rename(ws.root / state.shape_name, ws.root / "index.ann")
    os.rename(ws.root / state.colour_name, ws.root / "colour.ann")
    os.rename(ws.root / state.encoder, ws.root / "encoder.onnx")
    with sqlite3.connect(ws.database) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with CatalogSearcher(ws) as searcher:
        found = searcher.similar_to_image(shapes_catalog / "round" / "disc-2-0.png", 8)
        assert "round/disc-2-0.png" in [m.path for m in found] and found[0].score > 0.999
    report = index_catalog(ws)
    assert report.encoded == 0
    with CatalogStore(ws.database) as store:
        sealed = read_state(store)
    assert sealed.shape is not None and sealed.shape.sha256 and sealed.encoder == "encoder.onnx"
    assert not (ws.root / "index.ann").exists() and not (ws.root / "colour.ann").exists()
    assert ws.encoder_in_use().read_bytes() == small_encoder.read_bytes()
    with CatalogSearcher(ws) as searcher:
        assert searcher.similar_to_image(shapes_catalog / "round" / "disc-2-0.png", 1)[0].score > 0.999


def _as_an_earlier_version_stored_them(ws: Workspace, catalog) -> dict[str, str]:
    """Every item's digest rewritten the way versions before XXH3 wrote it: SHA-256, 32 hex digits."""
    import hashlib
    import sqlite3

    connection = sqlite3.connect(ws.database)
    with connection:
        rows = connection.execute("SELECT id, path FROM items").fetchall()
        legacy = {path: hashlib.sha256((catalog / path).read_bytes()).hexdigest()[:32] for _, path in rows}
        connection.executemany("UPDATE items SET hash=? WHERE id=?", [(legacy[path], item_id) for item_id, path in rows])
    connection.close()
    return legacy


def test_digests_an_earlier_version_stored_still_find_moved_and_touched_photos_and_are_written_again_once(shapes_catalog, small_encoder):
    import shutil

    from core.catalog import content_hash, is_current

    _index(shapes_catalog, small_encoder)
    ws = Workspace.locate(shapes_catalog)
    _as_an_earlier_version_stored_them(ws, shapes_catalog)
    with CatalogStore(ws.database) as store:
        before = {i.path: i.id for i in store.items()}
    (shapes_catalog / "moved").mkdir()
    shutil.move(shapes_catalog / "round" / "disc-0-0.png", shapes_catalog / "moved" / "disc-0-0.png")
    os.utime(shapes_catalog / "angular" / "wedge-2-0.png", ns=(1, 1))  # touched: same content
    draw_product(shapes_catalog / "angular" / "slab-1-0.png", "wedge", (1, 2, 3))  # edited
    shutil.copy(shapes_catalog / "angular" / "bar-0-0.png", shapes_catalog / "bar-copy.png")  # an exact copy

    stages = []
    report = index_catalog(ws, progress=lambda p: stages.append((p.stage, p.done, p.total)))
    assert (report.encoded, report.moved, report.removed) == (2, 1, 0)  # the edited photo and the copy
    assert ("digest", 29, 29) in stages  # the 32 less the moved, touched and edited ones (those are read anyway)
    with CatalogStore(ws.database) as store:
        items = {i.path: i for i in store.items()}
    assert items["moved/disc-0-0.png"].id == before["round/disc-0-0.png"]
    assert items["angular/wedge-2-0.png"].id == before["angular/wedge-2-0.png"]
    assert all(is_current(i.hash) and i.hash == content_hash(shapes_catalog / path) for path, i in items.items())
    assert items["bar-copy.png"].hash == items["angular/bar-0-0.png"].hash

    stages.clear()
    again = index_catalog(ws, progress=lambda p: stages.append((p.stage, p.done, p.total)))
    assert (again.encoded, again.unchanged) == (0, 33)
    assert not any(stage == "digest" for stage, *_ in stages)  # once only


def test_a_run_cancelled_while_digests_are_written_again_keeps_the_earlier_ones(shapes_catalog, small_encoder):
    _index(shapes_catalog, small_encoder)
    ws = Workspace.locate(shapes_catalog)
    legacy = _as_an_earlier_version_stored_them(ws, shapes_catalog)
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.stage == "digest":
            token.cancel()

    with pytest.raises(Cancelled):
        index_catalog(ws, progress=progress, cancel=token)
    with CatalogStore(ws.database) as store:
        assert {i.path: i.hash for i in store.items()} == legacy
    assert index_catalog(ws).encoded == 0


def _other_photo(tmp_path, size=6000) -> bytes:
    """A photo of another product, padded to `size` bytes like `same_size_photos`."""
    return draw_product(tmp_path / "elsewhere" / "new.png", "wedge", (10, 120, 250), offset=3).read_bytes().ljust(size, b"\0")


def test_a_photo_rewritten_with_its_size_and_mtime_put_back_is_embedded_again(tmp_path, small_encoder):
    from core.catalog import digest_bytes

    catalog = tmp_path / "catalog"
    photos = same_size_photos(catalog, [f"p{i}.png" for i in range(8)])
    model_id = _index(catalog, small_encoder).model.model_id
    ws = Workspace.locate(catalog)
    with CatalogStore(ws.database) as store:
        item = store.item_by_path("p0.png")
        before = store.embedding(item.id, model_id)
    new = _other_photo(tmp_path)
    rewrite_in_place(photos[0], new)

    report = index_catalog(ws)
    assert (report.encoded, report.unchanged, report.checked, report.changed) == (1, 7, 1, 1)
    with CatalogStore(ws.database) as store:
        after = store.item_by_path("p0.png")
        assert after.id == item.id and after.hash == digest_bytes(new) and after.searchable
        assert not (store.embedding(item.id, model_id) == before).all()
    again = index_catalog(ws)
    assert (again.encoded, again.unchanged, again.checked) == (0, 8, 0)  # its new stamp is kept: not read again


def test_items_indexed_before_stamps_were_kept_are_read_once(shapes_catalog, small_encoder):
    import sqlite3

    _index(shapes_catalog, small_encoder)
    ws = Workspace.locate(shapes_catalog)
    with sqlite3.connect(ws.database) as db:  # as an earlier version left them
        db.execute("UPDATE items SET ctime_ns = NULL, inode = NULL")
    stages = []
    report = index_catalog(ws, progress=lambda p: stages.append((p.stage, p.done, p.total)))
    assert (report.encoded, report.unchanged, report.checked, report.changed) == (0, 32, 32, 0)
    assert ("digest", 32, 32) in stages
    with CatalogStore(ws.database) as store:
        assert all(None not in row[4:6] for row in store.iter_paths())
    assert index_catalog(ws).checked == 0


def test_verify_reads_every_photo_and_embeds_again_what_no_stamp_showed(tmp_path, small_encoder):
    import sqlite3

    catalog = tmp_path / "catalog"
    photos = same_size_photos(catalog, [f"p{i}.png" for i in range(8)])
    _index(catalog, small_encoder)
    ws = Workspace.locate(catalog)
    rewrite_in_place(photos[3], _other_photo(tmp_path))
    # A change no stamp shows (on Windows, ctime is the creation time): the workspace holds the file's stamp as it is now.
    st = photos[3].stat()
    with sqlite3.connect(ws.database) as db:
        db.execute("UPDATE items SET ctime_ns = ?, inode = ? WHERE path = 'p3.png'", (st.st_ctime_ns, st.st_ino))
    assert (index_catalog(ws).encoded, index_catalog(ws).checked) == (0, 0)

    report = index_catalog(ws, verify=True)
    assert (report.encoded, report.unchanged, report.checked, report.changed) == (1, 7, 8, 1)
    with CatalogStore(ws.database) as store:
        assert store.ids_needing_embedding(report.model.model_id) == []
    assert index_catalog(ws, verify=True).changed == 0


def test_a_run_cancelled_while_contents_are_compared_leaves_the_change_for_the_next(tmp_path, small_encoder):
    catalog = tmp_path / "catalog"
    photos = same_size_photos(catalog, [f"p{i}.png" for i in range(8)])
    _index(catalog, small_encoder)
    ws = Workspace.locate(catalog)
    rewrite_in_place(photos[5], _other_photo(tmp_path))
    token = CancelToken()

    def cancel_while_comparing(p: Progress) -> None:
        if p.stage == "digest":
            token.cancel()

    with pytest.raises(Cancelled):
        index_catalog(ws, progress=cancel_while_comparing, cancel=token)
    report = index_catalog(ws)
    assert (report.encoded, report.checked, report.changed) == (1, 1, 1)
