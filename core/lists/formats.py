"""Writing curated lists to files for people and shop platforms: one writer fed by small format descriptions.

Every format starts from the same lists with any self-recommendation dropped. The CSV formats are
`CsvFormat` descriptions (columns, and a function from lists to rows) run by one CSV writer. The shop
platforms are `PlatformFormat` descriptions (key column, how the shop identifies a product, which list
kind goes to which column) that one per-product, per-kind-column mechanism turns into CSV formats.
JSON and the HTML review sheet have a writer each.

How list kinds land on the platforms:
- Shopify (Search & Discovery metafields): related and upsell -> "Related products", cross-sell ->
  "Complementary products". Shopify has no upsell list, so upsells join the related products.
- WooCommerce: related and upsell -> "Upsells" (the product page's "You may also like"), cross-sell
  -> "Cross-sells" (shown in the cart). WooCommerce's own "Related products" are chosen automatically
  from categories and tags and cannot be imported.
- Magento 2: related -> related_skus, cross-sell -> crosssell_skus, upsell -> upsell_skus, each with
  1-based positions in the matching *_position column.
"""
from __future__ import annotations

import base64
import csv
import datetime
import html
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TextIO

from core.catalog import ThumbnailCache, inside_catalog, item_key
from core.common import InputError, LookalikeError, check_destination
from core.lists.curation import LIST_KINDS, ExportList
from core.lists.products import product_of
from core.storage import Item, atomic

FORMATS = ("csv", "json", "shopify", "woocommerce", "magento", "html")
PLATFORM_FORMATS = ("shopify", "woocommerce", "magento")  # these carry every list kind, each in its column

Row = dict[str, object]

# A cell starting with one of these is run as a formula by Excel and LibreOffice (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportSummary:
    """What a write put in the file (rows, distinct source products) and one line per thing left out."""

    rows: int
    products: int
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the file holds that the user should know, nothing left out


class _Export:
    """One write in progress: its format, where the photos are, and what it had to leave out."""

    def __init__(self, fmt: str, catalog: Path, thumbs: ThumbnailCache | None) -> None:
        self.fmt = fmt
        self.catalog = catalog
        self.thumbs = thumbs
        self._skipped: dict[str, None] = {}  # insertion-ordered and without repeats
        self.notes: list[str] = []

    def skip(self, reason: str) -> None:
        self._skipped[reason] = None

    @property
    def skipped(self) -> list[str]:
        return list(self._skipped)


# a format's writer: (lists, export, the open file) -> (rows, products)
_Writer = Callable[[Sequence[ExportList], _Export, TextIO], tuple[int, int]]


# ---- the one CSV writer ----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvFormat:
    """A CSV layout: its columns (which may depend on the lists) and how the lists become (source, row) pairs,
    each row its cells in the columns' order."""

    columns: Callable[[Sequence[ExportList]], tuple[str, ...]]
    rows: Callable[[Sequence[ExportList], _Export, tuple[str, ...]], Iterable[tuple[Item, Sequence[object]]]]


def _write_csv(layout: CsvFormat, lists: Sequence[ExportList], export: _Export, out: TextIO) -> tuple[int, int]:
    """The rows written to `out` as they are made: a million lists never sit in memory as one text."""
    # Rows end in "\r\n" (RFC 4180): the writer quotes a cell holding any character of the line end, and a lone
    # "\r" left unquoted ends the row in spreadsheets and in Python's reader alike.
    writer = csv.writer(out, lineterminator="\r\n")
    columns = layout.columns(lists)
    writer.writerow(columns)
    rows = 0
    products: set[str] = set()
    last = None
    for source, row in layout.rows(lists, export, columns):
        writer.writerow(row)
        rows += 1
        if source is not last:
            products.add(source.path)
            last = source
    return rows, len(products)


# ---- csv: one row per recommendation ------------------------------------------------------------

PAIR_COLUMNS = ("source_sku", "source_path", "rank", "target_sku", "target_path", "score", "pinned", "note")


def _pair_columns(lists: Sequence[ExportList]) -> tuple[str, ...]:
    # The list kind only needs a column when the file mixes kinds; the documented eight stay first.
    return PAIR_COLUMNS + (("list",) if len({lst.kind for lst in lists}) > 1 else ())


