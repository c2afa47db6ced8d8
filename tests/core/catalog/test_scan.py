from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from core.catalog.scan import FileInfo, inside_catalog, scan_catalog
from core.common.config import WORKSPACE_DIRNAME
from core.common.errors import Cancelled, CatalogError
from core.common.jobs import CancelToken, Progress
from tests.conftest import draw_product, rewrite_in_place


def write_image(path: Path, fmt: str = "PNG", colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path, format=fmt)
    return path


def make_symlink(link: Path, target: Path) -> None:
    link.symlink_to(target, target_is_directory=target.is_dir())


def image_paths(root: Path, **kwargs) -> list[str]:
    return [info.path for info in scan_catalog(root, **kwargs).images]


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    write_image(root / "b.jpg", "JPEG")
    write_image(root / "a.png")
    write_image(root / "shoes" / "boots" / "z.webp", "WEBP")
    write_image(root / "shoes" / "sandal.GIF", "GIF")
    write_image(root / "shoes" / "photo.dat", "JPEG")
    write_image(root / "shoes" / "no_suffix", "BMP")
    (root / "shoes" / "broken.jpg").write_text("this is not a picture")
    (root / "empty.png").write_bytes(b"")
    (root / "products.csv").write_text("path,sku\na.png,1\n")
    (root / "README").write_text("catalog notes\n")
    write_image(root / ".hidden.jpg")
    write_image(root / ".git" / "inside.png")
    write_image(root / WORKSPACE_DIRNAME / "thumbs" / "t.jpg", "JPEG")
    return root


def test_finds_images_by_content_in_nested_folders(catalog: Path) -> None:
    result = scan_catalog(catalog)
    assert [info.path for info in result.images] == [
        "a.png",
        "b.jpg",
        "shoes/boots/z.webp",
        "shoes/no_suffix",
        "shoes/photo.dat",
        "shoes/sandal.GIF",
    ]
    assert [(info.path, reason) for info, reason in result.rejected] == [
        ("empty.png", "empty file"),
        ("shoes/broken.jpg", "not an image"),
    ]


