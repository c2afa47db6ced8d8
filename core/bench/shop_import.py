"""`bench import`: a shop export of about 1,000 photos imported from a photo server on 127.0.0.1.

The products are demo products, or with --photos and --labels real labelled photos (their type
is the category scored); each product's second and third photos are the first mirrored and closer.

Measured: the first import (every photo fetched), a rerun (every photo asked about, none sent
again), and, once indexed, how alike the lists are when a product is matched by its main photo
only or by all its photos (precision@10 by category, over products, each product one entry).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from core.bench.photo_server import PhotoServer
from core.bench.shop_catalogs import from_photos, make_products, write_photos, write_shopify_export
from core.common import CancelToken, LookalikeError, ProgressFn, no_progress
from core.storage import CatalogStore, Workspace, atomic


@dataclass(frozen=True)
class ImportBench:
    products: int
    photos: int
    workers: int
    first_seconds: float
    first_photos_per_second: float
    failed: int
    rerun_seconds: float
    rerun_fetched_again: int
    index_seconds: float
    precision_main: float  # precision@10 by category, products matched by their main photo
    precision_all: float  # ... by all their photos, each candidate at its best pair


def _products_for(photos: int, seed: int):
    products = make_products(max(1, photos), seed)
    taken, total = [], 0
    for p in products:
        if total >= photos:
            break
        taken.append(p)
        total += len(p.photos)
    return taken


def _precision(store: CatalogStore, k: int) -> float:
    from core.lists import Curation, Products

    items = {item.id: item for item in store.items()}
    products = Products(items.values())
    hits = total = 0
    for state in Curation(store).all_states("related"):
        source = items[state.item_id]
        shown = state.shown[:k]
        if any(products.product(e.target_id) == products.product(source.id) for e in shown):
            raise LookalikeError(f"{source.path}: its list holds its own product")
        hits += sum(items[e.target_id].category == source.category for e in shown)
        total += k
    return hits / total if total else 0.0


def run_import_bench(
    folder: Path, photos: int = 1000, workers: int = 8, seed: int = 0, real: tuple[Path, Path] | None = None,
    progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
) -> ImportBench:
    from core.lists import Curation, Rules
    from core.shop import LEDGER_NAME, DownloadSettings, import_shop
    from core.similarity import CatalogSearcher, index_catalog

    products = _products_for(photos, seed)
    cdn = folder / ("cdn-real" if real else "cdn")
    if real is not None:
        products = from_photos(real[0], real[1], len(products), seed)
    if not cdn.is_dir() or len(list(cdn.glob("*.jpg"))) != sum(len(p.photos) for p in products):
        write_photos(products, cdn, seed)
    catalog = folder / "catalog"
    if catalog.exists():
        import shutil

        shutil.rmtree(catalog)
    catalog.mkdir()
    with PhotoServer(cdn) as server:
        export = folder / "shopify.csv"
        write_shopify_export(products, server.url, export)
        ws = Workspace.locate(catalog)
        settings = DownloadSettings(workers=workers)
        started = time.perf_counter()
        first = import_shop(export, catalog, ws.file(LEDGER_NAME), settings=settings, progress=progress, cancel=cancel)
        first_seconds = time.perf_counter() - started
        bodies = sum(server.bodies.values())
        started = time.perf_counter()
        import_shop(export, catalog, ws.file(LEDGER_NAME), settings=settings, cancel=cancel)
        rerun_seconds = time.perf_counter() - started
        again = sum(server.bodies.values()) - bodies
    started = time.perf_counter()
    index_catalog(ws, progress=progress, cancel=cancel)
    index_seconds = time.perf_counter() - started
    scores = {}
    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        for mode in ("main", "all"):
            Curation(store).generate(searcher, Rules(k=10, photos=mode), cancel=cancel)
            scores[mode] = _precision(store, 10)
    n = first.photos
    return ImportBench(len(products), n, workers, round(first_seconds, 2), round(n / first_seconds, 1),
                       len(first.download.failed), round(rerun_seconds, 2), again, round(index_seconds, 2),
                       round(scores["main"], 4), round(scores["all"], 4))


def format_import(result: ImportBench) -> str:
    r = result
    return "\n".join([
        f"shop import: {r.products} products, {r.photos} photos from 127.0.0.1, {r.workers} at a time",
        f"  first import  {r.first_seconds:6.2f} s  ({r.first_photos_per_second:.0f} photos/s, {r.failed} failed)",
        f"  rerun         {r.rerun_seconds:6.2f} s  ({r.rerun_fetched_again} photos sent again)",
        f"  index         {r.index_seconds:6.2f} s",
        f"  precision@10 by category over products: main photo {r.precision_main:.3f}, all photos {r.precision_all:.3f}",
    ])


def write_import_json(result: ImportBench, out: Path) -> None:
    atomic.write_text(out, json.dumps(asdict(result), indent=1) + "\n")
