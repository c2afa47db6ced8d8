"""Query photos that come from outside the catalog (dropped files, the clipboard), kept in the workspace.

A copy is kept so that the query history still works after the original file moves or
the clipboard changes.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from core.catalog.images import open_rgb
from core.common import ImageError
from core.storage import atomic

QUERIES_DIRNAME = "queries"
KEEP_SIDE = 512


def save_query_image(folder: Path, image: Image.Image | Path) -> Path:
    """Store a (shrunk) PNG copy of the query photo in `folder`, named by its content; returns its path."""
    picture = open_rgb(Path(image), min_side=KEEP_SIDE) if isinstance(image, (str, Path)) else image
    try:
        picture = picture.convert("RGB")
        picture.thumbnail((KEEP_SIDE, KEEP_SIDE))
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
    except (OSError, ValueError) as exc:
        raise ImageError(f"cannot use that picture ({exc})") from None
    data = buffer.getvalue()
    target = folder / f"{hashlib.blake2b(data, digest_size=10).hexdigest()}.png"
    if not target.exists():
        atomic.write_bytes(target, data)
    return target