def test_records_size_mtime_ctime_and_inode(catalog: Path) -> None:
    photo = catalog / "shoes" / "photo.dat"
    os.utime(photo, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    info = next(i for i in scan_catalog(catalog).images if i.path == "shoes/photo.dat")
    st = photo.stat()
    assert info == FileInfo("shoes/photo.dat", st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    assert info.size > 0 and info.mtime_ns == 1_600_000_000_123_456_789
    assert info.stamp == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def test_skip_folders_inside_and_outside_the_catalog(catalog: Path, tmp_path: Path) -> None:
    workspace = catalog / "work"
    write_image(workspace / "thumbs" / "x.png")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    paths = image_paths(catalog, skip=[workspace, outside, tmp_path / "does-not-exist"])
    assert not any(path.startswith("work/") for path in paths)
    assert "work/thumbs/x.png" in image_paths(catalog)


def test_follows_folder_symlinks_and_survives_loops(catalog: Path, tmp_path: Path) -> None:
    outside = tmp_path / "more"
    write_image(outside / "extra.png")
    make_symlink(catalog / "linked", outside)
    make_symlink(catalog / "shoes" / "boots" / "loop", catalog)
    make_symlink(outside / "back", catalog / "shoes")
    paths = image_paths(catalog)
    assert "linked/extra.png" in paths
    assert len(paths) == len(set(paths)) == 7
    assert not any("loop" in path or "back" in path for path in paths)


def test_real_folder_preferred_over_a_link_to_it(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    write_image(root / "real" / "f.png")
    make_symlink(root / "a_link", root / "real")
    assert image_paths(root) == ["real/f.png"]


def test_broken_symlinks_are_ignored(catalog: Path, tmp_path: Path) -> None:
    make_symlink(catalog / "gone.jpg", tmp_path / "missing.jpg")
    make_symlink(catalog / "gone_dir", tmp_path / "missing_dir")
    result = scan_catalog(catalog)
    everything = [info.path for info in result.images] + [info.path for info, _ in result.rejected]
    assert not any(path.startswith("gone") for path in everything)


def test_symlinked_file_counts_with_target_size(catalog: Path, tmp_path: Path) -> None:
    target = write_image(tmp_path / "real.png")
    make_symlink(catalog / "alias.png", target)
    info = next(i for i in scan_catalog(catalog).images if i.path == "alias.png")
    assert info.size == target.stat().st_size


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="needs a user that permissions apply to"
)
def test_unreadable_entries_are_not_fatal(catalog: Path) -> None:
    locked = catalog / "locked"
    write_image(locked / "secret.png")
    secret = write_image(catalog / "secret.png")
    locked.chmod(0)
    secret.chmod(0)
    try:
        result = scan_catalog(catalog)
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    assert not any(info.path.startswith("locked/") for info in result.images)
    rejected = [(info.path, reason) for info, reason in result.rejected]
    assert ("secret.png", "permission denied") in rejected
    catalog.chmod(0)
    try:
        with pytest.raises(CatalogError, match="^catalog folder unreadable: .*permission denied"):
            scan_catalog(catalog)
    finally:
        catalog.chmod(0o755)


def test_bad_root_raises_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="^catalog folder not found: "):
        scan_catalog(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CatalogError, match="^not a folder: "):
        scan_catalog(tmp_path / "file.txt")


def test_progress_reported_and_cancel_honoured(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(1100):
        (root / f"{i:04}.txt").write_bytes(b"x")
    reports: list[Progress] = []
    scan_catalog(root, progress=reports.append)
    assert [(r.stage, r.done, r.total) for r in reports] == [
        ("scan", 500, 0),
        ("scan", 1000, 0),
        ("scan", 1100, 1100),
    ]

    token = CancelToken()
    seen: list[int] = []

    def cancel_at_first_report(report: Progress) -> None:
        seen.append(report.done)
        token.cancel()

    with pytest.raises(Cancelled):
        scan_catalog(root, progress=cancel_at_first_report, cancel=token)
    assert seen == [500]


def test_cancelled_before_start(catalog: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        scan_catalog(catalog, cancel=token)


def test_trusted_files_with_an_unchanged_stamp_are_not_read_again(tmp_path):
    fake = tmp_path / "was-a-photo.jpg"
    fake.write_text("no longer a JPEG, but its stamp says nothing changed")
    st = fake.stat()
    trusted = {"was-a-photo.jpg": (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)}
    assert [f.path for f in scan_catalog(tmp_path, trusted=trusted).images] == ["was-a-photo.jpg"]
    os.utime(fake, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    result = scan_catalog(tmp_path, trusted=trusted)
    assert result.images == [] and [f.path for f, _ in result.rejected] == ["was-a-photo.jpg"]


def test_bytes_written_with_size_and_mtime_put_back_are_not_trusted(tmp_path):
    photo = draw_product(tmp_path / "a.png", "disc", (200, 0, 0))
    st = rewrite_in_place(photo, b"not a photo any more".ljust(photo.stat().st_size, b"."))
    trusted = {"a.png": (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)}
    assert (photo.stat().st_size, photo.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    result = scan_catalog(tmp_path, trusted=trusted)
    assert result.images == [] and [(f.path, reason) for f, reason in result.rejected] == [("a.png", "not an image")]


def test_a_photo_replaced_by_another_file_is_not_trusted(tmp_path):
    photo = draw_product(tmp_path / "a.png", "disc", (200, 0, 0))
    st = photo.stat()
    trusted = {"a.png": (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)}
    other = tmp_path / ".incoming"
    other.write_bytes(b"not a photo".ljust(st.st_size, b"."))
    keep = other.stat().st_ino  # the old inode is still in use, so the new file cannot get it
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.link(photo, tmp_path / ".old")
    os.replace(other, photo)
    assert photo.stat().st_ino == keep != st.st_ino
    assert [f.path for f, _ in scan_catalog(tmp_path, trusted=trusted).rejected] == ["a.png"]


def test_an_item_path_stays_inside_the_catalog_by_path_alone(tmp_path: Path) -> None:
    assert inside_catalog(tmp_path, "shirts/a.jpg") == tmp_path / "shirts/a.jpg"
    assert inside_catalog(tmp_path, "shirts/..a.jpg") == tmp_path / "shirts/..a.jpg"  # dots inside a name are fine
    assert inside_catalog(tmp_path, ".hidden/a.jpg") == tmp_path / ".hidden/a.jpg"
    for path in ["../a.jpg", "shirts/../../a.jpg", "shirts/..", "..\\a.jpg", "/etc/passwd", str(tmp_path / "a.jpg"),
                 "C:a.jpg", "C:\\x\\a.jpg", "c:/x/a.jpg", "\\\\server\\share\\a.jpg", "\\a.jpg", "x/.. /a.jpg"]:
        assert inside_catalog(tmp_path, path) is None, path
