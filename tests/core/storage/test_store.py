from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from core.common.errors import CatalogError
from core.storage.store import SCHEMA_VERSION, CatalogStore, DatabaseDamaged, Item

MODEL = "model-a"
OTHER_MODEL = "model-b"


def open_store(tmp_path: Path) -> CatalogStore:
    return CatalogStore(tmp_path / "catalog.sqlite")


def add(store: CatalogStore, *paths: str) -> dict[str, int]:
    """Add pending items (size = index, mtime = 1000 + index) and return their ids by path."""
    store.add_items((p, i + 1, 1000 + i, f"hash-{p}") for i, p in enumerate(paths))
    return {item.path: item.id for item in store.items()}


def vectors(count: int, dim: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)


def embedding_rows(path: Path) -> list[tuple[int, str]]:
    """(item_id, model_id) rows straight from the file, bypassing the store."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT item_id, model_id FROM embeddings ORDER BY item_id").fetchall()


def test_schema_is_created(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.count() == 0
    with sqlite3.connect(tmp_path / "catalog.sqlite") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"items", "embeddings", "index_map", "meta"} <= tables


def test_add_items_are_pending(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ids = add(store, "b/two.jpg", "a/one.jpg")
        items = store.items()
        assert [i.path for i in items] == ["a/one.jpg", "b/two.jpg"]  # ordered by path
        one = store.item_by_path("a/one.jpg")
        assert one == Item(ids["a/one.jpg"], "a/one.jpg", 2, 1001, "hash-a/one.jpg", "pending")
        assert store.item(ids["b/two.jpg"]).size == 1
        assert store.count("pending") == 2 and store.count("ok") == 0
        assert store.item(9999) is None and store.item_by_path("nope.jpg") is None
        assert set(store.items_by_id([ids["a/one.jpg"], 9999])) == {ids["a/one.jpg"]}


def test_add_existing_path_is_refused(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        add(store, "a.jpg")
        with pytest.raises(sqlite3.IntegrityError):
            store.add_items([("a.jpg", 1, 1, None), ("b.jpg", 1, 1, None)])
        assert [i.path for i in store.items()] == ["a.jpg"]  # one transaction: b.jpg not added


def test_update_files_changed_content_goes_back_to_pending(tmp_path: Path) -> None:
    db_path = tmp_path / "catalog.sqlite"
    with CatalogStore(db_path) as store:
        ids = add(store, "a.jpg", "b.jpg")
        a, b = ids["a.jpg"], ids["b.jpg"]
        store.save_embeddings(MODEL, [a, b], vectors(2))
        store.update_files([(a, 50, 5000, "new-hash", True)])
        item = store.item(a)
        assert (item.size, item.mtime_ns, item.hash, item.status, item.error) == (50, 5000, "new-hash", "pending", None)
        assert store.embedding(a, MODEL) is None
        assert store.embedding(b, MODEL) is not None
        assert store.item(b).status == "ok"
        assert store.ids_needing_embedding(MODEL) == [a]
    assert embedding_rows(db_path) == [(b, MODEL)]


def test_update_files_changed_clears_error(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a = add(store, "a.jpg")["a.jpg"]
        store.mark_errors([(a, "not an image")])
        store.update_files([(a, 9, 9, "h2", True)])
        item = store.item(a)
        assert (item.status, item.error) == ("pending", None)


def test_update_files_unchanged_only_updates_stat_and_hash(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a = add(store, "a.jpg")["a.jpg"]
        vec = vectors(1)
        store.save_embeddings(MODEL, [a], vec)
        store.update_files([(a, 77, 7777, "same-hash", False)])
        item = store.item(a)
        assert (item.size, item.mtime_ns, item.hash, item.status) == (77, 7777, "same-hash", "ok")
        np.testing.assert_array_equal(store.embedding(a, MODEL), vec[0])
        assert store.ids_needing_embedding(MODEL) == []


def test_remove_items_cascades_to_embeddings(tmp_path: Path) -> None:
    db_path = tmp_path / "catalog.sqlite"
    with CatalogStore(db_path) as store:
        ids = add(store, "a.jpg", "b.jpg", "c.jpg")
        store.save_embeddings(MODEL, list(ids.values()), vectors(3))
        store.remove_items([ids["a.jpg"], ids["c.jpg"]])
        assert [i.path for i in store.items()] == ["b.jpg"]
        got_ids, got = store.embeddings(MODEL)
        assert got_ids.tolist() == [ids["b.jpg"]]
    assert embedding_rows(db_path) == [(ids["b.jpg"], MODEL)]


def test_mark_errors_records_reason_and_drops_embedding(tmp_path: Path) -> None:
    db_path = tmp_path / "catalog.sqlite"
    with CatalogStore(db_path) as store:
        ids = add(store, "a.jpg", "b.jpg")
        store.save_embeddings(MODEL, [ids["a.jpg"], ids["b.jpg"]], vectors(2))
        store.mark_errors([(ids["a.jpg"], "truncated file")])
        item = store.item(ids["a.jpg"])
        assert (item.status, item.error) == ("error", "truncated file")
        assert store.count("error") == 1 and store.count("ok") == 1
        assert store.embedding(ids["a.jpg"], MODEL) is None
    assert embedding_rows(db_path) == [(ids["b.jpg"], MODEL)]


def test_mark_errors_accepts_a_generator(tmp_path: Path) -> None:
    """core/similarity/indexing.py passes a generator; both the status and the embedding must be updated."""
    db_path = tmp_path / "catalog.sqlite"
    with CatalogStore(db_path) as store:
        ids = add(store, "a.jpg", "b.jpg")
        store.save_embeddings(MODEL, [ids["a.jpg"], ids["b.jpg"]], vectors(2))
        store.mark_errors((ids[p], "bad") for p in ["a.jpg"])
        assert store.item(ids["a.jpg"]).status == "error"
        assert store.embedding(ids["a.jpg"], MODEL) is None
    assert embedding_rows(db_path) == [(ids["b.jpg"], MODEL)]


def test_save_embeddings_round_trip(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ids = add(store, "a.jpg", "b.jpg", "c.jpg", "d.jpg")
        a, b, c, d = (ids[p] for p in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"))
        vec = np.random.default_rng(3).standard_normal((2, 5))  # float64 in: stored as float32
        store.save_embeddings(MODEL, [b, a], vec, errors=[(c, "cannot decode")], digests=[(a, "da"), (b, None), (c, "dc")])
        got_ids, got = store.embeddings(MODEL)
        assert got.dtype == np.float32 and got_ids.dtype == np.int64
        assert got_ids.tolist() == sorted([a, b])
        by_id = dict(zip(got_ids.tolist(), got))
        np.testing.assert_array_equal(by_id[b], vec[0].astype(np.float32))
        np.testing.assert_array_equal(by_id[a], vec[1].astype(np.float32))
        single = store.embedding(a, MODEL)
        assert single.dtype == np.float32 and single.flags.writeable
        np.testing.assert_array_equal(single, vec[1].astype(np.float32))
        assert store.embedding(a, OTHER_MODEL) is None
        assert store.item(a).hash == "da"
        assert store.item(b).hash == "hash-b.jpg"  # a None digest leaves the old hash
        assert store.item(c).hash == "dc"
        assert (store.item(a).status, store.item(b).status) == ("ok", "ok")
        assert (store.item(c).status, store.item(c).error) == ("error", "cannot decode")
        assert store.item(d).status == "pending"


def test_a_new_models_embeddings_replace_the_old_ones_only_with_its_index(tmp_path: Path) -> None:
    """Until an index built with the new model is recorded, the model in use keeps its embeddings (to rebuild from)."""
    with open_store(tmp_path) as store:
        a = add(store, "a.jpg")["a.jpg"]
        store.save_embeddings(OTHER_MODEL, [a], vectors(1, seed=1))
        store.save_embeddings(MODEL, [a], vectors(1, seed=2))
        np.testing.assert_array_equal(store.embedding(a, OTHER_MODEL), vectors(1, seed=1)[0])
        np.testing.assert_array_equal(store.embedding(a, MODEL), vectors(1, seed=2)[0])
        assert store.ids_needing_embedding(MODEL) == store.ids_needing_embedding(OTHER_MODEL) == []
        store.save_index_map([a], {"model_id": MODEL}, model_id=MODEL)
        assert store.embedding(a, OTHER_MODEL) is None
        np.testing.assert_array_equal(store.embedding(a, MODEL), vectors(1, seed=2)[0])


def test_a_version_1_database_is_brought_up_to_date_with_everything_in_it(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "catalog.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE items (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            hash TEXT, status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')), error TEXT,
            sku TEXT, name TEXT, category TEXT, link TEXT, attrs TEXT);
        CREATE TABLE embeddings (item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE, model_id TEXT NOT NULL,
            vector BLOB NOT NULL, colour BLOB);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        INSERT INTO items (id, path, size, mtime_ns, hash, status, sku) VALUES (1, 'a.jpg', 5, 6, 'h', 'ok', 'SKU-1');
        """
    )
    old.execute("INSERT INTO embeddings VALUES (1, ?, ?, NULL)", (MODEL, vectors(1)[0].tobytes()))
    old.commit()
    old.close()
    with CatalogStore(path) as store:
        item = store.item_by_path("a.jpg")
        assert (item.sku, item.missing, item.searchable) == ("SKU-1", None, True)
        np.testing.assert_array_equal(store.embedding(1, MODEL), vectors(1)[0])
        store.save_embeddings(OTHER_MODEL, [1], vectors(1, seed=3))  # two models side by side: the new key
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        prints, known = store.frames(MODEL, 4)  # embedded before frame prints were kept: none known
        assert known.tolist() == [False] and (prints == 255).all()