def _text_cell(text: str) -> str:
    """`text` as a spreadsheet shows it instead of running it: a leading quote before a formula start (OWASP)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _pair_rows(lists: Sequence[ExportList], export: _Export, columns: tuple[str, ...]) -> Iterator[tuple[Item, tuple]]:
    # Only text cells are quoted: rank, pinned and score (which may be negative) stay numbers.
    with_kind = "list" in columns
    named: dict[int, tuple[str, str]] = {}  # item id -> its SKU and path cells, made once however often it is named

    def cells(item: Item) -> tuple[str, str]:
        found = named.get(item.id)
        if found is None:
            found = named[item.id] = (_text_cell(item.sku or ""), _text_cell(item.path))
        return found

    for lst in lists:
        sku, path = cells(lst.item)
        note = _text_cell(lst.note)
        kind = (_text_cell(lst.kind),) if with_kind else ()
        for rank, entry in enumerate(lst.entries, 1):
            target_sku, target_path = cells(entry.item)
            score = _score(entry.score)
            pinned = "true" if entry.pinned else "false"
            yield lst.item, (sku, path, rank, target_sku, target_path, "" if score is None else f"{score:.6f}", pinned, note, *kind)


PAIRS = CsvFormat(_pair_columns, _pair_rows)


# ---- shop platforms: one row per product, one column per list kind ---------------------------------


@dataclass(frozen=True)
class PlatformFormat:
    """A shop's product-update CSV: the key column, how the shop names a product, and where each list kind goes."""

    name: str
    key_column: str
    key: Callable[[Item], str | None]  # the shop's identifier of a product; None when it has none
    key_label: str  # what the identifier is called in messages ("handle", "SKU")
    kind_columns: Mapping[str, str]  # list kind -> column; kinds sharing a column are merged in LIST_KINDS order
    separator: str  # between identifiers (and positions) in one cell
    position_columns: Mapping[str, str] = field(default_factory=dict)  # identifier column -> its 1-based positions
    # An identifier Lookalike makes for a product the shop's own is not known for (None: never made up).
    # Made-up ones give way to the shop's own and are made unique, so no product is left out for a clash.
    made_up: Callable[[Item], str | None] | None = None
    # The cells that name a row's product to the shop's importer when they are more than the key column
    # (WooCommerce: ID, else SKU), in their columns' order; a column empty for every product is not written.
    id_cells: Callable[[Item], Mapping[str, str]] | None = None


def _platform_columns(spec: PlatformFormat, lists: Sequence[ExportList]) -> tuple[str, ...]:
    columns = [spec.key_column]
    if spec.id_cells is not None:
        cells = [spec.id_cells(lst.item) for lst in lists]
        names = dict.fromkeys(name for row in cells for name in row)
        columns = [n for n in names if n == spec.key_column or any(row.get(n) for row in cells)] or columns
    for column in dict.fromkeys(spec.kind_columns.values()):
        columns.append(column)
        if column in spec.position_columns:
            columns.append(spec.position_columns[column])
    return tuple(columns)


def _identifiers(spec: PlatformFormat, lists: Sequence[ExportList], export: _Export) -> dict[str, str]:
    """The shop identifier of every product the lists mention, by path; products without a usable one are reported.

    Identifiers must match the shop's own, so a clash is not renamed (the first product by path keeps it) and one
    a spreadsheet would run as a formula is not quoted: that product is left out.
    """
    items: dict[str, Item] = {}
    for lst in lists:
        items.setdefault(lst.item.path, lst.item)
        for entry in lst.entries:
            items.setdefault(entry.item.path, entry.item)
    owners: dict[str, str] = {}  # identifier (casefolded) -> the path of the product's first photo
    product_path: dict[str, str] = {}  # product -> that path
    found: dict[str, str] = {}
    left_out = f"left out of the {spec.name} file"
    made_up: list[tuple[str, str]] = []  # (path, the identifier made for it), named once the shop's own are placed
    for path in sorted(items):
        product = product_of(items[path])
        if product in product_path:  # another photo of a product already placed: the product's identifier
            if product_path[product] in found:
                found[path] = found[product_path[product]]
            continue
        product_path[product] = path
        key = spec.key(items[path])
        base = None if key or spec.made_up is None else spec.made_up(items[path])
        if base:
            made_up.append((path, base))
        elif not key:
            export.skip(f"{path}: no {spec.key_label}, {left_out}")
        elif spec.separator.strip() in key:
            export.skip(f"{path}: {spec.key_label} {key!r} contains {spec.separator.strip()!r}, {left_out}")
        elif key.startswith(FORMULA_STARTS):
            formula = f"starts with {key[0]!r}, which spreadsheets run as a formula"
            export.skip(f"{path}: {spec.key_label} {key!r} {formula}; {left_out}")
        elif key.casefold() in owners:
            export.skip(f"{path}: {spec.key_label} {key!r} is also {owners[key.casefold()]}'s, {left_out}")
        else:
            owners[key.casefold()] = path
            found[path] = key
    for path, base in made_up:
        key, n = base, 1
        while key.casefold() in owners:
            n += 1
            key = f"{base}-{n}"
        owners[key.casefold()] = path
        found[path] = key
    if made_up:
        export.notes.append(
            f"{len(made_up)} of {len(items)} products have no {spec.key_label} of the shop's; theirs were made from "
            f"their names and may not match the shop's (import the shop's export to use its own)"
        )
    return found


