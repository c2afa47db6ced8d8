"""Reading a shop platform's product export (CSV) into products, the platform told by the header.

A product is what a shop lists once, whatever its variants: its identifier is the one the shop
imports lists by (a Shopify handle, a WooCommerce SKU or, without one, its ID, a Magento SKU),
its variants' identifiers are kept beside it, and its photos are the addresses in the export in
the shop's order, the main photo first.

The layouts read:
- Shopify, current template: `URL handle`, `Title`, `Type`, `SKU`, `Product image URL`,
  `Image position`, `Variant image URL`; older exports: `Handle`, `Title`, `Type`, `Variant SKU`,
  `Image Src`, `Image Position`, `Variant Image`. A product spans the rows sharing its handle:
  the first has its title, later ones add variants and photos.
- WooCommerce's product CSV exporter: `ID`, `Type`, `SKU`, `Name`, `Parent`, `Categories`, `Images`
  (comma-separated URLs). A row of type `variation` belongs to its `Parent`, written as `id:ID`
  or as the parent's SKU.
- Magento 2's catalog export: `sku`, `product_type`, `name`, `url_key`, `categories`, `base_image`,
  `additional_images` (comma-separated), `configurable_variations` (`sku=..,size=..|sku=..`). A
  simple product named in a configurable one's variations is a variant of it. Image paths are
  relative to the shop's media folder (`/m/b/mb01-blue-0.jpg`).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from core.common import InputError, csv_records, reading_csv

PLATFORMS = ("shopify", "woocommerce", "magento")


@dataclass(frozen=True)
class ShopProduct:
    key: str  # the identifier the shop imports lists by
    name: str
    category: str = ""
    photos: tuple[str, ...] = ()  # addresses as the export writes them, main photo first, no repeats
    variants: tuple[str, ...] = ()  # the variants' own identifiers (SKUs), in the export's order
    handle: str = ""  # Shopify's handle, Magento's url_key
    sku: str = ""
    shop_id: str = ""  # WooCommerce's ID


@dataclass(frozen=True)
class ShopExport:
    platform: str
    products: list[ShopProduct] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rows that could not be placed, one line each


def _columns(header: Sequence[str]) -> dict[str, int]:
    return {name.strip(): i for i, name in enumerate(header) if name.strip()}


def detect_platform(header: Sequence[str]) -> str | None:
    """Which platform wrote a CSV with this header, or None."""
    names = set(_columns(header))
    if "URL handle" in names or ("Handle" in names and names & {"Image Src", "Variant SKU", "Title"}):
        return "shopify"
    if {"sku", "product_type"} <= names and names & {"base_image", "url_key", "additional_images"}:
        return "magento"
    if {"ID", "Type", "SKU", "Name"} <= names:
        return "woocommerce"
    return None


class _Rows:
    """The export's data rows as dictionaries of stripped cells, with their line numbers."""

    def __init__(self, header: Sequence[str], rows: list[tuple[int, list[str]]]) -> None:
        self.index = _columns(header)
        self.rows = rows

    def __iter__(self):
        for line, values in self.rows:
            yield line, {name: (values[i].strip() if i < len(values) else "") for name, i in self.index.items()}


