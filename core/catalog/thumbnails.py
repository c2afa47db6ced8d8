"""The on-disk thumbnail cache: small JPEGs of catalog photos, made once and reused across runs.

Thumbnails live in `<folder>/<hh>/<digest>.jpg`, where digest is a hash of the key and the
size, and hh its first two hex digits (256 shards keep each folder small at 100,000 items).
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from PIL import Image

from core.catalog.images import open_rgb
from core.storage import Item, atomic_path

THUMB_SIZE = 160
APP_THUMB_SIZE = 192  # what the app and the review sheet use: the largest the grid shows sharply
JPEG_QUALITY = 85

# Makes of the same key are serialised by one of these locks (picked by the key's digest),
# so two threads asking for one missing thumbnail decode it once; unrelated keys rarely wait.
_LOCK_STRIPES = 64


def item_key(item: Item) -> str:
    """The thumbnail key of a catalog item: changes whenever its file does, so nothing stale is shown.

    The content digest is part of it: other bytes with the size and mtime put back (a sync tool,
    a restore) are another photo.
    """
    return f"{item.path}|{item.size}|{item.mtime_ns}|{item.hash}"


class ThumbnailCache:
    """Thumbnails of at most size x size pixels (aspect kept, no padding), keyed by any string.

    Safe to share between threads: files are written atomically, so a reader never sees a
    half-written thumbnail and concurrent makes of one key leave one valid file.
    """

    def __init__(self, folder: Path, size: int = THUMB_SIZE) -> None:
        if size < 1:
            raise ValueError(f"thumbnail size must be positive, got {size}")
        self.folder = Path(folder)
        self.size = size
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def path_for(self, key: str) -> Path:
        """Where the thumbnail for `key` lives (whether or not it exists yet)."""
        digest = self._digest(key)
        return self.folder / digest[:2] / f"{digest}.jpg"

    def get(self, key: str) -> Path | None:
        """The cached thumbnail for `key`, or None if it has not been made."""
        path = self.path_for(key)
        return path if path.is_file() else None

    def make(self, source: Path, key: str) -> Path:
        """Decode `source`, shrink it to fit the size, and write (or overwrite) its thumbnail.

        Raises ImageError if the source cannot be decoded; nothing is written then.
        """
        image = open_rgb(Path(source), min_side=self.size)
        image.thumbnail((self.size, self.size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        target = self.path_for(key)
        with atomic_path(target) as tmp:
            image.save(tmp, format="JPEG", quality=JPEG_QUALITY)
        return target

    def get_or_make(self, source: Path, key: str) -> Path:
        """The cached thumbnail for `key`, made from `source` first if missing."""
        path = self.get(key)
        if path is not None:
            return path
        digest = self._digest(key)
        with self._locks[int(digest[:8], 16) % _LOCK_STRIPES]:
            # Another thread may have made it while this one waited for the lock.
            return self.get(key) or self.make(source, key)

    def _digest(self, key: str) -> str:
        # The size is part of the name so caches of different sizes can share a folder.
        data = f"{self.size}\0{key}".encode("utf-8", "surrogatepass")
        return hashlib.blake2b(data, digest_size=16).hexdigest()
