"""Indexing a catalog: scan, bring the database up to date, embed what is new, rebuild the index.

Only new or changed photos are decoded and encoded; unchanged ones keep their embeddings.
Each batch is committed as it finishes, so a cancelled or killed run keeps its work. The
index files and the model are written under new names and put to use by one database
commit (see core.storage.index_state), so a run stopped at any point leaves the previous index in
use. Photos that vanish are kept as missing with their lists, and found again by content
when they reappear anywhere in the catalog.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from core.catalog import (
    PROGRESS_EVERY,
    FileInfo,
    MetadataReport,
    ProductList,
    ScanResult,
    catalog_file,
    content_hash,
    decode_views,
    digest_bytes,
    file_digests,
    import_metadata,
    is_current,
    load_square,
    load_views,
    read_photo,
    read_product_csv,
    scan_catalog,
)
from core.common import (
    DEFAULT_ENCODER,
    METADATA_NAME,
    CancelToken,
    CatalogError,
    ImageError,
    IndexSettings,
    InputError,
    OutputError,
    Progress,
    ProgressFn,
    Rate,
    SearchIndexError,
    no_progress,
)
from core.similarity.colour import DIMENSIONS as COLOUR_DIMENSIONS
from core.similarity.colour import colour_descriptor
from core.similarity.encoder import EncoderInfo, OnnxEncoder, check_encoder
from core.similarity.index import build_index
from core.storage import (
    STATE_KEY,
    CatalogStore,
    DamagedIndexError,
    DatabaseDamaged,
    IndexState,
    Workspace,
    atomic,
    backup_database,
    backups,
    check_state,
    next_names,
    now_utc,
    read_state,
    remove_stale,
    seal,
    staged_encoder_name,
)

PROBE_PHOTOS = 8  # catalog photos a new encoder is tried on before anything is changed


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run found and did."""

    images: int
    encoded: int
    unchanged: int
    removed: int  # photos gone since the last run: kept as missing, with their lists (see `missing`)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of every unreadable file
    metadata: MetadataReport | None = None
    metadata_problem: str | None = None  # why the catalog's own products.csv was not read
    model: EncoderInfo | None = None
    seconds: float = 0.0
    encode_rate: float = 0.0  # images/s through decode + encode
    moved: int = 0  # missing photos found again (elsewhere, or back in place)
    missing: int = 0  # items missing after the run (see `python main.py missing`)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of what the scan did not follow
    repaired: str | None = None  # why the index files were rebuilt although nothing asked for it
    backup_problem: str | None = None  # why the database could not be backed up after the run
    checked: int = 0  # photos indexed before whose bytes were read again (their stamp changed, or every one verifying)
    changed: int = 0  # of those, photos whose bytes were not the ones indexed: embedded again


@dataclass
class _Sync:
    """How the items table changes for a scan (see CatalogStore.sync_files)."""

    new: list[tuple[str, int, int, int, int, str | None]] = field(default_factory=list)
    updates: list[tuple[int, int, int, int, int, str | None, bool]] = field(default_factory=list)
    moves: list[tuple[int, str, int, int, int, int, str | None]] = field(default_factory=list)
    present: list[int] = field(default_factory=list)
    unchanged: set[int] = field(default_factory=set)
    gone: dict[int, str] = field(default_factory=dict)  # id -> why its photo is not there
    newly_gone: int = 0  # of those, not missing already before this run
    checked: int = 0  # known files whose bytes were read and compared with their stored digest
    changed: int = 0  # of those, files whose bytes differ from the digest stored


