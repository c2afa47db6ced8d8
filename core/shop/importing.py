"""A shop's product export made into a catalog: its photos fetched into the folder, its products listed.

The catalog gets a folder per product, named from the shop's identifier (`mb01-blue/`), holding the
product's photos in the shop's order (`mb01-blue-1.jpg` is the main photo), and a `products.csv`
that indexing reads: a row per photo with the product's SKU, name and category, and as extra
attributes the product's identifier (`product`), the photo's place (`photo`), the platform, the
shop's handle or URL key and ID, and the variants' SKUs. Lists then treat the photos of a product
as one product, and exports write the shop's own identifiers.
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

from core.common import METADATA_NAME, CancelToken, InputError, ProgressFn, no_progress
from core.shop.download import LEDGER_NAME, Downloader, DownloadReport, DownloadSettings, PhotoJob, is_web_address
from core.shop.exports import ShopExport, ShopProduct, read_shop_export
from core.storage import Workspace, atomic

COLUMNS = ("path", "sku", "name", "category", "product", "photo", "platform", "handle", "url_key", "shop_id", "variants")
_MARK = ("product", "photo", "platform")  # a products.csv with these columns is one an import wrote


@dataclass(frozen=True)
class MissedPhoto:
    """A photo of the export that this import could not fetch, with the product it shows."""

    product: str  # the product's name, else its identifier
    place: int  # among the product's photos (1 = main)
    source: str  # where it was to come from
    reason: str

    @property
    def said(self) -> str:
        """The product, which photo of it when not its first, then the photo's file name and why: 'Classic Tee (gone.jpg: ...)'."""
        which = f", photo {self.place}" if self.place > 1 else ""
        name = PurePosixPath(urlsplit(self.source).path).name or self.source
        return f"{self.product}{which} ({name}: {self.reason})"


@dataclass
class ImportReport:
    platform: str
    products: int  # in the export
    photos: int  # named by the export
    download: DownloadReport
    without_photo: list[str] = field(default_factory=list)  # products none of whose photos could be had
    problems: list[str] = field(default_factory=list)  # rows of the export that could not be read
    missed: list[MissedPhoto] = field(default_factory=list)  # the photos that could not be fetched, in the export's order

    @property
    def imported(self) -> int:
        """Products of the export that have a photo in the catalog (the others stay out of it)."""
        return self.products - len(self.without_photo)

    def summary(self) -> str:
        """One line: how many of the export's products are in the catalog, and the first photo that could not be fetched."""
        noun = "product" if self.products == 1 else "products"
        text = f"Imported {self.products:,} {noun}"
        if self.imported != self.products:
            text = f"Imported {self.imported:,} of {self.products:,} {noun}"
        if self.missed:
            count = len(self.missed)
            more = f" and {count - 1:,} more" if count > 1 else ""
            text += f"; {count:,} {'photo' if count == 1 else 'photos'} could not be fetched: {self.missed[0].said}{more}"
        elif self.without_photo:
            count = len(self.without_photo)
            more = f" and {count - 1:,} more" if count > 1 else ""
            text += f"; {count:,} without a photo in the export: {self.without_photo[0]}{more}"
        return text

    def details(self) -> list[str]:
        """A line for each photo not fetched, each product left without a photo and each row of the export not read."""
        return ([f"Not fetched: {photo.said}; from {photo.source}" for photo in self.missed]
                + [f"Not in the catalog (no photo): {key}" for key in self.without_photo]
                + [f"Not read: {line}" for line in self.problems])


