from __future__ import annotations

from pathlib import Path

import pytest

from core.common import config
from core.common.errors import CatalogError
from core.storage.workspace import Workspace


def make_catalog(tmp_path: Path) -> Path:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "a.jpg").write_bytes(b"photo")
    return catalog


def test_default_workspace_is_inside_the_catalog(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    ws = Workspace.locate(catalog)
    assert ws.catalog == catalog.resolve()
    assert ws.root == catalog.resolve() / config.WORKSPACE_DIRNAME
    assert ws.root.is_dir()
    assert ws.database == ws.root / config.DATABASE_NAME
    assert ws.thumbs == ws.root / config.THUMBS_DIRNAME


def test_catalog_given_as_relative_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = make_catalog(tmp_path)
    monkeypatch.chdir(tmp_path)
    ws = Workspace.locate("catalog")
    assert ws.catalog == catalog.resolve()
    assert ws.catalog.is_absolute()


def test_workspace_elsewhere(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    elsewhere = tmp_path / "work" / "space"
    ws = Workspace.locate(catalog, workspace=elsewhere)
    assert ws.root == elsewhere.resolve()
    assert elsewhere.is_dir()
    assert not (catalog / config.WORKSPACE_DIRNAME).exists()
    assert ws.database.parent == elsewhere.resolve()


def test_the_catalog_itself_is_refused_as_its_workspace(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    before = sorted(p.name for p in catalog.iterdir())
    for given in (catalog, catalog / ".", str(catalog) + "/"):
        with pytest.raises(CatalogError, match="cannot be the catalog folder itself"):
            Workspace.locate(catalog, workspace=given)
    assert sorted(p.name for p in catalog.iterdir()) == before


def test_a_folder_of_the_catalogs_photos_is_refused_as_its_workspace(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    photos = catalog / "shoes"
    photos.mkdir()
    (photos / "boot.png").write_bytes(b"photo")
    with pytest.raises(CatalogError, match="holds photos of the catalog"):
        Workspace.locate(catalog, workspace=photos)
    assert Workspace.locate(catalog, workspace=catalog / "lookalike-work").root == (catalog / "lookalike-work").resolve()


def test_missing_catalog_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        Workspace.locate(tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


def test_file_instead_of_folder(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"x")
    with pytest.raises(CatalogError, match="not a folder"):
        Workspace.locate(photo)


def test_unindexed_catalog_without_create(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    with pytest.raises(CatalogError, match="not been indexed"):
        Workspace.locate(catalog, create=False)
    assert not (catalog / config.WORKSPACE_DIRNAME).exists()
    with pytest.raises(CatalogError):
        Workspace.locate(catalog, workspace=tmp_path / "ws", create=False)


def test_existing_workspace_without_create(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    made = Workspace.locate(catalog)
    assert Workspace.locate(catalog, create=False) == made


def test_workspace_that_cannot_be_created(tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the workspace's parent should be")
    with pytest.raises(CatalogError, match="cannot create workspace"):
        Workspace.locate(catalog, workspace=blocker / "ws")


def test_encoder_in_use_is_the_one_the_index_record_names(tmp_path: Path) -> None:
    from core.storage.index_state import STATE_KEY, IndexState
    from core.storage.store import CatalogStore

    ws = Workspace.locate(make_catalog(tmp_path))
    assert ws.encoder_in_use() == config.DEFAULT_ENCODER  # never indexed
    with CatalogStore(ws.database) as store:
        store.set_meta({"model_id": "0123456789abcdef"})  # as a workspace indexed before records were sealed
    (ws.root / config.ENCODER_NAME).write_bytes(b"an onnx model")
    assert ws.encoder_in_use() == ws.root / config.ENCODER_NAME
    with CatalogStore(ws.database) as store:
        store.set_meta({STATE_KEY: IndexState("0123456789abcdef", "encoder-0123456789abcdef.onnx", None, None, 1).to_json()})
    assert ws.encoder_in_use() == ws.root / "encoder-0123456789abcdef.onnx"
    with CatalogStore(ws.database) as store:
        store.set_meta({STATE_KEY: IndexState("0123456789abcdef", None, None, None, 2).to_json()})
    assert ws.encoder_in_use() == config.DEFAULT_ENCODER


def test_a_workspace_of_another_catalog_is_refused_while_that_catalog_is_there(tmp_path: Path) -> None:
    from core.storage.store import CatalogStore

    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    shared = tmp_path / "ws"
    ws = Workspace.locate(first, workspace=shared)
    with CatalogStore(ws.database) as store:
        ws.claim(store)
    assert Workspace.locate(first, workspace=shared) == ws  # its own catalog: fine
    with pytest.raises(CatalogError, match=f"belongs to the catalog {first.resolve()}, not {second.resolve()}"):
        Workspace.locate(second, workspace=shared)
    first.rename(tmp_path / "a-moved")  # the catalog moved: its workspace follows it
    moved = Workspace.locate(tmp_path / "a-moved", workspace=shared)
    with CatalogStore(moved.database) as store:
        moved.claim(store)
        assert store.get_meta("catalog_path") == str((tmp_path / "a-moved").resolve())


def test_links_in_the_workspace_are_replaced_not_written_through(tmp_path: Path) -> None:
    ws = Workspace.locate(make_catalog(tmp_path))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    (ws.root / config.THUMBS_DIRNAME).symlink_to(outside, target_is_directory=True)
    (ws.root / "index-1.ann").symlink_to(outside / "precious.txt")
    (ws.root / config.LOCK_NAME).symlink_to(outside / "precious.txt")
    assert ws.thumbs.is_dir() and not ws.thumbs.is_symlink()
    assert not ws.file("index-1.ann").exists()
    with ws.exclusive("indexing"):
        pass
    assert not (ws.root / config.LOCK_NAME).is_symlink()
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    assert (outside / "precious.txt").read_text() == "keep me"


def test_the_database_as_a_link_is_refused(tmp_path: Path) -> None:
    from core.storage.store import CatalogStore

    ws = Workspace.locate(make_catalog(tmp_path))
    elsewhere = tmp_path / "other.sqlite"
    CatalogStore(elsewhere).close()
    ws.database.symlink_to(elsewhere)
    with pytest.raises(CatalogError, match="is a link"):
        CatalogStore(ws.database)


def test_a_run_turned_away_is_told_what_the_first_one_is_doing(tmp_path: Path) -> None:
    ws = Workspace.locate(make_catalog(tmp_path))
    with ws.exclusive("making lists for"):
        with pytest.raises(CatalogError, match="another Lookalike run is making lists for"):
            with ws.exclusive("indexing"):
                pass
    with ws.exclusive("indexing"):  # free again once the first is over
        pass