def _plan_sync(
    catalog: Path,
    scan: ScanResult,
    known_rows: list[tuple],
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    verify: bool = False,
) -> _Sync:
    """What the scan means for the items table.

    A file whose stamp (size, mtime, ctime, inode) is unchanged is trusted; otherwise, and for
    every file with `verify`, its content digest decides. A new file with the content of a photo that is gone (or missing since an earlier run) is
    that photo moved: the item follows it, with its embedding and lists. Digests stored by an
    earlier version are compared like with like and written again the current way.
    """
    plan = _Sync()
    known = {row[1]: row for row in known_rows}  # store.iter_paths() as it was before the scan
    seen: set[str] = set()
    arrivals = []
    relabel = []  # (item id, file) trusted as unchanged whose digest is an earlier version's
    compare = []  # (item id, file, digest, status) of files to read: their stamp changed, or verifying
    for info in scan.images + [f for f, _ in scan.rejected]:
        seen.add(info.path)
        row = known.get(info.path)
        if row is None:
            arrivals.append(info)
            continue
        item_id, _, size, mtime_ns, ctime_ns, inode, digest, status, missing = row
        if missing is not None:
            plan.present.append(item_id)
        if not verify and (size, mtime_ns, ctime_ns, inode) == info.stamp and digest is not None:
            if status == "ok":
                plan.unchanged.add(item_id)
            if not is_current(digest):
                relabel.append((item_id, info))
            continue
        compare.append((item_id, info, digest, status))
    _compare(catalog, compare, plan, progress, cancel or CancelToken())
    _relabel(catalog, relabel, plan, progress, cancel or CancelToken())
    away = [row for path, row in known.items() if path not in seen]
    wanted = collections.defaultdict(list)  # (size, digest) -> ids of photos not found in place
    for item_id, _, size, _, _, _, digest, status, _ in sorted(away):
        if digest is not None:
            wanted[(size, digest)].append((item_id, status))
    sizes = {size for size, _ in wanted}
    earlier = {size: digest for size, digest in wanted if not is_current(digest)}  # an earlier version's digest, by size
    for info in arrivals:
        claimants, fresh = None, None
        if info.size in sizes:
            try:
                fresh, like = file_digests(catalog / info.path, earlier.get(info.size))
                claimants = wanted.get((info.size, fresh)) or wanted.get((info.size, like))
            except ImageError:
                claimants = None
        if claimants:
            item_id, status = claimants.pop(0)
            plan.moves.append((item_id, info.path, *info.stamp, fresh))
            if status == "ok":
                plan.unchanged.add(item_id)
        else:
            plan.new.append((info.path, *info.stamp, None))
    moved = {item_id for item_id, *_ in plan.moves}
    unreachable = scan.unreadable_folders
    for item_id, path, *_, missing in away:
        if item_id not in moved:
            folder = next((f for f, _ in unreachable if path.startswith(f + "/")), None)
            reason = dict(unreachable)[folder] if folder is not None else None
            plan.gone[item_id] = f"its folder {folder} could not be read ({reason})" if folder else "file not found"
            plan.newly_gone += missing is None
    return plan


def _compare(catalog: Path, files: list[tuple[int, FileInfo, str | None, str]], plan: _Sync, progress: ProgressFn, cancel: CancelToken) -> None:
    """Read known files and tell an edited photo (embedded again) from a touched one by its digest.

    A file that cannot be read now counts as changed: decoding will record why.
    """
    for done, (item_id, info, digest, status) in enumerate(files, 1):
        try:
            fresh, like = file_digests(catalog / info.path, digest)
        except ImageError:
            fresh = like = None
        changed = fresh is None or like != digest
        plan.updates.append((item_id, *info.stamp, fresh, changed))
        plan.checked += digest is not None
        plan.changed += digest is not None and fresh is not None and like != digest
        if not changed and status == "ok":
            plan.unchanged.add(item_id)
        if done % PROGRESS_EVERY == 0 or done == len(files):
            progress(Progress("digest", done, len(files), "photos' contents compared with what was indexed"))
            cancel.raise_if_cancelled()


def _relabel(catalog: Path, files: list[tuple[int, FileInfo]], plan: _Sync, progress: ProgressFn, cancel: CancelToken) -> None:
    """Digest again, the current way, files trusted unchanged whose digest an earlier version made.

    Once per catalog after an upgrade: one read of each photo. A file that cannot be read now
    keeps its digest (decoding will say why).
    """
    for done, (item_id, info) in enumerate(files, 1):
        try:
            plan.updates.append((item_id, *info.stamp, content_hash(catalog / info.path), False))
        except ImageError:
            pass
        if done % PROGRESS_EVERY == 0 or done == len(files):
            progress(Progress("digest", done, len(files), "photos' contents checked once after an upgrade"))
            cancel.raise_if_cancelled()


def _check_something_left(store: CatalogStore, model_id: str, gone: set[int]) -> None:
    """Fail the run, before anything is marked missing, when no searchable photo would be left.

    A run that finds no readable photo at all (a folder emptied, a drive not mounted) keeps
    the last index answering as it did.
    """
    if not {int(i) for i in store.embeddings(model_id)[0]} - gone:
        failed = store.items(status="error")
        example = f"; {len(failed)} unreadable, e.g. {failed[0].path}: {failed[0].error}" if failed else ""
        raise SearchIndexError(f"nothing to index: no readable images were embedded{example}; the last index and its lists are kept")


