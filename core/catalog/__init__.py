"""The catalog folder and what is read from it: finding its photos by content, decoding them to
upright squares within a memory budget, importing its product list, the thumbnail cache, and
query photos from outside it that are kept in the workspace. It imports core.common and
core.storage.
"""

from core.catalog.images import (
    FRAME_PRINT,
    decode_views,
    differs_from,
    fit_square,
    frame_print,
    load_batch,
    load_frame_print,
    load_square,
    load_views,
    open_rgb,
    os_error_reason,
    read_photo,
)
from core.catalog.metadata import MetadataReport, ProductList, import_metadata, read_product_csv
from core.catalog.queries import QUERIES_DIRNAME, save_query_image
from core.catalog.digests import content_hash, digest_bytes, file_digests, is_current
from core.catalog.scan import PROGRESS_EVERY, FileInfo, ScanResult, catalog_file, inside_catalog, scan_catalog
from core.catalog.thumbnails import APP_THUMB_SIZE, ThumbnailCache, item_key

__all__ = [
    "APP_THUMB_SIZE",
    "FRAME_PRINT",
    "FileInfo",
    "MetadataReport",
    "PROGRESS_EVERY",
    "ProductList",
    "QUERIES_DIRNAME",
    "ScanResult",
    "ThumbnailCache",
    "catalog_file",
    "content_hash",
    "decode_views",
    "digest_bytes",
    "differs_from",
    "file_digests",
    "fit_square",
    "frame_print",
    "import_metadata",
    "inside_catalog",
    "is_current",
    "item_key",
    "load_batch",
    "load_frame_print",
    "load_square",
    "load_views",
    "open_rgb",
    "os_error_reason",
    "read_photo",
    "read_product_csv",
    "save_query_image",
    "scan_catalog",
]
