from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from core.catalog.digests import content_hash, digest_bytes, file_digests, is_current
from core.catalog.images import decode_views, frame_print, load_square, load_views, open_rgb, read_photo
from core.common import ImageError
from core.demo import render_product


def test_a_digest_names_its_algorithm_and_tells_contents_apart(tmp_path: Path) -> None:
    data = os.urandom(1 << 20) + b"tail" * 100_000  # more than one read's chunk
    first, second = tmp_path / "first.bin", tmp_path / "second.jpg"
    first.write_bytes(data)
    second.write_bytes(data)
    digest = content_hash(first)
    assert digest == content_hash(second) == digest_bytes(data)
    assert digest.startswith("x3:") and len(digest) == 35 and is_current(digest)
    second.write_bytes(data[:-1] + b"!")
    assert content_hash(second) != digest


def test_a_digest_an_earlier_version_stored_is_matched_like_with_like(tmp_path: Path) -> None:
    data = b"photo bytes " * 50_000
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(data)
    legacy = hashlib.sha256(data).hexdigest()[:32]  # what versions before XXH3 stored
    assert not is_current(legacy)
    fresh, like = file_digests(photo, legacy)
    assert (fresh, like) == (content_hash(photo), legacy)
    assert file_digests(photo, fresh) == (fresh, fresh)
    assert file_digests(photo, None) == (fresh, fresh)


def test_an_unreadable_file_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not found|no such file"):
        content_hash(tmp_path / "gone.jpg")


def test_a_photo_read_once_decodes_as_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "boot.jpg"
    render_product("boots", np.random.default_rng(3)).resize((900, 1200)).save(path, quality=88)
    data = read_photo(path)
    square, frame = decode_views(data, 64)  # the square and the frame print from one decoding
    assert np.array_equal(square, load_square(path, 64))
    assert np.array_equal(frame, frame_print(open_rgb(path, min_side=64)))  # JPEGs drafted to the encoder's size
    assert all(np.array_equal(x, y) for x, y in zip(load_views(path, 64), (square, frame)))
    with pytest.raises(ImageError, match="not an image"):
        decode_views(b"plain text, not a photo", 64)
    with pytest.raises(ImageError, match="empty file"):
        decode_views(b"", 64)
    with pytest.raises(ImageError, match="not a regular file"):
        read_photo(tmp_path)


def test_a_photo_over_the_read_once_size_is_left_to_be_read_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "print.png"
    render_product("watches", np.random.default_rng(1)).save(path)
    size = path.stat().st_size
    assert read_photo(path, limit=size - 1) is None
    assert read_photo(path, limit=size) == path.read_bytes()


def test_indexing_a_photo_too_large_to_read_once_gives_what_reading_once_gives(tmp_path: Path, monkeypatch) -> None:
    from core.similarity import indexing

    path = tmp_path / "big.png"
    render_product("boots", np.random.default_rng(4)).resize((1200, 900)).save(path)
    once = indexing._decode(tmp_path, 7, "big.png", 64)
    monkeypatch.setattr("core.catalog.images.READ_ONCE_BYTES", 1)
    assert indexing.read_photo(path) is None
    from_file = indexing._decode(tmp_path, 7, "big.png", 64)
    assert once.error is None and from_file.error is None
    assert once.digest == from_file.digest == content_hash(path)
    assert np.array_equal(once.pixels, from_file.pixels)
