"""Indexing a catalog: scan, bring the database up to date, embed what is new, rebuild the index.

Only new or changed photos are decoded and encoded; unchanged ones keep their embeddings.
Each batch is committed as it finishes, so a cancelled or killed run keeps its work, and
the Annoy index is replaced only once everything is embedded.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from core import atomic
from core.colour import DIMENSIONS as COLOUR_DIMENSIONS, colour_descriptors
from core.config import IndexSettings, METADATA_NAME
from core.encoder import EncoderInfo, OnnxEncoder
from core.errors import CatalogError, ImageError, InputError, SearchIndexError
from core.images import load_square
from core.index import build_index
from core.jobs import CancelToken, Progress, ProgressFn, Rate, no_progress
from core.metadata import MetadataReport, import_metadata, read_product_csv
from core.scan import ScanResult, content_hash, scan_catalog
from core.store import CatalogStore
from core.workspace import Workspace


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run found and did."""

    images: int
    encoded: int
    unchanged: int
    removed: int
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of every unreadable file
    metadata: MetadataReport | None = None
    metadata_problem: str | None = None  # why the catalog's own products.csv was not read
    model: EncoderInfo | None = None
    seconds: float = 0.0
    encode_rate: float = 0.0  # images/s through decode + encode


def install_model(ws: Workspace, model: Path) -> None:
    """Make `model` (already checked against the encoder contract) the workspace's encoder."""
    if Path(model).resolve() != ws.encoder.resolve():
        atomic.write_bytes(ws.encoder, Path(model).read_bytes())


def _sync(store: CatalogStore, catalog: Path, scan: ScanResult, known_rows: list[tuple]) -> tuple[set[int], set[int]]:
    """Add and update the items table from the folder; returns (ids of unchanged items, ids of items whose files are gone).

    A file whose size and mtime are unchanged is trusted; otherwise its content hash decides.
    Items whose files are gone are not removed here: removing one drops its curated lists, so
    that waits until the run has something to index (see `index_catalog`).
    """
    known = {row[1]: row for row in known_rows}  # store.iter_paths() as it was before the scan
    seen: set[str] = set()
    new_rows: list[tuple[str, int, int, str | None]] = []
    updates: list[tuple[int, int, int, str | None, bool]] = []
    unchanged: set[int] = set()
    for info in scan.images + [f for f, _ in scan.rejected]:
        seen.add(info.path)
        row = known.get(info.path)
        if row is None:
            new_rows.append((info.path, info.size, info.mtime_ns, None))
            continue
        item_id, _, size, mtime_ns, digest, status = row
        if (size, mtime_ns) == (info.size, info.mtime_ns) and digest is not None:
            if status == "ok":
                unchanged.add(item_id)
            continue
        try:
            fresh: str | None = content_hash(catalog / info.path)
        except ImageError:
            fresh = None  # unreadable now: decoding will record why
        changed = fresh is None or fresh != digest
        updates.append((item_id, info.size, info.mtime_ns, fresh, changed))
        if not changed and status == "ok":
            unchanged.add(item_id)
    gone = {row[0] for path, row in known.items() if path not in seen}
    store.add_items(new_rows)
    store.update_files(updates)
    if scan.rejected:
        ids = {item.path: item.id for item in store.items()}
        store.mark_errors((ids[f.path], reason) for f, reason in scan.rejected)
    return unchanged, gone


def _remove_gone(store: CatalogStore, model_id: str, gone: set[int]) -> None:
    """Remove the items whose files are gone, unless nothing indexable would be left.

    A run that finds no readable photo at all (a folder emptied, a drive not mounted) fails
    before this, and the items, their embeddings and their curated lists stay for the next run.
    """
    embedded = store.query(
        "SELECT item_id FROM embeddings JOIN items ON items.id = item_id WHERE model_id = ? AND items.status = 'ok'", (model_id,)
    )
    if not {item_id for item_id, in embedded} - gone:
        failed = store.items(status="error")
        example = f"; {len(failed)} unreadable, e.g. {failed[0].path}: {failed[0].error}" if failed else ""
        raise SearchIndexError(f"nothing to index: no readable images were embedded{example}; the last index and its lists are kept")
    store.remove_items(gone)


def _can_defer(ws: Workspace, store: CatalogStore, model_id: str, fresh: list[int], settings: IndexSettings) -> bool:
    """True when the index on disk can stay, its changes searched exactly beside it.

    It can while it was built with this model and the items changed, added or gone since
    it was built stay under settings.rebuild_share of it; then it is built again.
    """
    if not ws.index.is_file() or store.get_meta("model_id") != model_id:
        return False
    built = store.index_count()
    changes = len(store.pending_ids() | set(fresh)) + store.lost_positions()
    return built > 0 and changes <= settings.rebuild_share * built


@dataclass(frozen=True)
class _Decoded:
    item_id: int
    pixels: np.ndarray | None
    digest: str | None
    error: str | None


def _decode(catalog: Path, item_id: int, relative: str, size: int) -> _Decoded:
    path = catalog / relative
    try:
        digest = content_hash(path)
        return _Decoded(item_id, load_square(path, size), digest, None)
    except ImageError as exc:
        return _Decoded(item_id, None, None, str(exc))
    except OSError as exc:
        return _Decoded(item_id, None, None, f"cannot read file: {exc.strerror or exc}")