def _can_defer(state: IndexState | None, store: CatalogStore, model_id: str, fresh: list[int], settings: IndexSettings) -> bool:
    """True when the index on disk can stay, its changes searched exactly beside it.

    It can while it is sealed, sound, built with this model, and the items changed, added or
    gone since it was built stay under settings.rebuild_share of it; then it is built again.
    """
    if state is None or state.shape is None or state.model_id != model_id:
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
    frame: np.ndarray | None = None  # the frame print (core.catalog.frame_print)
    colour: np.ndarray | None = None  # the colour descriptor (core.similarity.colour), worked out beside decoding


def _decode(catalog: Path, item_id: int, relative: str, size: int) -> _Decoded:
    try:
        path = catalog_file(catalog, relative)
        data = read_photo(path)  # read once: hashed, then decoded
        if data is None:  # too large to hold whole: hashed and decoded from the file
            square, frame = load_views(path, size)
            return _Decoded(item_id, square, content_hash(path), None, frame, colour_descriptor(square))
        square, frame = decode_views(data, size)
        return _Decoded(item_id, square, digest_bytes(data), None, frame, colour_descriptor(square))
    except ImageError as exc:
        return _Decoded(item_id, None, None, str(exc))
    except OSError as exc:
        return _Decoded(item_id, None, None, f"cannot read file: {exc.strerror or exc}")


@dataclass(frozen=True)
class EmbeddedBatch:
    """A batch of photos embedded: what the store keeps of those that worked, and why the others did not."""

    ids: list[int]
    vectors: np.ndarray
    digests: list[tuple[int, str | None]]
    colours: np.ndarray | None
    errors: list[tuple[int, str]]
    photos: int  # photos in the batch, embedded or not
    frames: np.ndarray | None = None  # (N, FRAME_PRINT, FRAME_PRINT) uint8 frame prints of the embedded photos


# Turns the photos to embed, (item id, path in the catalog), into embedded batches, in any order:
# `embed_here` on this machine; core.cluster on a cluster's workers.
Embedder = Callable[[Path, list[tuple[int, str]], OnnxEncoder, IndexSettings, CancelToken], Iterator[EmbeddedBatch]]


def embed_decoded(decoded: list[_Decoded], encoder: OnnxEncoder, cancel: CancelToken | None = None) -> EmbeddedBatch:
    """Encode a batch of decoded photos; photos that did not decode, or gave no usable embedding, become errors."""
    good = [d for d in decoded if d.pixels is not None]
    pixels = np.stack([d.pixels for d in good]) if good else np.zeros((0, encoder.input_size, encoder.input_size, 3), np.uint8)
    vectors = encoder.embed(pixels, cancel=cancel)
    usable = _usable(vectors) if len(good) else np.zeros(0, bool)
    errors = [(d.item_id, d.error or "unreadable") for d in decoded if d.pixels is None]
    errors += [(d.item_id, "the encoder gave no usable embedding for this photo") for d, ok in zip(good, usable) if not ok]
    kept = [d for d, ok in zip(good, usable) if ok]
    return EmbeddedBatch(
        [d.item_id for d in kept],
        vectors[usable],
        [(d.item_id, d.digest) for d in kept],
        np.stack([d.colour for d in kept]) if kept else None,
        errors,
        len(decoded),
        np.stack([d.frame for d in kept]) if kept and all(d.frame is not None for d in kept) else None,
    )


def decode_batch(catalog: Path, rows: list[tuple[int, str]], size: int) -> list[_Decoded]:
    """Decode (and hash) photos one after another, as a cluster's one-thread worker does."""
    return [_decode(catalog, item_id, relative, size) for item_id, relative in rows]


def embed_here(
    catalog: Path, todo: list[tuple[int, str]], encoder: OnnxEncoder, settings: IndexSettings, cancel: CancelToken
) -> Iterator[EmbeddedBatch]:
    """Embed on this machine: photos decode in a thread pool two batches ahead while this thread encodes."""
    pool = cf.ThreadPoolExecutor(max(1, settings.decode_threads))
    try:
        for decoded in _decoded_batches(catalog, todo, encoder.input_size, settings, pool):
            cancel.raise_if_cancelled()
            yield embed_decoded(decoded, encoder, cancel)
    finally:  # stopped or done: photos queued to decode are dropped, not waited for
        pool.shutdown(cancel_futures=True)


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


def _probe_photos(catalog: Path, scan: ScanResult, size: int) -> np.ndarray:
    """A few of the catalog's own photos at the encoder's input size, to try a new encoder on."""
    photos = []
    for info in scan.images:
        if len(photos) == PROBE_PHOTOS:
            break
        try:
            photos.append(load_square(catalog_file(catalog, info.path), size))
        except (ImageError, OSError):
            continue
    return np.stack(photos) if photos else np.zeros((0, size, size, 3), np.uint8)