def folder_name(text: str) -> str:
    """A file-system-safe name for a product: lowercase ASCII letters, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def _folders(products: list[ShopProduct]) -> list[str]:
    """A distinct folder name per product, from its identifier (else its name); clashes get -2, -3, ..."""
    taken: set[str] = set()
    names = []
    for product in products:
        base = folder_name(product.key) or folder_name(product.name) or "product"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        names.append(name)
    return names


def photo_address(photo: str, media_url: str | None) -> str:
    """Where a photo of the export is fetched from: its own address, or a relative path under `media_url`."""
    if is_web_address(photo) or "://" in photo or media_url is None:
        return photo
    return urljoin(media_url.rstrip("/") + "/", photo.lstrip("/"))


def check_catalog_folder(catalog: Path) -> None:
    """Refuse a folder whose products.csv is the user's own, before anything is fetched into it."""
    existing = catalog / METADATA_NAME
    if existing.is_symlink():
        raise InputError(f"{existing} is a link to {os.path.realpath(existing)}; import the shop into a new folder so that file is not replaced")
    if not existing.is_file():
        return
    try:
        header = next(csv.reader(io.StringIO(existing.read_text(encoding="utf-8-sig", errors="replace"))), [])
    except csv.Error:
        header = []
    if not set(_MARK) <= {name.strip() for name in header}:
        raise InputError(
            f"{catalog} already has a {METADATA_NAME} of its own; import the shop into a new folder so it is not replaced"
        )


def import_into(
    shop: ShopExport,
    folder: Path,
    workspace: Path | None = None,
    media_url: str | None = None,
    media_dir: Path | None = None,
    settings: DownloadSettings = DownloadSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[Workspace, ImportReport]:
    """Make (or refresh) the catalog `folder` of `shop`: the folder and its workspace made, held while the photos come."""
    if media_url is not None and media_dir is not None:
        raise InputError("give a media base address or a media folder, not both")
    if media_url is not None and not is_web_address(media_url):
        raise InputError(f"the media base address must start with http:// or https://, not {media_url!r}")
    if media_dir is not None and not Path(media_dir).is_dir():
        raise InputError(f"media folder not found: {media_dir}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    if folder.is_dir():
        check_catalog_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make the catalog folder {folder}: {exc.strerror}") from None
    ws = Workspace.locate(folder, workspace)
    with ws.exclusive("importing a shop into"):
        report = import_shop(shop, ws.catalog, ws.file(LEDGER_NAME), media_url, media_dir, settings, progress, cancel)
    return ws, report


def import_shop(
    export: Path | ShopExport,
    catalog: Path,
    ledger: Path,
    media_url: str | None = None,
    media_dir: Path | None = None,
    settings: DownloadSettings = DownloadSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Fetch the export's photos into `catalog` (resuming earlier runs) and write its products.csv."""
    shop = export if isinstance(export, ShopExport) else read_shop_export(Path(export))
    catalog = Path(catalog)
    check_catalog_folder(catalog)
    folders = _folders(shop.products)
    jobs: list[PhotoJob] = []
    places: dict[str, tuple[int, int]] = {}  # job name -> (product index, photo place)
    for index, (product, folder) in enumerate(zip(shop.products, folders)):
        for place, photo in enumerate(product.photos, 1):
            name = f"{folder}/{folder}-{place}"
            jobs.append(PhotoJob(name, photo_address(photo, media_url)))
            places[name] = (index, place)
    report = Downloader(catalog, ledger, settings, media_dir).run(jobs, progress, cancel)
    rows = []
    have = set()
    for name, file in sorted(report.files.items(), key=lambda pair: places[pair[0]]):
        index, place = places[name]
        have.add(index)
        rows.append(_row(shop.platform, shop.products[index], file, place))
    _write_products(catalog / METADATA_NAME, rows)
    without = [p.key for i, p in enumerate(shop.products) if i not in have]
    missed = []
    for failure in report.failures:
        index, place = places[failure.name]
        missed.append(MissedPhoto(shop.products[index].name or shop.products[index].key, place, failure.source, failure.reason))
    return ImportReport(shop.platform, len(shop.products), len(jobs), report, without, shop.problems, missed)


def _row(platform: str, product: ShopProduct, file: str, place: int) -> dict[str, str]:
    return {
        "path": file,
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "product": product.key,
        "photo": str(place),
        "platform": platform,
        "handle": product.handle if platform == "shopify" else "",
        "url_key": product.handle if platform == "magento" else "",
        "shop_id": product.shop_id,
        "variants": "|".join(product.variants),
    }


def _write_products(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, buffer.getvalue())
