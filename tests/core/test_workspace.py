from __future__ import annotations

from pathlib import Path

import pytest

from core import config
from core.errors import CatalogError
from core.workspace import Workspace


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
    assert ws.encoder == ws.root / config.ENCODER_NAME
    assert ws.index == ws.root / config.INDEX_NAME
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


def test_encoder_in_use_falls_back_to_default(tmp_path: Path) -> None:
    ws = Workspace.locate(make_catalog(tmp_path))
    assert ws.encoder_in_use() == config.DEFAULT_ENCODER
    ws.encoder.write_bytes(b"an onnx model")
    assert ws.encoder_in_use() == ws.encoder
    ws.encoder.unlink()
    assert ws.encoder_in_use() == config.DEFAULT_ENCODER