def _kind_order(lst: ExportList) -> int:
    return LIST_KINDS.index(lst.kind) if lst.kind in LIST_KINDS else len(LIST_KINDS)


def _by_product(lists: Sequence[ExportList]) -> list[tuple[Item, list[ExportList]]]:
    """The lists grouped by source product (in first-seen order), each product's lists in LIST_KINDS order."""
    groups: dict[str, tuple[Item, list[ExportList]]] = {}
    for lst in lists:
        groups.setdefault(product_of(lst.item), (lst.item, []))[1].append(lst)
    return [(source, sorted(product_lists, key=_kind_order)) for source, product_lists in groups.values()]


def _platform_rows(spec: PlatformFormat, lists: Sequence[ExportList], export: _Export) -> Iterator[tuple[Item, Row]]:
    keys = _identifiers(spec, lists, export)
    for source, product_lists in _by_product(lists):
        key = keys.get(source.path)
        if key is None:
            continue
        cells: dict[str, list[str]] = {column: [] for column in spec.kind_columns.values()}
        for lst in product_lists:
            column = spec.kind_columns.get(lst.kind)
            if column is None:
                export.skip(f"{source.path}: {spec.name} has no column for {lst.kind} lists, left out")
                continue
            for entry in lst.entries:
                target = keys.get(entry.item.path)
                if target is not None and target not in cells[column]:
                    cells[column].append(target)
        row: Row = {spec.key_column: key}
        if spec.id_cells is not None:
            row.update(spec.id_cells(source))
        for column, targets in cells.items():
            row[column] = spec.separator.join(targets)
            if column in spec.position_columns:
                row[spec.position_columns[column]] = spec.separator.join(str(i) for i in range(1, len(targets) + 1))
        yield source, row


def _platform_csv(spec: PlatformFormat) -> CsvFormat:
    """The CSV format of a platform description."""

    def rows(lists: Sequence[ExportList], export: _Export, columns: tuple[str, ...]) -> Iterator[tuple[Item, list[object]]]:
        for source, row in _platform_rows(spec, lists, export):
            yield source, [row.get(column, "") for column in columns]

    return CsvFormat(partial(_platform_columns, spec), rows)


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by single hyphens: 'Crème Brûlée, 2 kg' -> 'creme-brulee-2-kg'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def shopify_handle(item: Item) -> str | None:
    """The product's Shopify handle: its imported `handle` column, else a slug of its name, SKU or file stem."""
    return _given_handle(item) or made_up_handle(item)


def _given_handle(item: Item) -> str | None:
    return (item.attrs.get("handle") or "").strip() or None


def made_up_handle(item: Item) -> str | None:
    """A handle made from the product's name, SKU or file stem: what Shopify itself would make of its title."""
    for text in (item.name, item.sku, PurePosixPath(item.path).stem):
        slug = slugify(text or "")
        if slug:
            return slug
    return None


def _sku(item: Item) -> str | None:
    return (item.sku or "").strip() or None


def _shop_id(item: Item) -> str:
    return (item.attrs.get("shop_id") or "").strip()


def woocommerce_key(item: Item) -> str | None:
    """How WooCommerce's importer names a product in Upsells and Cross-sells: its SKU, else id:ID."""
    return _sku(item) or (f"id:{_shop_id(item)}" if _shop_id(item) else None)


def _woocommerce_cells(item: Item) -> dict[str, str]:
    # The importer finds a product by ID when the row has one, else by SKU; an SKU cell holding
    # "id:12" would rename the product, so a product without an SKU has it empty.
    return {"ID": _shop_id(item), "SKU": _sku(item) or ""}