def _usable(vectors: np.ndarray) -> np.ndarray:
    """Rows of a batch's embeddings that can be searched (finite, not all zero)."""
    finite = np.isfinite(vectors).all(axis=1)
    return finite & (np.abs(np.where(finite[:, None], vectors, 0)).sum(axis=1) > 0)


def _backup(ws: Workspace, store: CatalogStore) -> str | None:
    """Back the database up after a run that changed it; a backup that fails is reported, not fatal."""
    try:
        backup_database(ws, store)
    except OutputError as exc:
        return str(exc)
    return None


def read_metadata(ws: Workspace, metadata: Path | None) -> tuple[ProductList | None, str | None]:
    """The product list to import (the one given, else the catalog's own), and why the catalog's own was not read."""
    if metadata is not None:
        return read_product_csv(metadata), None
    if not (ws.catalog / METADATA_NAME).is_file():
        return None, None
    try:  # a broken product list in the catalog is reported, and the photos are indexed anyway
        return read_product_csv(ws.catalog / METADATA_NAME), None
    except InputError as exc:
        return None, str(exc)


def index_catalog(
    ws: Workspace,
    model: Path | None = None,
    metadata: Path | None = None,
    settings: IndexSettings = IndexSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    embedder: Embedder | None = None,
    verify: bool = False,
) -> IndexReport:
    """Bring the workspace's embeddings and index up to date with the catalog folder.

    Photos are decoded and encoded by `embedder` (default: on this machine); what they give is
    stored, and the index built, here. With `verify`, every photo's bytes are read and compared
    with what was indexed, whatever its stamp says.
    """
    started = time.perf_counter()
    cancel = cancel or CancelToken()
    products, metadata_problem = read_metadata(ws, metadata)

    with ws.exclusive("indexing"), CatalogStore(ws.database) as store:
        problem = store.integrity_problem()
        if problem is not None:
            raise DatabaseDamaged(ws.database, problem)
        ws.claim(store)
        state = read_state(store) if store.get_meta(STATE_KEY) or store.get_meta("model_id") else None
        repaired = None
        if state is not None:
            try:
                check_state(ws.root, state)
            except DamagedIndexError as exc:
                repaired = str(exc).split(";")[0]  # its files are built again, from the stored embeddings
        # A new model becomes the workspace's only with the index built with it: a cancelled or
        # failed run leaves the old model and its index in use.
        in_use = ws.root / state.encoder if state is not None and state.encoder else DEFAULT_ENCODER
        encoder = OnnxEncoder(model if model is not None else in_use, settings.encode_threads)
        model_id = encoder.info.model_id

        known = list(store.iter_paths())
        trusted = {} if verify else {
            row[1]: row[2:6] for row in known if row[7] == "ok" and row[8] is None and None not in row[4:6]
        }
        scan = scan_catalog(ws.catalog, skip=[ws.root], progress=progress, cancel=cancel, trusted=trusted)
        if not scan.images and not scan.rejected:
            raise CatalogError(f"no images found in {ws.catalog}")
        if model is not None:
            check_encoder(encoder, _probe_photos(ws.catalog, scan, encoder.input_size), cancel)
        plan = _plan_sync(ws.catalog, scan, known, progress, cancel, verify)
        store.sync_files(plan.new, plan.updates, plan.moves, plan.present, (), [(f.path, r) for f, r in scan.rejected])
        paths = dict(store.query("SELECT id, path FROM items"))
        todo = [(item_id, paths[item_id]) for item_id in store.ids_needing_embedding(model_id) if item_id not in plan.gone]
        unchanged = plan.unchanged - {item_id for item_id, _ in todo}  # same file, embedded again (by another model): counted as encoded
        rate = Rate()
        done = 0
        fresh: list[int] = []  # items embedded in this run
        progress(Progress("encode", 0, len(todo)))
        batches = (embedder or embed_here)(ws.catalog, todo, encoder, settings, cancel)
        for batch in batches:
            cancel.raise_if_cancelled()
            store.save_embeddings(
                model_id, batch.ids, batch.vectors, errors=batch.errors, digests=batch.digests, colours=batch.colours, frames=batch.frames
            )
            done += batch.photos
            fresh += batch.ids
            progress(Progress("encode", done, len(todo), detail=f"{rate.per_second(done):.0f} images/s"))
        encode_rate = rate.per_second(done) if done else 0.0

        cancel.raise_if_cancelled()
        _check_something_left(store, model_id, set(plan.gone))
        if plan.gone:
            store.sync_files((), (), (), (), plan.gone.items(), ())
        facts = {"model_id": model_id, "model_trained_on": encoder.info.trained_on, "indexed_at": now_utc()}
        if model is None and repaired is None and _can_defer(state, store, model_id, fresh, settings):
            # A few changes: the Annoy index stays, the changed items are searched exactly beside it.
            if fresh:
                store.add_pending(fresh, facts)
        else:
            state = _build(ws, store, state, encoder, model, settings, progress, cancel, facts)
            remove_stale(ws.root, state)

        report_metadata = import_metadata(store, products) if products is not None else None
        failed = [(item.path, item.error or "unreadable") for item in store.items(status="error")]
        missing = len(store.missing_items())
        changed = fresh or plan.new or plan.moves or plan.gone or plan.updates or plan.present or report_metadata or repaired
        backup_problem = _backup(ws, store) if changed or not backups(ws) else None
    return IndexReport(
        images=len(scan.images),
        encoded=len(fresh),
        unchanged=len(unchanged),
        removed=plan.newly_gone,
        failed=failed,
        metadata=report_metadata,
        metadata_problem=metadata_problem,
        model=encoder.info,
        seconds=time.perf_counter() - started,
        encode_rate=encode_rate,
        moved=len(plan.moves) + len(plan.present),
        missing=missing,
        skipped=scan.skipped,
        repaired=repaired,
        backup_problem=backup_problem,
        checked=plan.checked,
        changed=plan.changed,
    )