def _unique(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


# ---- Shopify -----------------------------------------------------------------------------------


def _shopify(rows: _Rows) -> ShopExport:
    current = "URL handle" in rows.index
    handle_col = "URL handle" if current else "Handle"
    sku_col = "SKU" if current else "Variant SKU"
    image_col, position_col = ("Product image URL", "Image position") if current else ("Image Src", "Image Position")
    variant_image_col = "Variant image URL" if current else "Variant Image"
    category_cols = ("Type", "Product category" if current else "Product Category")
    order: dict[str, dict] = {}
    problems = []
    for line, row in rows:
        handle = row.get(handle_col, "")
        if not handle:
            if any(row.values()):
                problems.append(f"line {line}: no {handle_col}, row skipped")
            continue
        product = order.setdefault(handle, {"name": "", "category": "", "photos": [], "variant_photos": [], "variants": []})
        if row.get("Title") and not product["name"]:
            product["name"] = row["Title"]
        for column in category_cols:
            if row.get(column) and not product["category"]:
                product["category"] = row[column].split(">")[-1].strip()
        if row.get(image_col):
            try:
                position = int(row.get(position_col) or 0) or 10**6
            except ValueError:
                position = 10**6
            product["photos"].append((position, len(product["photos"]), row[image_col]))
        if row.get(variant_image_col):
            product["variant_photos"].append(row[variant_image_col])
        if row.get(sku_col):
            product["variants"].append(row[sku_col])
    products = []
    for handle, p in order.items():
        photos = _unique([url for _, _, url in sorted(p["photos"])] + p["variant_photos"])
        variants = _unique(p["variants"])
        products.append(ShopProduct(handle, p["name"] or handle, p["category"], photos, variants, handle=handle,
                                    sku=variants[0] if variants else ""))
    return ShopExport("shopify", products, problems)


# ---- WooCommerce -------------------------------------------------------------------------------


def _woocommerce(rows: _Rows) -> ShopExport:
    parents: dict[str, dict] = {}
    by_id: dict[str, str] = {}
    by_sku: dict[str, str] = {}
    variations: list[tuple[int, dict[str, str]]] = []
    problems = []
    for line, row in rows:
        kinds = {kind.strip().lower() for kind in row.get("Type", "").split(",")}
        if "variation" in kinds:
            variations.append((line, row))
            continue
        shop_id, sku = row.get("ID", ""), row.get("SKU", "")
        key = sku or (f"id:{shop_id}" if shop_id else "")
        if not key:
            problems.append(f"line {line}: neither SKU nor ID, row skipped")
            continue
        if key in parents:
            problems.append(f"line {line}: {key} is listed twice, the second row skipped")
            continue
        categories = _split_list(row.get("Categories", ""))
        parents[key] = {
            "name": row.get("Name", "") or key, "category": categories[0].split(">")[-1].strip() if categories else "",
            "photos": _split_list(row.get("Images", "")), "variants": [], "sku": sku, "id": shop_id,
        }
        if shop_id:
            by_id[shop_id] = key
        if sku:
            by_sku[sku] = key
    for line, row in variations:
        parent = row.get("Parent", "")
        key = by_id.get(parent[3:]) if parent.startswith("id:") else by_sku.get(parent)
        if key is None:
            problems.append(f"line {line}: variation of {parent or 'no parent'}, which is not in the export; skipped")
            continue
        own = row.get("SKU", "") or (f"id:{row['ID']}" if row.get("ID") else "")
        if own:
            parents[key]["variants"].append(own)
        parents[key]["photos"].extend(_split_list(row.get("Images", "")))
    products = [
        ShopProduct(key, p["name"], p["category"], _unique(p["photos"]), _unique(p["variants"]), sku=p["sku"], shop_id=p["id"])
        for key, p in parents.items()
    ]
    return ShopExport("woocommerce", products, problems)


# ---- Magento 2 ---------------------------------------------------------------------------------


def _magento(rows: _Rows) -> ShopExport:
    entries: dict[str, dict] = {}
    problems = []
    for line, row in rows:
        sku = row.get("sku", "")
        if not sku:
            problems.append(f"line {line}: no sku, row skipped")
            continue
        if sku in entries:
            # a store view's row (store_view_code set) repeats a product for its translations
            continue
        variations = []
        for part in row.get("configurable_variations", "").split("|"):
            fields = dict(pair.split("=", 1) for pair in part.split(",") if "=" in pair)
            if fields.get("sku"):
                variations.append(fields["sku"].strip())
        categories = _split_list(row.get("categories", ""))
        entries[sku] = {
            "name": row.get("name", "") or sku, "type": row.get("product_type", ""),
            "category": categories[0].split("/")[-1].strip() if categories else "",
            "photos": [row.get("base_image", "")] + _split_list(row.get("additional_images", "")),
            "variants": variations, "url_key": row.get("url_key", ""),
        }
    owner = {variant: sku for sku, e in entries.items() for variant in e["variants"]}
    products = []
    for sku, e in entries.items():
        if sku in owner and owner[sku] != sku:
            continue  # a variant: its photos count for the product it belongs to
        photos = list(e["photos"])
        for variant in e["variants"]:
            photos.extend(entries.get(variant, {}).get("photos", ()))
        products.append(ShopProduct(sku, e["name"], e["category"], _unique(photos), _unique(e["variants"]),
                                    handle=e["url_key"], sku=sku))
    return ShopExport("magento", products, problems)


_READERS: dict[str, Callable[[_Rows], ShopExport]] = {"shopify": _shopify, "woocommerce": _woocommerce, "magento": _magento}


def read_shop_export(path: Path) -> ShopExport:
    """The products of a shop's export file; InputError when it is not one Lookalike can read."""
    with reading_csv(path, "shop export") as fh:
        reader = csv.reader(fh, strict=True)
        header = next(reader, [])
        platform = detect_platform(header)
        if platform is None:
            raise InputError(
                f"{path.name}: not a Shopify, WooCommerce or Magento product export (its header has none of "
                "'URL handle', 'Handle', 'ID,Type,SKU,Name' or 'sku,product_type')"
            )
        rows = list(csv_records(reader, path.name))
    return _READERS[platform](_Rows(header, rows))