SHOPIFY_RELATED = "Related products (product.metafields.shopify--discovery--product_recommendation.related_products)"
SHOPIFY_COMPLEMENTARY = (
    "Complementary products (product.metafields.shopify--discovery--product_recommendation.complementary_products)"
)

SHOPIFY = PlatformFormat(
    name="shopify",
    key_column="Handle",
    key=_given_handle,
    key_label="handle",
    # Shopify has no upsell list: upsells go to the related products, after the related list's own.
    kind_columns={"related": SHOPIFY_RELATED, "cross-sell": SHOPIFY_COMPLEMENTARY, "upsell": SHOPIFY_RELATED},
    separator=", ",
    made_up=made_up_handle,
)
WOOCOMMERCE = PlatformFormat(
    name="woocommerce",
    key_column="SKU",
    key=woocommerce_key,
    key_label="SKU",
    id_cells=_woocommerce_cells,
    # WooCommerce's "Related products" are automatic and cannot be imported; its upsells are the
    # product page's "You may also like", so related lists go there, before the upsell list's own.
    kind_columns={"related": "Upsells", "cross-sell": "Cross-sells", "upsell": "Upsells"},
    separator=", ",  # as WooCommerce's own exporter writes them
)
MAGENTO = PlatformFormat(
    name="magento",
    key_column="sku",
    key=_sku,
    key_label="SKU",
    kind_columns={"related": "related_skus", "cross-sell": "crosssell_skus", "upsell": "upsell_skus"},
    separator=",",  # Magento's default multiple value separator
    position_columns={
        "related_skus": "related_position",
        "crosssell_skus": "crosssell_position",
        "upsell_skus": "upsell_position",
    },
)


# ---- json ------------------------------------------------------------------------------------


