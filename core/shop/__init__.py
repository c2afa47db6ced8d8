"""The shop a catalog comes from: reading a Shopify, WooCommerce or Magento product export into
products, each with the shop's own identifier, its variants and its photos' addresses, and making
a catalog of it (its photos fetched over HTTP, resumably, and its products.csv). It imports
core.common and core.storage.
"""

from core.shop.download import LEDGER_NAME, Downloader, DownloadReport, DownloadSettings, PhotoFailure, PhotoJob, fetch_photo
from core.shop.exports import PLATFORMS, ShopExport, ShopProduct, read_shop_export
from core.shop.importing import ImportReport, MissedPhoto, check_catalog_folder, import_into, import_shop

__all__ = [
    "DownloadReport",
    "DownloadSettings",
    "Downloader",
    "ImportReport",
    "check_catalog_folder",
    "fetch_photo",
    "LEDGER_NAME",
    "MissedPhoto",
    "PLATFORMS",
    "PhotoFailure",
    "PhotoJob",
    "ShopExport",
    "ShopProduct",
    "import_into",
    "import_shop",
    "read_shop_export",
]