def test_a_workspace_from_before_file_stamps_gains_them_unknown_and_stays_readable_by_older_versions(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE items (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            hash TEXT, status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')), error TEXT,
            sku TEXT, name TEXT, category TEXT, link TEXT, attrs TEXT, missing_since TEXT, missing TEXT);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '2');
        INSERT INTO items (id, path, size, mtime_ns, hash, status, sku) VALUES (1, 'a.jpg', 5, 6, 'x3:h', 'ok', 'SKU-1');
        """
    )
    old.commit()
    old.close()
    with CatalogStore(path) as store:
        assert list(store.iter_paths()) == [(1, "a.jpg", 5, 6, None, None, "x3:h", "ok", None)]  # not known: hashed once
        store.sync_files([("b.jpg", 7, 8, 9, 10, None)], [(1, 5, 6, 11, 12, "x3:h", False)], (), (), (), ())
        assert sorted(store.iter_paths()) == [(1, "a.jpg", 5, 6, 11, 12, "x3:h", "ok", None), (2, "b.jpg", 7, 8, 9, 10, None, "pending", None)]
        assert store.get_meta("schema_version") == "2" == str(SCHEMA_VERSION)  # an older version opens it as before
    with sqlite3.connect(path) as older:  # what an older version reads and writes: the columns it names
        older.execute("INSERT INTO items (path, size, mtime_ns, hash, status) VALUES ('c.jpg', 1, 2, NULL, 'pending')")
        assert older.execute("SELECT id, path, size, mtime_ns, hash, status, missing FROM items ORDER BY id").fetchall()[0] == (
            1, "a.jpg", 5, 6, "x3:h", "ok", None)
    with CatalogStore(path) as store:
        assert store.item_by_path("a.jpg").sku == "SKU-1"
        assert [row[4:6] for row in sorted(store.iter_paths())] == [(11, 12), (9, 10), (None, None)]


def test_a_scan_records_each_files_stamp_and_content_changes_go_back_to_pending(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.sync_files([("a.jpg", 1, 2, 3, 4, None), ("b.jpg", 1, 2, 3, 5, None)], (), (), (), (), ())
        ids = {item.path: item.id for item in store.items()}
        store.save_embeddings(MODEL, list(ids.values()), vectors(2), digests=[(ids["a.jpg"], "x3:a"), (ids["b.jpg"], "x3:b")])
        store.sync_files((), [(ids["a.jpg"], 1, 2, 30, 4, "x3:a", False), (ids["b.jpg"], 1, 2, 31, 5, "x3:new", True)], (), (), (), ())
        rows = {row[1]: row for row in store.iter_paths()}
        assert rows["a.jpg"][2:] == (1, 2, 30, 4, "x3:a", "ok", None)  # touched: the new stamp, still embedded
        assert rows["b.jpg"][2:] == (1, 2, 31, 5, "x3:new", "pending", None)  # other bytes: embedded again
        assert store.ids_needing_embedding(MODEL) == [ids["b.jpg"]]
        store.sync_files((), (), [(ids["a.jpg"], "moved/a.jpg", 1, 2, 40, 41, None)], (), (), ())
        assert {row[1]: row[2:7] for row in store.iter_paths()}["moved/a.jpg"] == (1, 2, 40, 41, "x3:a")


def test_frame_prints_are_kept_with_their_embeddings(tmp_path: Path) -> None:
    prints = np.arange(3 * 16, dtype=np.uint8).reshape(3, 4, 4)
    with open_store(tmp_path) as store:
        ids = add(store, "a.jpg", "b.jpg", "c.jpg", "d.jpg")
        a, b, c, d = (ids[p] for p in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"))
        store.save_embeddings(MODEL, [c, a, b], vectors(3), frames=prints)
        store.save_embeddings(MODEL, [d], vectors(1))  # no print (as an older version saved it)
        got, known = store.frames(MODEL, 4)
        assert store.embeddings(MODEL)[0].tolist() == [a, b, c, d]  # the same rows, in the same order
        assert known.tolist() == [True, True, True, False]
        np.testing.assert_array_equal(got[:3], prints[[1, 2, 0]])
        assert (got[3] == 255).all() and got.dtype == np.uint8
        assert store.frames(MODEL, 8)[1].tolist() == [False] * 4  # a print of another size is not known
        store.mark_errors([(a, "gone bad")])
        assert store.frames(MODEL, 4)[1].tolist() == [True, True, False]


def test_ids_needing_embedding(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ids = add(store, "c.jpg", "a.jpg", "b.jpg", "d.jpg")
        a, b, c, d = (ids[p] for p in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"))
        assert store.ids_needing_embedding(MODEL) == [a, b, c, d]  # ordered by path
        store.save_embeddings(MODEL, [a, b], vectors(2))
        store.mark_errors([(d, "broken")])
        assert store.ids_needing_embedding(MODEL) == [c]
        # a different model needs everything again, except the known-bad file
        assert store.ids_needing_embedding(OTHER_MODEL) == [a, b, c]


def test_embeddings_only_for_ok_items(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ids = add(store, "a.jpg", "b.jpg", "c.jpg", "d.jpg")
        a, b, c, d = (ids[p] for p in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"))
        vec = vectors(3, dim=6)
        store.save_embeddings(MODEL, [a, b, c], vec)
        # a later batch reports b as undecodable: its old embedding row stays but must not be served
        store.save_embeddings(MODEL, [], np.zeros((0, 6), np.float32), errors=[(b, "gone bad")])
        assert store.item(b).status == "error"
        got_ids, got = store.embeddings(MODEL)
        assert got_ids.tolist() == [a, c]
        assert got.shape == (2, 6)
        np.testing.assert_array_equal(got, vec[[0, 2]])
        assert d not in got_ids  # pending, never embedded
        empty_ids, empty = store.embeddings(OTHER_MODEL)
        assert empty_ids.shape == (0,) and empty.shape == (0, 0)


def test_index_map_and_facts(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        assert store.index_map().tolist() == []
        store.save_index_map([7, 3, 5], {"model_id": MODEL, "count": "3"})
        assert store.index_map().tolist() == [7, 3, 5]
        assert store.index_map().dtype == np.int64
        store.save_index_map([2], {"count": "1"})
        assert store.index_map().tolist() == [2]
        assert store.get_meta("model_id") == MODEL
        assert store.get_meta("count") == "1"


def test_set_metadata_and_extra_attributes(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ids = add(store, "a.jpg", "b.jpg")
        store.set_metadata(
            [
                (ids["a.jpg"], {"sku": "A-1", "name": "Red shirt", "category": "shirts", "link": "http://x/a",
                                "colour": "rot", "size": "", "brand": "Zé"}),
                (ids["b.jpg"], {"sku": "", "name": "Plain"}),
            ]
        )
        a, b = store.item(ids["a.jpg"]), store.item(ids["b.jpg"])
        assert (a.sku, a.name, a.category, a.link) == ("A-1", "Red shirt", "shirts", "http://x/a")
        assert a.attrs == {"colour": "rot", "brand": "Zé"}  # empty values are not kept
        assert (b.sku, b.name, b.category, b.link, b.attrs) == (None, "Plain", None, None, {})
        # importing again replaces the earlier values
        store.set_metadata([(ids["a.jpg"], {"sku": "A-2"})])
        a = store.item(ids["a.jpg"])
        assert (a.sku, a.name, a.attrs) == ("A-2", None, {})


def test_meta_values(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        assert store.get_meta("missing") is None
        store.set_meta({"one": "1", "two": "2"})
        store.set_meta({"one": "uno"})
        assert (store.get_meta("one"), store.get_meta("two")) == ("uno", "2")


def test_data_survives_reopening(tmp_path: Path) -> None:
    db_path = tmp_path / "catalog.sqlite"
    vec = vectors(2, dim=3)
    with CatalogStore(db_path) as store:
        ids = add(store, "a.jpg", "b.jpg", "c.jpg")
        store.save_embeddings(MODEL, [ids["a.jpg"], ids["b.jpg"]], vec)
        store.mark_errors([(ids["c.jpg"], "bad")])
        store.set_metadata([(ids["a.jpg"], {"sku": "S1", "fabric": "wool"})])
        store.save_index_map([ids["b.jpg"], ids["a.jpg"]], {"model_id": MODEL})
        store.set_meta({"trees": "50"})
    with CatalogStore(db_path) as store:
        assert [i.path for i in store.items()] == ["a.jpg", "b.jpg", "c.jpg"]
        assert store.item(ids["a.jpg"]).sku == "S1"
        assert store.item(ids["a.jpg"]).attrs == {"fabric": "wool"}
        assert store.item(ids["c.jpg"]).error == "bad"
        got_ids, got = store.embeddings(MODEL)
        assert got_ids.tolist() == [ids["a.jpg"], ids["b.jpg"]]
        np.testing.assert_array_equal(got, vec)
        assert store.index_map().tolist() == [ids["b.jpg"], ids["a.jpg"]]
        assert (store.get_meta("model_id"), store.get_meta("trees")) == (MODEL, "50")
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_garbage_file_raises_catalog_error(tmp_path: Path) -> None:
    db_path = tmp_path / "catalog.sqlite"
    db_path.write_bytes(b"this is not a database at all, just some text " * 100)
    with pytest.raises(DatabaseDamaged, match="damaged"):
        CatalogStore(db_path)


def test_newer_schema_raises_catalog_error(tmp_path: Path) -> None:
    db_path = tmp_path / "catalog.sqlite"
    with CatalogStore(db_path) as store:
        store.set_meta({"schema_version": str(SCHEMA_VERSION + 1)})
    with pytest.raises(CatalogError, match="newer"):
        CatalogStore(db_path)
