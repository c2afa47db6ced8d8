"""The open catalog, as the window sees it: its workspace, searcher and jobs.

The session runs core work (indexing, training, queries) through `Job`s and reports what
changed through signals; the window only shows what it is told.
"""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QObject, Signal
from PySide6.QtGui import QImage

from core import atomic
from core.config import IndexSettings, TrainSettings
from core.curation import Curation, Rules, export_lists
from core.encoder import EncoderInfo, OnnxEncoder
from core.errors import ImageError, InputError, LookalikeError
from core.files import check_destination
from core.formats import ExportSummary, write_export
from core.indexing import index_catalog
from core.queries import QUERIES_DIRNAME, save_query_image
from core.search import CatalogSearcher, Match
from core.store import CatalogStore, HistoryEntry, Item
from core.thumbnails import APP_THUMB_SIZE, ThumbnailCache
from core.workspace import Workspace
from gui.workers import Job


class Query:
    """What the user asked about: a catalog item or a photo."""

    def __init__(self, label: str, item_id: int | None = None, image: Path | None = None) -> None:
        self.label = label
        self.item_id = item_id
        self.image = image

    def __repr__(self) -> str:
        return f"Query({self.label!r})"


def qimage_to_pil(image: QImage) -> Image.Image:
    """A copy of a QImage as a Pillow image (via PNG, which keeps transparency)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "PNG"):
        raise ImageError("the clipboard picture could not be read")
    return Image.open(io.BytesIO(bytes(buffer.data().data())))


class CatalogSession(QObject):
    """One open catalog. Long work runs as at most one job at a time; queries run beside it."""

    opened = Signal(object)  # Workspace
    items_changed = Signal(object)  # list[Item]
    model_changed = Signal(object, str)  # EncoderInfo | None, when the index was built ("" if never)
    job_started = Signal(object)  # Job
    indexed = Signal(object)  # IndexReport
    trained = Signal(object)  # CatalogTrainResult
    generated = Signal(object)  # number of lists written
    exported = Signal(object)  # (Path, ExportSummary)
    results_ready = Signal(object, object)  # Query, list[tuple[Match, Item]]
    history_changed = Signal(object)  # list[HistoryEntry]
    error = Signal(str)  # one line for the user

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.searcher: CatalogSearcher | None = None
        self.store: CatalogStore | None = None  # the GUI thread's own connection, for list edits
        self.curation: Curation | None = None
        self.job: Job | None = None
        self.k = 12
        self.colour_weight = 0.0
        self.last_query: Query | None = None
        self._query_serial = 0
        self._query_jobs: set[Job] = set()
        self._seen_encode = False

    # catalog -----------------------------------------------------------------------------
    def open(self, folder: Path, workspace: Path | None = None, index: bool = True) -> bool:
        """Open a catalog folder, show what is known of it at once, then bring it up to date."""
        if self.job is not None and self.job.running:
            self.error.emit("finish or cancel the running job before opening another catalog")
            return False
        try:
            ws = Workspace.locate(folder, workspace)
        except LookalikeError as exc:
            self.error.emit(str(exc))
            return False
        self.ws = ws
        self.searcher = None
        if self.store is not None:
            self.store.close()
        self.store = CatalogStore(ws.database)
        self.curation = Curation(self.store)
        self.opened.emit(ws)
        self._reload()
        if index:
            self.reindex()
        return True

    def _reload(self) -> None:
        """Re-read items, the searcher and the history from the workspace."""
        ws, store = self.ws, self.store
        if ws is None or store is None:
            return
        built = store.get_meta("indexed_at") or ""
        self.history_changed.emit(store.history())
        self.items_changed.emit(store.items())
        try:
            self.searcher = CatalogSearcher(ws)
        except LookalikeError:
            self.searcher = None
        info: EncoderInfo | None
        try:
            info = self.searcher.encoder.info if self.searcher else OnnxEncoder(ws.encoder_in_use()).info
        except LookalikeError as exc:
            info = None
            self.error.emit(str(exc))
        self.model_changed.emit(info, built if self.searcher else "")

    # jobs --------------------------------------------------------------------------------
    def _start(self, job: Job) -> bool:
        if self.job is not None and self.job.running:
            self.error.emit(f"{self.job.name} is still running; cancel it first")
            return False
        self.job = job
        job.failed.connect(self.error)
        job.start()
        self.job_started.emit(job)
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def reindex(self, model: Path | None = None, settings: IndexSettings = IndexSettings()) -> bool:
        """Embed new and changed photos (with `model` from now on, if given) and rebuild the index."""
        ws = self.ws
        if ws is None:
            self.error.emit("open a catalog first")
            return False
        self._seen_encode = False
        job = Job("indexing", lambda progress, cancel: index_catalog(ws, model, None, settings, progress, cancel))
        job.progress.connect(self._on_index_progress)
        self._finish_with_reload(job, self.indexed)
        return self._start(job)

    def _finish_with_reload(self, job: Job, announce: Any) -> None:
        """When `job` ends, re-read the workspace first, then announce its result (if it succeeded)."""
        outcome: list[Any] = []
        job.finished.connect(outcome.append)

        def after() -> None:
            self._reload()
            if outcome:
                announce.emit(outcome[0])

        job.done.connect(after)

    def _on_index_progress(self, p: Any) -> None:
        # As soon as the scan is in the database, show the items (thumbnails need no embedding).
        if p.stage == "encode" and not self._seen_encode and self.store is not None:
            self._seen_encode = True
            self.items_changed.emit(self.store.items())

    def train(self, settings: TrainSettings) -> bool:
        """Train an encoder on this catalog; when done it is in use and the catalog re-indexed."""
        ws = self.ws
        if ws is None:
            self.error.emit("open a catalog first")
            return False
        from core.training_job import train_on_catalog  # PyTorch only when training

        job = Job("training", lambda progress, cancel: train_on_catalog(ws, settings=settings, progress=progress, cancel=cancel))
        self._finish_with_reload(job, self.trained)
        return self._start(job)

    def load_model(self, path: Path) -> bool:
        """Check an ONNX encoder and re-index the catalog with it; a model that does not fit is refused."""
        try:
            OnnxEncoder(path)
        except LookalikeError as exc:
            self.error.emit(str(exc))
            return False
        return self.reindex(model=path)

    def export_model(self, dest: Path) -> bool:
        if self.ws is None:
            self.error.emit("open a catalog first")
            return False
        try:
            atomic.write_bytes(dest, self.ws.encoder_in_use().read_bytes())
        except OSError as exc:
            self.error.emit(f"cannot read the model: {exc.strerror}")
            return False
        except LookalikeError as exc:
            self.error.emit(str(exc))
            return False
        return True

    # lists -------------------------------------------------------------------------------
    def generate(self, rules: Rules) -> bool:
        """Fill every product's list by `rules` in the background; manual edits are kept."""
        ws, searcher = self.ws, self.searcher
        if ws is None or searcher is None:
            self.error.emit("index the catalog before making lists")
            return False

        def work(progress: Any, cancel: Any) -> int:
            with CatalogStore(ws.database) as store:
                return Curation(store).generate(searcher, rules, progress=progress, cancel=cancel)

        job = Job("making lists", work)
        job.finished.connect(self.generated)
        return self._start(job)

    def export(self, out: Path, fmt: str, kinds: Sequence[str]) -> bool:
        """Write the curated lists of `kinds` to `out` in format `fmt`, in the background."""
        ws = self.ws
        if ws is None:
            self.error.emit("open a catalog first")
            return False
        try:
            check_destination(out, ws.catalog, ws.root)
        except LookalikeError as exc:
            self.error.emit(str(exc))
            return False

        def work(progress: Any, cancel: Any) -> tuple[Path, ExportSummary]:
            with CatalogStore(ws.database) as store:
                lists = export_lists(store, kinds)
            if not lists:
                raise InputError("there are no lists to export yet: make them first")
            thumbs = ThumbnailCache(ws.thumbs, APP_THUMB_SIZE)
            return out, write_export(lists, out, fmt, ws.catalog, thumbs, ws.root)

        job = Job("exporting", work)
        job.finished.connect(self.exported)
        return self._start(job)

    # queries -----------------------------------------------------------------------------
    def query_item(self, item_id: int) -> None:
        searcher = self.searcher
        if searcher is None:
            self.error.emit("the catalog is not indexed yet")
            return
        item = self.store.item(item_id) if self.store is not None else None  # the GUI thread's own connection
        label = (item.name or item.path) if item else str(item_id)
        if item_id not in searcher:
            why = f"could not be read: {item.error}" if item is not None and item.status == "error" else "is not indexed yet: re-index (F5)"
            self.error.emit(f"{item.path if item else label} {why}")
            return
        weight = self.colour_weight
        self._run_query(Query(label, item_id=item_id), lambda: searcher.similar_to_item(item_id, self.k, weight))
        self._remember("item", str(item_id), label)

    def query_image(self, image: Path | QImage, label: str | None = None) -> bool:
        """Find lookalikes of a photo from a file or the clipboard; it is kept for the history."""
        searcher, ws = self.searcher, self.ws
        if searcher is None or ws is None:
            self.error.emit("the catalog is not indexed yet")
            return False
        try:
            source = qimage_to_pil(image) if isinstance(image, QImage) else Path(image)
            kept = save_query_image(ws.root / QUERIES_DIRNAME, source)
        except LookalikeError as exc:
            name = Path(image).name if not isinstance(image, QImage) else "clipboard picture"
            self.error.emit(f"{name}: {exc}")
            return False
        label = label or (Path(image).name if not isinstance(image, QImage) else "pasted picture")
        weight = self.colour_weight
        self._run_query(Query(label, image=kept), lambda: searcher.similar_to_image(kept, self.k, weight))
        self._remember("image", str(kept), label)
        return True

    def rerun(self, entry: HistoryEntry) -> None:
        if entry.kind == "item":
            self.query_item(int(entry.ref))
        elif Path(entry.ref).exists():
            self.query_image(Path(entry.ref), entry.label)
        else:
            self.error.emit(f"the photo of that query is gone: {entry.label}")

    def _run_query(self, query: Query, search: Any) -> None:
        self.last_query = query
        self._query_serial += 1
        serial = self._query_serial
        searcher = self.searcher

        def work(progress: Any, cancel: Any) -> list[tuple[Match, Item]]:
            matches = search()
            items = searcher.store.items_by_id(m.item_id for m in matches) if searcher else {}
            return [(m, items[m.item_id]) for m in matches if m.item_id in items]

        job = Job("query", work)
        self._query_jobs.add(job)

        def deliver(rows: Any) -> None:
            if serial == self._query_serial:  # a newer query supersedes this one
                self.results_ready.emit(query, rows)

        job.finished.connect(deliver)
        job.failed.connect(self.error)
        job.done.connect(lambda: self._query_jobs.discard(job))
        job.start()

    def _remember(self, kind: str, ref: str, label: str) -> None:
        if self.store is None:
            return
        self.store.add_history(kind, ref, label)
        self.history_changed.emit(self.store.history())

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel the running job and wait for it, so nothing is left half-written."""
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.job.wait(timeout)
        for job in list(self._query_jobs):
            job.wait(timeout)
        if self.store is not None:
            self.store.close()
            self.store = None

    def set_k(self, k: int) -> None:
        self.k = max(1, int(k))

    def set_colour_weight(self, weight: float) -> None:
        """0 matches by shape, 1 by colour; the query on screen is run again with the new weight."""
        self.colour_weight = min(1.0, max(0.0, float(weight)))
        self.repeat_last_query()

    def repeat_last_query(self) -> None:
        query = self.last_query
        if query is None or self.searcher is None:
            return
        searcher, k, weight = self.searcher, self.k, self.colour_weight
        if query.item_id is not None:
            item_id = query.item_id
            self._run_query(query, lambda: searcher.similar_to_item(item_id, k, weight))
        elif query.image is not None:
            image = query.image
            self._run_query(query, lambda: searcher.similar_to_image(image, k, weight))

    def settings_for_training(self, epochs: int, latent_dim: int, input_size: int) -> TrainSettings:
        return replace(TrainSettings(), epochs=epochs, latent_dim=latent_dim, input_size=input_size)
