"""Made-up shops for the import benchmark and the round-trip checks: products with variants and several
photos, their photos as a shop's CDN holds them, and the product export each platform would write.

Product i is a demo product (its photos drawn by the demo renderer); its second and third photos are
the same product shot again (mirrored, closer). Some WooCommerce products have no SKU, as real
shops' do, so their ID is what names them.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from core.demo import CATEGORIES, render_product
from core.storage import atomic

SIZES = ("XS", "S", "M", "L", "XL")


@dataclass(frozen=True)
class MadeUpProduct:
    index: int
    handle: str
    title: str
    category: str
    sku: str  # "" for a WooCommerce product without one
    variants: tuple[str, ...]  # the variants' SKUs
    photos: tuple[str, ...]  # file names under the shop's photo folder
    source: str = ""  # a real photo the product's photos are made from (default: drawn by the demo renderer)

    @property
    def shop_id(self) -> int:
        return 1000 + self.index * 10


def make_products(count: int, seed: int = 0) -> list[MadeUpProduct]:
    rng = np.random.default_rng(seed)
    products = []
    for i in range(count):
        category = CATEGORIES[i % len(CATEGORIES)]
        noun = category.rstrip("s").replace("-", " ")
        sku = f"P{i:04d}"
        variants = tuple(f"{sku}-{size}" for size in SIZES[: int(rng.integers(1, 6))])
        photos = tuple(f"p{i:04d}-{n}.jpg" for n in range(1, int(rng.integers(1, 4)) + 1))
        title = f"Style {i:04d} {noun}"
        products.append(MadeUpProduct(i, f"style-{i:04d}-{noun.replace(' ', '-')}", title, category,
                                      "" if i % 7 == 3 else sku, variants, photos))
    return products


def from_photos(photos: Path, labels: Path, count: int, seed: int = 0, id_column: str = "id",
                type_column: str = "articleType") -> list[MadeUpProduct]:
    """Products made from real labelled photos (one per product, its type as its category), in a seeded order."""
    with open(labels, newline="", encoding="utf-8-sig") as fh:
        types = {row[id_column]: row[type_column] for row in csv.DictReader(fh) if row.get(type_column)}
    files = sorted(p for p in photos.iterdir() if p.stem in types and p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    order = np.random.default_rng(seed).permutation(len(files))
    shapes = make_products(count, seed)
    return [
        MadeUpProduct(i, shape.handle, shape.title, types[files[j].stem], shape.sku, shape.variants, shape.photos, str(files[j]))
        for i, (shape, j) in enumerate(zip(shapes, order))
    ]


def write_photos(products: list[MadeUpProduct], folder: Path, seed: int = 0, size: tuple[int, int] = (320, 400)) -> None:
    """Each product's photos as JPEG files in `folder`: the product, then mirrored, then closer."""
    folder.mkdir(parents=True, exist_ok=True)
    for product in products:
        if product.source:
            with Image.open(product.source) as photo:
                base = photo.convert("RGB")
        else:
            base = render_product(product.category, np.random.default_rng([seed, product.index]), size)
        w, h = base.size
        shots = [base, ImageOps.mirror(base), base.crop((w // 13, h // 13, w - w // 13, h - h // 13)).resize(base.size)]
        for name, shot in zip(product.photos, shots):
            out = io.BytesIO()
            shot.save(out, "JPEG", quality=88)
            (folder / name).write_bytes(out.getvalue())


def _csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, buffer.getvalue())


def write_shopify_export(products: list[MadeUpProduct], base_url: str, path: Path) -> None:
    """Shopify's current product export: a row per variant, extra rows for photos beyond the variants."""
    columns = ["Title", "URL handle", "Description", "Vendor", "Product category", "Type", "Tags", "Published on online store",
               "Status", "SKU", "Barcode", "Option1 name", "Option1 value", "Price", "Inventory quantity",
               "Product image URL", "Image position", "Image alt text", "Variant image URL", "Gift card"]
    rows = []
    for p in products:
        for n in range(max(len(p.variants), len(p.photos))):
            row = {"URL handle": p.handle}
            if n == 0:
                row.update({"Title": p.title, "Vendor": "Lookalike Test Co", "Type": p.category, "Status": "Active",
                            "Published on online store": "TRUE", "Option1 name": "Size", "Gift card": "FALSE"})
            if n < len(p.variants):
                row.update({"SKU": p.variants[n], "Option1 value": SIZES[n], "Price": "29.00", "Inventory quantity": "4"})
            if n < len(p.photos):
                row.update({"Product image URL": f"{base_url}/{p.photos[n]}", "Image position": str(n + 1)})
            rows.append(row)
    _csv(path, columns, rows)


def write_woocommerce_export(products: list[MadeUpProduct], base_url: str, path: Path) -> None:
    """WooCommerce's product CSV exporter: a variable product and its variations, or a simple product."""
    columns = ["ID", "Type", "SKU", "Name", "Published", "Is featured?", "Visibility in catalog", "Regular price",
               "Categories", "Tags", "Images", "Parent", "Attribute 1 name", "Attribute 1 value(s)"]
    rows = []
    for p in products:
        images = ", ".join(f"{base_url}/{name}" for name in p.photos)
        variable = len(p.variants) > 1
        rows.append({"ID": str(p.shop_id), "Type": "variable" if variable else "simple", "SKU": p.sku, "Name": p.title,
                     "Published": "1", "Is featured?": "0", "Visibility in catalog": "visible",
                     "Regular price": "" if variable else "29", "Categories": f"Clothing > {p.category}",
                     "Images": images, "Attribute 1 name": "Size" if variable else "",
                     "Attribute 1 value(s)": ", ".join(SIZES[: len(p.variants)]) if variable else ""})
        if variable:
            parent = f"id:{p.shop_id}" if not p.sku or p.index % 2 else p.sku  # both ways the exporter writes it
            for n, variant in enumerate(p.variants):
                rows.append({"ID": str(p.shop_id + n + 1), "Type": "variation", "SKU": variant,
                             "Name": f"{p.title} - {SIZES[n]}", "Published": "1", "Regular price": "29",
                             "Parent": parent, "Attribute 1 name": "Size", "Attribute 1 value(s)": SIZES[n]})
    _csv(path, columns, rows)


def write_magento_export(products: list[MadeUpProduct], path: Path) -> None:
    """Magento 2's catalog export: simple products, and a configurable one over them; image paths relative."""
    columns = ["sku", "store_view_code", "attribute_set_code", "product_type", "categories", "product_websites", "name",
               "weight", "product_online", "visibility", "price", "url_key", "base_image", "small_image",
               "thumbnail_image", "additional_images", "additional_attributes", "configurable_variations",
               "configurable_variation_labels"]
    rows = []
    for p in products:
        photos = [f"/{name[0]}/{name[1]}/{name}" for name in p.photos]
        category = f"Default Category/Clothing/{p.category}"
        if len(p.variants) == 1:
            rows.append({"sku": p.variants[0], "attribute_set_code": "Default", "product_type": "simple",
                         "categories": category, "product_websites": "base", "name": p.title, "product_online": "1",
                         "visibility": "Catalog, Search", "price": "29", "url_key": p.handle, "base_image": photos[0],
                         "additional_images": ",".join(photos[1:])})
            continue
        for n, variant in enumerate(p.variants):
            rows.append({"sku": variant, "attribute_set_code": "Default", "product_type": "simple", "categories": category,
                         "product_websites": "base", "name": f"{p.title}-{SIZES[n]}", "weight": "1",
                         "product_online": "1", "visibility": "Not Visible Individually", "price": "29",
                         "url_key": f"{p.handle}-{SIZES[n].lower()}", "base_image": photos[0],
                         "additional_attributes": f"size={SIZES[n]}"})
        rows.append({"sku": f"P{p.index:04d}", "attribute_set_code": "Default", "product_type": "configurable",
                     "categories": category, "product_websites": "base", "name": p.title, "product_online": "1",
                     "visibility": "Catalog, Search", "price": "29", "url_key": p.handle, "base_image": photos[0],
                     "additional_images": ",".join(photos[1:]),
                     "configurable_variations": "|".join(f"sku={v},size={SIZES[n]}" for n, v in enumerate(p.variants)),
                     "configurable_variation_labels": "size=Size"})
    _csv(path, columns, rows)


def magento_media(products: list[MadeUpProduct], photos: Path, media: Path) -> None:
    """The photos laid out as Magento keeps them (pub/media/catalog/product/a/b/ab....jpg)."""
    for p in products:
        for name in p.photos:
            target = media / name[0] / name[1] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((photos / name).read_bytes())