def _decoded_batches(
    catalog: Path, todo: list[tuple[int, str]], size: int, settings: IndexSettings, pool: cf.Executor, ahead: int = 2
) -> Iterator[list[_Decoded]]:
    """Batches of decoded photos; the next `ahead` batches decode while the caller encodes this one."""
    batches = [todo[i : i + settings.batch_size] for i in range(0, len(todo), settings.batch_size)]
    queued: collections.deque[list[cf.Future]] = collections.deque()
    for batch in batches:
        queued.append([pool.submit(_decode, catalog, item_id, rel, size) for item_id, rel in batch])
        if len(queued) > ahead:
            yield [future.result() for future in queued.popleft()]
    while queued:
        yield [future.result() for future in queued.popleft()]


def index_catalog(
    ws: Workspace,
    model: Path | None = None,
    metadata: Path | None = None,
    settings: IndexSettings = IndexSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> IndexReport:
    """Bring the workspace's embeddings and index up to date with the catalog folder."""
    started = time.perf_counter()
    cancel = cancel or CancelToken()
    # A new model is checked now but becomes the workspace's only once the index built with it
    # is in place: a cancelled or failed run leaves the old model and its index in use.
    encoder = OnnxEncoder(model if model is not None else ws.encoder_in_use())
    model_id = encoder.info.model_id
    rows = read_product_csv(metadata) if metadata is not None else None
    metadata_problem = None
    if metadata is None and (ws.catalog / METADATA_NAME).is_file():
        try:  # a broken product list in the catalog is reported, and the photos are indexed anyway
            rows = read_product_csv(ws.catalog / METADATA_NAME)
        except InputError as exc:
            metadata_problem = str(exc)

    with ws.exclusive("indexing"), CatalogStore(ws.database) as store:
        known = list(store.iter_paths())
        trusted = {path: (size, mtime) for _, path, size, mtime, _, status in known if status == "ok"}
        scan = scan_catalog(ws.catalog, skip=[ws.root], progress=progress, cancel=cancel, trusted=trusted)
        if not scan.images and not scan.rejected:
            raise CatalogError(f"no images found in {ws.catalog}")
        unchanged, gone = _sync(store, ws.catalog, scan, known)
        paths = dict(store.query("SELECT id, path FROM items"))
        todo = [(item_id, paths[item_id]) for item_id in store.ids_needing_embedding(model_id) if item_id not in gone]
        unchanged -= {item_id for item_id, _ in todo}  # same file, embedded again (by another model): counted as encoded
        rate = Rate()
        done = 0
        fresh: list[int] = []  # items embedded in this run
        progress(Progress("encode", 0, len(todo)))
        with cf.ThreadPoolExecutor(max(1, settings.decode_threads)) as pool:
            for decoded in _decoded_batches(ws.catalog, todo, encoder.input_size, settings, pool):
                cancel.raise_if_cancelled()
                good = [d for d in decoded if d.pixels is not None]
                pixels = np.stack([d.pixels for d in good]) if good else np.zeros((0, encoder.input_size, encoder.input_size, 3), np.uint8)
                store.save_embeddings(
                    model_id,
                    [d.item_id for d in good],
                    encoder.embed(pixels),
                    errors=[(d.item_id, d.error or "unreadable") for d in decoded if d.pixels is None],
                    digests=[(d.item_id, d.digest) for d in good],
                    colours=colour_descriptors(pixels),
                )
                done += len(decoded)
                fresh += [d.item_id for d in good]
                progress(Progress("encode", done, len(todo), detail=f"{rate.per_second(done):.0f} images/s"))
        encode_rate = rate.per_second(done) if done else 0.0

        cancel.raise_if_cancelled()
        _remove_gone(store, model_id, gone)
        facts = {
            "model_id": model_id,
            "model_trained_on": encoder.info.trained_on,
            "indexed_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        if model is None and _can_defer(ws, store, model_id, fresh, settings):
            # A few changes: the Annoy index stays, the changed items are searched exactly beside it.
            if fresh:
                store.add_pending(fresh, facts)
        else:
            ids, vectors = store.embeddings(model_id)
            progress(Progress("index", 0, 1, detail=f"{len(ids)} items"))
            build_index(vectors, ws.index, trees=settings.annoy_trees, cancel=cancel)
            colours = store.colours(model_id, COLOUR_DIMENSIONS)
            if colours is not None:
                build_index(colours, ws.colour_index, trees=settings.colour_trees, cancel=cancel)
            else:
                ws.colour_index.unlink(missing_ok=True)
            if model is not None:
                install_model(ws, model)
            store.save_index_map(ids, {**facts, "index_items": str(len(ids))})
            progress(Progress("index", 1, 1))

        report_metadata = None
        if rows is not None:
            report_metadata = import_metadata(store, rows)
        failed = [(item.path, item.error or "unreadable") for item in store.items(status="error")]
    return IndexReport(
        images=len(scan.images),
        encoded=len(fresh),
        unchanged=len(unchanged),
        removed=len(gone),
        failed=failed,
        metadata=report_metadata,
        metadata_problem=metadata_problem,
        model=encoder.info,
        seconds=time.perf_counter() - started,
        encode_rate=encode_rate,
    )