def _write_json(lists: Sequence[ExportList], export: _Export, out: TextIO) -> tuple[int, int]:
    entries = [
        {
            "path": lst.item.path,
            "sku": lst.item.sku,
            "list": lst.kind,
            "note": lst.note,
            "reviewed": lst.reviewed,
            "recommendations": [
                {"path": e.item.path, "score": _score(e.score), "sku": e.item.sku, "pinned": e.pinned} for e in lst.entries
            ],
        }
        for lst in lists
    ]
    out.write(json.dumps(entries, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    return len(entries), len({lst.item.path for lst in lists})


# ---- html review sheet -----------------------------------------------------------------------

PAGE_PRODUCTS = 500  # products on one page of the review sheet: a page stays a few megabytes
_CSS = """
* { box-sizing: border-box; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222;
       margin: 24px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
header h1 { font-size: 20px; margin: 0 0 2px; }
header p { margin: 0 0 12px; color: #666; }
.product { display: grid; grid-template-columns: 132px 1fr; gap: 16px; padding: 14px 0;
           border-top: 1px solid #ddd; break-inside: avoid; page-break-inside: avoid; }
.thumb { width: 96px; height: 96px; border-radius: 4px; background: #e2e2e2 center / contain no-repeat; }
.source .thumb { width: 132px; height: 132px; }
.thumb.none { display: flex; align-items: center; justify-content: center; padding: 6px; text-align: center;
              font-size: 10px; color: #666; overflow-wrap: anywhere; }
h2 { font-size: 15px; margin: 0; }
.meta { color: #666; font-size: 11px; overflow-wrap: anywhere; }
.lists { display: flex; flex-wrap: wrap; gap: 4px 36px; }
.list { margin-top: 10px; }
h3 { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #555; margin: 0 0 4px; }
.reviewed { color: #1a7f37; text-transform: none; letter-spacing: 0; }
.note { font-style: italic; margin: 0 0 6px; }
.recs { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; margin: 0; padding: 0; }
.rec { width: 96px; font-size: 11px; }
.rec .name { font-weight: 600; margin-top: 3px; overflow-wrap: anywhere; }
.pin { display: inline-block; background: #0b5cad; color: #fff; border-radius: 3px; padding: 0 4px; font-size: 10px; }
.empty { color: #888; margin: 0; }
.pages { margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px; align-items: baseline; }
.pages a { color: #0b5cad; }
@media print { body { margin: 0; } .pages { display: none; } }
"""


class _Thumbnails:
    """The sheet's thumbnails, each embedded once as a CSS class carrying a data: URI."""

    def __init__(self, export: _Export) -> None:
        self.export = export
        self._classes: dict[str, str | None] = {}
        self.rules: list[str] = []

    def html(self, item: Item) -> str:
        """A thumbnail box for `item`: its photo, or a grey box with its file name."""
        css_class = self._class(item)
        if css_class is None:
            return f'<div class="thumb none">{_e(PurePosixPath(item.path).name)}</div>'
        return f'<div class="thumb {css_class}" role="img" aria-label="{_e(item.title)}"></div>'

    def _class(self, item: Item) -> str | None:
        if item.path in self._classes:
            return self._classes[item.path]
        css_class = None
        data = self._thumbnail(item)
        if data is not None:
            css_class = f"t{len(self.rules)}"
            encoded = base64.b64encode(data).decode("ascii")
            self.rules.append(f".{css_class} {{ background-image: url(data:image/jpeg;base64,{encoded}); }}")
        self._classes[item.path] = css_class
        return css_class

    def _thumbnail(self, item: Item) -> bytes | None:
        """The item's thumbnail (JPEG bytes), or None, reported, when it has none; never a file outside the catalog."""
        if self.export.thumbs is None:
            return None
        photo = inside_catalog(self.export.catalog, item.path)
        if photo is None:
            self.export.skip(f"{item.path}: leads outside the catalog, not read; shown as a grey box in the html file")
            return None
        try:
            return self.export.thumbs.get_or_make(photo, item_key(item)).read_bytes()
        except (LookalikeError, OSError) as exc:
            self.export.skip(f"{item.path}: no thumbnail ({exc}), shown as a grey box in the html file")
            return None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _facts(item: Item) -> str:
    parts = [f"SKU {item.sku}" if item.sku else "no SKU", item.path]
    if item.category:
        parts.append(item.category)
    return " · ".join(_e(p) for p in parts)


def _list_html(lst: ExportList, thumbs: _Thumbnails) -> str:
    reviewed = ' <span class="reviewed">✓ reviewed</span>' if lst.reviewed else ""
    parts = [f'<div class="list"><h3>{_e(lst.kind)}{reviewed}</h3>']
    if lst.note:
        parts.append(f'<p class="note">{_e(lst.note)}</p>')
    if not lst.entries:
        parts.append('<p class="empty">no recommendations</p>')
    else:
        parts.append('<ol class="recs">')
        for entry in lst.entries:
            score = _score(entry.score)
            pin = ' <span class="pin" title="placed by a person">pinned</span>' if entry.pinned else ""
            parts.append(
                f'<li class="rec">{thumbs.html(entry.item)}<div class="name">{_e(entry.item.title)}</div>'
                f'<div class="meta">{_e(entry.item.sku or "no SKU")}</div>'
                f'<div class="meta">score {"–" if score is None else f"{score:.3f}"}{pin}</div></li>'
            )
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)


def _product_html(source: Item, product_lists: Sequence[ExportList], thumbs: _Thumbnails) -> str:
    body = "".join(_list_html(lst, thumbs) for lst in product_lists)
    return (
        f'<section class="product"><div class="source">{thumbs.html(source)}</div>'
        f'<div><h2>{_e(source.title)}</h2><div class="meta">{_facts(source)}</div>'
        f'<div class="lists">{body}</div></div></section>'
    )


def page_path(out: Path, page: int) -> Path:
    """Where page `page` (from 1) of a review sheet written to `out` goes: `out` itself, then NAME-2.html, ..."""
    return out if page == 1 else out.with_name(f"{out.stem}-{page}{out.suffix or '.html'}")


def _page_links(out: Path, page: int, pages: int) -> str:
    """Navigation between the sheet's pages: first, previous, a few around this one, next, last."""
    if pages == 1:
        return ""
    shown = sorted({1, pages, *range(max(1, page - 3), min(pages, page + 3) + 1)})
    links, last = [], 0
    for number in shown:
        if number - last > 1:
            links.append("<span>…</span>")
        target = _e(page_path(out, number).name)
        links.append(f"<b>{number}</b>" if number == page else f'<a href="{target}">{number}</a>')
        last = number
    before = f'<a href="{_e(page_path(out, page - 1).name)}" rel="prev">‹ previous</a>' if page > 1 else ""
    after = f'<a href="{_e(page_path(out, page + 1).name)}" rel="next">next ›</a>' if page < pages else ""
    return f'<nav class="pages">{before} {" ".join(links)} {after}</nav>'


def _html_page(sections: list[str], thumbs: _Thumbnails, export: _Export, heading: str, nav: str) -> str:
    title = f"Recommendations for {export.catalog.name or 'the catalog'}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}{chr(10).join(thumbs.rules)}\n</style></head><body>",
            f"<header><h1>{_e(title)}</h1><p>{heading}</p>{nav}</header>",
            *sections,
            nav,
            "</body></html>",
            "",
        ]
    )


