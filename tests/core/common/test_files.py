"""Checks on user-named files: outputs never land on a catalog's files, whichever path leads to them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.common.errors import InputError
from core.common.files import catalog_reach, check_destination


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A catalog with a folder of its own and a folder linked in from another drive, a photo in each."""
    catalog = tmp_path / "catalog"
    (catalog / "shirts").mkdir(parents=True)
    (catalog / "shirts" / "a.jpg").write_bytes(b"photo a")
    drive = tmp_path / "drive" / "shoes"
    drive.mkdir(parents=True)
    (drive / "photo.jpg").write_bytes(b"photo on the other drive")
    (catalog / "linked-folder").symlink_to(drive, target_is_directory=True)
    return catalog, drive


def test_a_photo_reached_through_a_linked_folder_is_refused_by_either_path(linked) -> None:
    catalog, drive = linked
    for out in (catalog / "linked-folder" / "photo.jpg", drive / "photo.jpg"):
        with pytest.raises(InputError, match="inside the catalog"):
            check_destination(out, catalog)
    assert (drive / "photo.jpg").read_bytes() == b"photo on the other drive"


def test_a_new_photo_or_product_list_in_a_linked_folder_is_refused_and_other_files_allowed(linked) -> None:
    catalog, drive = linked
    for out in (catalog / "linked-folder" / "model.png", drive / "model.png", drive / "products.csv"):
        with pytest.raises(InputError, match="read as part of it"):
            check_destination(out, catalog)
    check_destination(drive / "model.onnx", catalog)  # a new file not read as the catalog's
    check_destination(drive.parent / "model.png", catalog)  # beside the linked folder, not in it


def test_another_name_of_a_catalog_photo_is_refused(linked, tmp_path: Path) -> None:
    catalog, drive = linked
    hard = tmp_path / "exports" / "recs.csv"
    hard.parent.mkdir()
    os.link(catalog / "shirts" / "a.jpg", hard)
    with pytest.raises(InputError, match="under another name"):
        check_destination(hard, catalog)
    os.link(drive / "photo.jpg", tmp_path / "exports" / "model.onnx")  # a hard link of a photo met through the link
    with pytest.raises(InputError, match="under another name"):
        check_destination(tmp_path / "exports" / "model.onnx", catalog)
    outside = tmp_path / "exports" / "old.csv"
    outside.write_text("an export of yesterday")
    (catalog / "shirts" / "b.jpg").symlink_to(outside)  # a photo the catalog links in as a file
    with pytest.raises(InputError, match="under another name"):
        check_destination(outside, catalog)
    (catalog / "shirts" / "b.jpg").unlink()
    check_destination(outside, catalog)  # any other file outside may be replaced
    assert (catalog / "shirts" / "a.jpg").read_bytes() == b"photo a"


def test_the_reach_follows_links_as_a_scan_does(linked, tmp_path: Path) -> None:
    catalog, drive = linked
    (catalog / "up").symlink_to(tmp_path, target_is_directory=True)  # holds the catalog itself: not followed
    (catalog / ".hidden").mkdir()
    (catalog / ".hidden" / "x.jpg").write_bytes(b"x")
    (drive / "loop").symlink_to(catalog, target_is_directory=True)  # back into the catalog: walked once
    reach = catalog_reach(catalog)
    assert sorted(reach.folders) == sorted([catalog.resolve(), catalog.resolve() / "shirts", drive.resolve()])
    stats = [(catalog / "shirts" / "a.jpg").stat(), (drive / "photo.jpg").stat()]
    assert reach.files == {(st.st_dev, st.st_ino) for st in stats}


def test_without_a_catalog_only_what_the_path_is_is_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        check_destination(tmp_path, None)
    with pytest.raises(InputError, match="not a regular file"):
        check_destination(Path("/dev/null"), None)
    check_destination(tmp_path / "default_encoder.onnx", None)


def test_a_workspace_reached_through_a_link_is_refused(tmp_path: Path) -> None:
    catalog, workspace = tmp_path / "catalog", tmp_path / "ws"
    catalog.mkdir()
    workspace.mkdir()
    (tmp_path / "ws-link").symlink_to(workspace, target_is_directory=True)
    for out in (workspace / "catalog.sqlite", tmp_path / "ws-link" / "anything.csv"):
        with pytest.raises(InputError, match="workspace"):
            check_destination(out, catalog, tmp_path / "ws-link")