def _build(
    ws: Workspace,
    store: CatalogStore,
    state: IndexState | None,
    encoder: OnnxEncoder,
    model: Path | None,
    settings: IndexSettings,
    progress: ProgressFn,
    cancel: CancelToken,
    facts: dict[str, str],
) -> IndexState:
    """Build the index files under new names and make them, with the model, the workspace's state in one commit."""
    model_id = encoder.info.model_id
    ids, vectors = store.embeddings(model_id)
    progress(Progress("index", 0, 1, detail=f"{len(ids)} items"))
    generation, shape_name, colour_name = next_names(state)
    shape_path = ws.file(shape_name)
    build_index(vectors, shape_path, trees=settings.annoy_trees, cancel=cancel)
    colours = store.colours(model_id, COLOUR_DIMENSIONS)
    colour_seal = None
    if colours is not None:
        colour_path = ws.file(colour_name)
        build_index(colours, colour_path, trees=settings.colour_trees, cancel=cancel)
        colour_seal = seal(colour_path)
    if model is None:
        encoder_name = state.encoder if state is not None else None
    elif OnnxEncoder(DEFAULT_ENCODER).info.model_id == model_id:
        encoder_name = None
    else:
        encoder_name = staged_encoder_name(model_id)
        target = ws.file(encoder_name)
        if not target.is_file() or target.read_bytes() != Path(model).read_bytes():
            atomic.write_bytes(target, Path(model).read_bytes())
    cancel.raise_if_cancelled()
    if state is None:
        new_state = IndexState(model_id, encoder_name, seal(shape_path), colour_seal, generation)
    else:
        new_state = state.followed_by(model_id, encoder_name, seal(shape_path), colour_seal, generation)
    store.save_index_map(ids, {**facts, "index_items": str(len(ids)), STATE_KEY: new_state.to_json()}, model_id)
    progress(Progress("index", 1, 1))
    return new_state


def rebuild_index(
    ws: Workspace,
    settings: IndexSettings = IndexSettings(),
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    locked: bool = False,
) -> IndexState:
    """Build the index files again from the stored embeddings (damaged files), without reading the catalog's photos.

    `locked`: the caller already holds the workspace (Workspace.exclusive).
    """
    cancel = cancel or CancelToken()
    with contextlib.nullcontext() if locked else ws.exclusive("rebuilding the index of"), CatalogStore(ws.database) as store:
        state = read_state(store)
        if state is None:
            raise SearchIndexError(f"catalog has not been indexed yet: {ws.catalog} (run: index {ws.catalog})")
        encoder = OnnxEncoder(ws.root / state.encoder if state.encoder else DEFAULT_ENCODER)
        if encoder.info.model_id != state.model_id:
            raise SearchIndexError("the index was built with a different model; index the catalog again")
        if not len(store.embeddings(state.model_id)[0]):
            raise SearchIndexError("nothing to index: no readable images were embedded; index the catalog again")
        facts = {"model_id": state.model_id, "model_trained_on": encoder.info.trained_on, "indexed_at": now_utc()}
        new_state = _build(ws, store, state, encoder, None, settings, progress, cancel, facts)
        remove_stale(ws.root, new_state)
        return new_state
