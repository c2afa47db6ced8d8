from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.catalog.thumbnails import THUMB_SIZE, ThumbnailCache
from core.common.errors import ImageError


def photo(path: Path, width: int = 1200, height: int = 900) -> Path:
    """A real JPEG: a red block on white, so aspect and content can be checked."""
    pixels = np.full((height, width, 3), 255, np.uint8)
    pixels[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = (200, 30, 30)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def test_make_shrinks_to_the_longest_side_keeping_aspect(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    thumb = cache.make(photo(tmp_path / "wide.jpg"), "abc123")
    tall = cache.make(photo(tmp_path / "tall.jpg", 600, 1000), "tall")

    assert thumb == cache.path_for("abc123") and thumb.suffix == ".jpg"
    with Image.open(thumb) as image:
        assert image.format == "JPEG"
        assert image.size == (THUMB_SIZE, 120)
        assert image.getpixel((80, 60))[0] > 150  # the red block survived, centred
    with Image.open(tall) as image:
        assert image.size == (96, THUMB_SIZE)


def test_paths_are_sharded_by_key_hash(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path)
    paths = {cache.path_for(f"key-{i}") for i in range(200)}

    assert len(paths) == 200
    assert all(p.parent.parent == tmp_path and len(p.parent.name) == 2 for p in paths)
    assert len({p.parent for p in paths}) > 100  # spread over many of the 256 shards
    assert cache.path_for("key-1") == ThumbnailCache(tmp_path).path_for("key-1")
    assert cache.path_for("key-1") != ThumbnailCache(tmp_path, size=96).path_for("key-1")
    assert cache.get("key-1") is None


def test_thumbnail_is_reused_across_runs_without_the_source(tmp_path: Path) -> None:
    source = photo(tmp_path / "p.jpg")
    first = ThumbnailCache(tmp_path / "thumbs").get_or_make(source, "h1")
    mtime = first.stat().st_mtime_ns
    source.unlink()

    again = ThumbnailCache(tmp_path / "thumbs")  # a new run
    assert again.get("h1") == first
    assert again.get_or_make(source, "h1") == first
    assert first.stat().st_mtime_ns == mtime


def test_undecodable_source_raises_and_leaves_no_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10)
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    cache = ThumbnailCache(tmp_path / "thumbs")

    with pytest.raises(ImageError):
        cache.make(bad, "bad")
    with pytest.raises(ImageError, match="not an image"):
        cache.get_or_make(text, "text")

    assert cache.get("bad") is None and cache.get("text") is None
    leftovers = [p for p in (tmp_path / "thumbs").rglob("*") if p.is_file()]
    assert leftovers == []


def test_concurrent_makes_of_one_key_leave_one_valid_jpeg(tmp_path: Path) -> None:
    source = photo(tmp_path / "p.jpg")
    cache = ThumbnailCache(tmp_path / "thumbs")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        makes = [pool.submit(cache.make, source, "same") for _ in range(8)]
        makes += [pool.submit(cache.get_or_make, source, "same") for _ in range(8)]
        paths = {future.result() for future in makes}

    assert paths == {cache.path_for("same")}
    files = [p for p in (tmp_path / "thumbs").rglob("*") if p.is_file()]
    assert files == [cache.path_for("same")]  # no temp files left behind
    with Image.open(files[0]) as image:
        image.load()
        assert image.format == "JPEG" and image.size == (THUMB_SIZE, 120)


def test_a_photo_rewritten_with_its_size_and_mtime_put_back_gets_a_new_thumbnail(tmp_path: Path, small_encoder: Path) -> None:
    from core.catalog.thumbnails import item_key
    from core.similarity import index_catalog
    from core.storage import CatalogStore, Workspace
    from tests.conftest import draw_product, rewrite_in_place, same_size_photos

    catalog = tmp_path / "catalog"
    photo = same_size_photos(catalog, ["p0.png", "p1.png"])[0]
    ws = Workspace.locate(catalog)
    index_catalog(ws, model=small_encoder)
    cache = ThumbnailCache(tmp_path / "thumbs")
    with CatalogStore(ws.database) as store:
        before = store.item_by_path("p0.png")
    old = cache.get_or_make(photo, item_key(before)).read_bytes()
    rewrite_in_place(photo, draw_product(tmp_path / "new.png", "wedge", (10, 120, 250)).read_bytes().ljust(6000, b"\0"))
    index_catalog(ws)
    with CatalogStore(ws.database) as store:
        after = store.item_by_path("p0.png")
    assert (after.size, after.mtime_ns) == (before.size, before.mtime_ns) and item_key(after) != item_key(before)
    assert cache.get(item_key(after)) is None and cache.get_or_make(photo, item_key(after)).read_bytes() != old