def _write_html(lists: Sequence[ExportList], export: _Export, out: Path) -> tuple[int, int]:
    """The review sheet: one page, or pages of PAGE_PRODUCTS products each carrying its own thumbnails.

    Pages after the first are written first, each atomically, so the first page (`out`) never
    links to a page that is not there yet.
    """
    products = _by_product(lists)
    pages = max(1, -(-len(products) // PAGE_PRODUCTS))
    generated = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    for page in [*range(2, pages + 1), 1]:
        start = (page - 1) * PAGE_PRODUCTS
        chunk = products[start : start + PAGE_PRODUCTS]
        thumbs = _Thumbnails(export)
        sections = [_product_html(source, product_lists, thumbs) for source, product_lists in chunk]
        heading = f"Generated {_e(generated)} · {len(products)} products · {len(lists)} lists"
        if pages > 1:
            heading += f" · page {page} of {pages}, products {start + 1:,}–{start + len(chunk):,}"
        atomic.write_text(page_path(out, page), _html_page(sections, thumbs, export, heading, _page_links(out, page, pages)))
    if pages > 1:
        export.notes.append(f"the sheet is {pages} pages of {PAGE_PRODUCTS} products: {out.name}, then {page_path(out, 2).name} to {page_path(out, pages).name}")
    return len(products), len(products)


# ---- the entry point -------------------------------------------------------------------------


def _score(score: float | None) -> float | None:
    return None if score is None or not math.isfinite(score) else round(float(score), 6)


def _cleaned(lists: Sequence[ExportList], export: _Export) -> list[ExportList]:
    """The lists without what must not reach a shop, each thing left out reported.

    Left out: any entry recommending its own product (the photo itself or another of the
    product's photos); the lists of products whose photo is
    missing from the catalog folder (kept in the workspace until forgotten), and entries
    pointing at such products, since Lookalike cannot tell whether they are still sold.
    """
    cleaned = []
    products: dict[int, str] = {}  # item id -> its product, worked out once however often it is named

    def product(item: Item) -> str:
        found = products.get(item.id)
        if found is None:
            found = products[item.id] = product_of(item)
        return found

    for lst in lists:
        if lst.item.missing is not None:
            export.skip(f"{lst.item.path}: its photo is missing ({lst.item.missing}); its {lst.kind} list left out")
            continue
        own = product(lst.item)
        kept = [e for e in lst.entries if product(e.item) != own]
        if len(kept) != len(lst.entries):
            export.skip(f"{lst.item.path}: recommended itself in its {lst.kind} list, that entry left out")
        gone = [e for e in kept if e.item.missing is not None]
        for entry in gone:
            export.skip(f"{lst.item.path}: {entry.item.path} in its {lst.kind} list has no photo any more ({entry.item.missing}), left out")
        kept = [e for e in kept if e.item.missing is None]
        if len(kept) != len(lst.entries):
            lst = replace(lst, entries=kept)
        cleaned.append(lst)
    return cleaned


_WRITERS: dict[str, _Writer] = {
    "csv": partial(_write_csv, PAIRS),
    "json": _write_json,
    "shopify": partial(_write_csv, _platform_csv(SHOPIFY)),
    "woocommerce": partial(_write_csv, _platform_csv(WOOCOMMERCE)),
    "magento": partial(_write_csv, _platform_csv(MAGENTO)),
}


def write_export(
    lists: Sequence[ExportList],
    out: Path,
    fmt: str,
    catalog: Path,
    thumbs: ThumbnailCache | None = None,
    workspace: Path | None = None,
) -> ExportSummary:
    """Write `lists` to `out` in format `fmt`, atomically; `thumbs` supplies the HTML sheet's pictures.

    A review sheet of more than PAGE_PRODUCTS products is written as pages beside `out` (see `page_path`).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    check_destination(out, catalog, workspace)
    export = _Export(fmt, Path(catalog), thumbs)
    if fmt == "html":
        rows, products = _write_html(_cleaned(lists, export), export, Path(out))
    else:
        cleaned = _cleaned(lists, export)
        with atomic.atomic_path(Path(out)) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            rows, products = _WRITERS[fmt](cleaned, export, fh)
    return ExportSummary(rows, products, export.skipped, export.notes)
