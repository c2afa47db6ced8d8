"""The open catalog, as the window sees it: its workspace, searcher and jobs.

The session runs core work (indexing, training, queries) through `Job`s and reports what
changed through signals; the window only shows what it is told.
"""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Sequence
from urllib.parse import unquote, urlsplit

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QObject, QTimer, Signal
from PySide6.QtGui import QImage

from core.catalog import APP_THUMB_SIZE, QUERIES_DIRNAME, ThumbnailCache, save_query_image
from core.common import ImageError, IndexSettings, InputError, LookalikeError, SearchIndexError, TrainSettings, check_destination
from core.duplicates import DuplicateGroup, DuplicateMemory, find_duplicates
from core.lists import LIST_KINDS, Curation, ExportSummary, Products, Rules, export_lists, lookalike_products, write_export
from core.shop import ImportReport, ShopExport, fetch_photo, import_into
from core.similarity import (
    CatalogSearcher,
    EncoderInfo,
    IndexReport,
    Match,
    OnnxEncoder,
    check_encoder,
    index_catalog,
    rebuild_index,
)
from core.storage import (
    CatalogStore,
    DamagedIndexError,
    DatabaseDamaged,
    HistoryEntry,
    Item,
    Workspace,
    atomic,
    backup_database,
    recover,
    recover_if_damaged,
)
from gui.catalog_items import CatalogItems, catalog_items
from gui.time_left import TimeLeft
from gui.workers import Job

# A training's last part, after its steps: fitting the whitening, exporting the encoder and checking it
# against the one in use (which embeds the catalog's photos, up to 3,000, with both).
AFTER_TRAINING_S = 15.0
CHECK_S_PER_PHOTO = 0.01
CHECKED_PHOTOS = 3000


def _shape(settings: TrainSettings) -> tuple[bool, int, int]:
    """What a training step's time depends on: the encoder it starts from, or the shape of a fresh one."""
    return (settings.start_from_in_use, settings.input_size, settings.latent_dim)


class Query:
    """What the user asked about: a catalog item or a photo."""

    def __init__(self, label: str, item_id: int | None = None, image: Path | None = None) -> None:
        self.label = label
        self.item_id = item_id
        self.image = image

    def __repr__(self) -> str:
        return f"Query({self.label!r})"


class Problem:
    """Something wrong with the open catalog, in one line, and what the user can do about it.

    `actions` names what the window may offer: "open-another", "rebuild-index", "make-lists",
    "forget-missing". `about` names the job (as `Job.name`) whose later success puts it right.
    """

    def __init__(self, message: str, actions: Sequence[str] = (), tone: str = "error", about: str = "") -> None:
        self.message = message
        self.actions = tuple(actions)
        self.tone = tone  # "error", or "notice" for what is not wrong with anything the user did
        self.about = about

    def __repr__(self) -> str:
        return f"Problem({self.message!r}, {self.actions})"


class _Damaged:
    """A job's answer when it found the workspace database damaged (recovery runs on the GUI thread)."""

    def __init__(self, message: str) -> None:
        self.message = message


def qimage_to_pil(image: QImage) -> Image.Image:
    """A copy of a QImage as a Pillow image (via PNG, which keeps transparency)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "PNG"):
        raise ImageError("the clipboard picture could not be read")
    return Image.open(io.BytesIO(bytes(buffer.data().data())))


def address_label(url: str) -> str:
    """How a query by web address is named in the window: the photo's file name, else the host."""
    parts = urlsplit(url)
    return unquote(PurePosixPath(parts.path).name) or parts.netloc or url


def _open_searcher(ws: Workspace) -> CatalogSearcher | LookalikeError:
    """The catalog's searcher, or why it cannot be opened (any thread)."""
    try:
        return CatalogSearcher(ws)
    except LookalikeError as exc:
        return exc


class CatalogSession(QObject):
    """One open catalog. Long work runs as at most one job at a time; queries run beside it."""

    # Above this many items the grid gets a first page at once and the rest when it is loaded,
    # off the GUI thread: a million items take seconds of Python to read and count.
    LOAD_IN_BACKGROUND_ABOVE = 50_000
    FIRST_PAGE = 2_000

    opened = Signal(object)  # Workspace
    items_changed = Signal(object)  # CatalogItems: a first page of a large catalog, then all of them
    model_changed = Signal(object, str)  # EncoderInfo | None, when the index was built ("" if never)
    job_started = Signal(object)  # Job
    fetch_started = Signal(object)  # Job: a query photo being fetched from a web address (cancel() stops it first)
    indexed = Signal(object)  # IndexReport
    trained = Signal(object)  # CatalogTrainResult, kept as `training` until another catalog is opened
    set_aside_changed = Signal()  # the encoder a training set aside became available, or was put to use
    step_measured = Signal(object, object)  # TrainSettings, seconds a training step takes here (float) or why not (str)
    generated = Signal(object)  # number of lists written
    exported = Signal(object)  # (Path, ExportSummary)
    results_ready = Signal(object, object)  # Query, list[tuple[Match, Item]]
    history_changed = Signal(object)  # list[HistoryEntry]
    error = Signal(str)  # one line for the user
    problem = Signal(object)  # Problem: what is wrong with the catalog, and what can be done
    notice = Signal(str)  # something the user should know that went right in the end (a recovery)
    forgotten = Signal(object)  # (items, lists) removed with the missing photos
    imported = Signal(object, object)  # Workspace, ImportReport: a shop export made into a catalog
    duplicates_found = Signal(object)  # list[DuplicateGroup]: a new finding, stored
    changed_elsewhere = Signal()  # another window, a command-line run or a job of this one committed to the database

    WATCH_MS = 1000  # how often the database is asked whether someone else changed it (a cheap PRAGMA)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.searcher: CatalogSearcher | None = None
        self.store: CatalogStore | None = None  # the GUI thread's own connection, for list edits
        self.curation: Curation | None = None
        self.job: Job | None = None
        self.time_left = TimeLeft()  # of the running job: the one estimate the window and its dialogs show
        self.training: Any = None  # the last finished training of this catalog (a core.training.CatalogTrainResult)
        self.training_curve: list[Any] = []  # the running (or last) training's reports with a loss, in order
        self.set_aside_used = False  # the encoder `training` set aside has since been put to use
        self._step_seconds: dict[tuple[bool, int, int], float] = {}  # measured, by how the encoder is trained
        self._measuring: Job | None = None
        self._measured_settings = TrainSettings()  # what the last timing was asked for
        self.train_defaults = TrainSettings()  # what the training dialog does not ask about
        self.k = 12
        self.colour_weight = 0.0
        self.last_query: Query | None = None
        self._query_serial = 0
        self._query_jobs: set[Job] = set()
        self.fetching: Job | None = None  # the last query photo asked for by its web address
        self._load_jobs: set[Job] = set()
        self._items_serial = 0  # readings of the items, counted
        self._products: Products | None = None  # of the items last shown: a product's lookalikes never list its own photos
        self._items_shown = 0  # the newest whole reading shown: one older than it, loaded late, is dropped
        self._page_shown = False  # something of the open catalog is shown: a re-read need not show a first page
        self._opened_at = 0  # the count of readings when the open catalog was opened
        self._searcher_serial = 0  # the newest opening of the index; an older one still opening is dropped
        self._searcher_loading = False  # a large catalog's index is being opened off the GUI thread
        self._waiting_query: Any = None  # what to ask once it is open
        self._index_when_loaded = False  # the re-index that opening starts waits for a large catalog to be read
        self._seen_encode = False
        self._edits = 0  # list edits since the last backup
        self._recovering = False
        self._data_version = 0
        self._watch = QTimer(self, interval=self.WATCH_MS)
        self._watch.timeout.connect(self._look_for_changes)

    # catalog -----------------------------------------------------------------------------
    def open(self, folder: Path, workspace: Path | None = None, index: bool = True) -> bool:
        """Open a catalog folder, show what is known of it at once, then bring it up to date.

        A catalog that cannot be opened (its database from a newer Lookalike, unreadable, ...)
        leaves the window as it was and says why; a damaged database is restored from its
        latest backup first, and that is said too.
        """
        if self.job is not None and self.job.running:
            self.error.emit("finish or cancel the running job before opening another catalog")
            return False
        try:
            ws = Workspace.locate(folder, workspace)
            note = recover_if_damaged(ws)
            store = CatalogStore(ws.database)
            curation = Curation(store)
        except LookalikeError as exc:
            self.problem.emit(Problem(f"cannot open {Path(folder).name or folder}: {exc}", ("open-another",)))
            return False
        self.close_catalog()
        self.ws, self.store, self.curation = ws, store, curation
        self._data_version = store.data_version()  # what this window has read; later commits elsewhere are looked for
        self._watch.start()
        self._page_shown, self._items_shown = False, self._items_serial
        self._opened_at = self._items_serial  # readings after this one are of this catalog
        self.opened.emit(ws)
        self._reload()
        if note is not None:
            self.notice.emit(note)
        self._report_unfinished()
        if index and not self._shown_whole():  # a large catalog: bring it up to date once it is read, not while
            self._index_when_loaded = True
        elif index:
            self.reindex()
        return True

    def close_catalog(self) -> None:
        """Let go of the open catalog, backing its database up first if lists were edited."""
        self.backup_if_edited()
        self._watch.stop()
        self.searcher = None
        self._searcher_loading, self._waiting_query, self._index_when_loaded = False, None, False
        self._products = None
        self.training, self.training_curve, self.set_aside_used = None, [], False
        self._step_seconds.clear()  # timed for this catalog's batches
        if self.store is not None:
            self.store.close()
        self.store = self.curation = self.ws = None

    def _look_for_changes(self) -> None:
        """Say when someone else committed to the open catalog's database since the last look."""
        if self.store is None:
            return
        try:
            version = self.store.data_version()
        except LookalikeError:
            return  # a database that cannot be read now is reported by whatever reads it next
        if version != self._data_version:
            self.changed_elsewhere.emit()
        self._data_version = version

    def forget_missing(self) -> bool:
        """Remove the items whose photos are missing, with their lists (the window asks the user first)."""
        if self.store is None:
            return False
        if self.job is not None and self.job.running:
            self.error.emit(f"{self.job.name} is still running; cancel it first")
            return False
        try:
            items, lists = self.store.forget_missing()
        except LookalikeError as exc:
            self.error.emit(str(exc))
            return False
        self._edits += 1
        self._reload()
        self.forgotten.emit((items, lists))
        return True

    def note_edit(self) -> None:
        """A list edit (or its undo) was saved: the next close backs the database up."""
        self._edits += 1

    def backup_if_edited(self) -> None:
        if self._edits and self.ws is not None and self.store is not None:
            try:
                backup_database(self.ws, self.store)
                self._edits = 0
            except LookalikeError as exc:
                self.error.emit(f"no backup was made: {exc}")

    def _report_unfinished(self) -> None:
        if self.curation is None:
            return
        for kind in LIST_KINDS:
            stopped = self.curation.unfinished_run(kind)
            if stopped is not None:
                done, total = stopped
                self.problem.emit(Problem(
                    f"Making {kind} lists was stopped after {done:,} of {total:,} products; the others keep their "
                    "earlier suggestions. Make the lists again to finish.", ("make-lists",), tone="notice", about="making lists"))
                return

    def _reload(self) -> None:
        """Re-read items, the searcher and the history from the workspace."""
        ws, store = self.ws, self.store
        if ws is None or store is None:
            return
        try:
            built = store.get_meta("indexed_at") or ""
            history, items = store.history(), self._read_items(store)
        except DatabaseDamaged as exc:  # damage that opening did not meet: restored from the latest backup
            if not self._recovering:
                self._recover(exc.reason)
            return
        self.history_changed.emit(history)
        self._searcher_serial += 1
        if items.complete:
            self._show_items(items)
            self._use_searcher(ws, built, _open_searcher(ws))
            return
        # A large catalog: its searcher (seconds of reading at a million items) and then its items are
        # read off the GUI thread, the grid showing a first page; a query asked meanwhile waits for it.
        serial = self._searcher_serial
        self._searcher_loading = True

        def opened(result: CatalogSearcher | LookalikeError) -> None:
            if serial == self._searcher_serial:  # not opened again since
                self._use_searcher(ws, built, result)

        def failed(message: str) -> None:  # a bug, not a state of the workspace: said, and nothing to search
            self.error.emit(message)
            opened(SearchIndexError(message))

        job = Job("opening the index", lambda progress, cancel: _open_searcher(ws))
        self._load_jobs.add(job)
        job.finished.connect(opened)
        job.failed.connect(failed)
        job.done.connect(lambda: self._load_jobs.discard(job))
        job.start()
        self._show_items(items, after=job)

    def _use_searcher(self, ws: Workspace, built: str, opened: CatalogSearcher | LookalikeError) -> None:
        """Search with what opening the index gave (or say why there is nothing to search), and say which model is in use."""
        if self.ws is not ws:
            return
        self._searcher_loading = False
        self.searcher = opened if isinstance(opened, CatalogSearcher) else None
        if isinstance(opened, DamagedIndexError) and (self.job is None or not self.job.running):  # an index run rebuilds it anyway
            self.problem.emit(Problem(str(opened).split(";")[0], ("rebuild-index",), about="rebuilding the index"))
        info: EncoderInfo | None
        try:
            info = self.searcher.encoder.info if self.searcher else OnnxEncoder(ws.encoder_in_use()).info
        except LookalikeError as exc:
            info = None
            self.error.emit(str(exc))
        self.model_changed.emit(info, built if self.searcher else "")
        waiting, self._waiting_query = self._waiting_query, None
        if waiting is not None:
            waiting()

    # jobs --------------------------------------------------------------------------------
    def _start(self, job: Job, time_left: TimeLeft | None = None) -> bool:
        if self.job is not None and self.job.running:
            self.error.emit(f"{self.job.name} is still running; cancel it first")
            return False
        self.job = job
        self.time_left = time_left or TimeLeft()
        job.progress.connect(self.time_left.update)  # connected first: every view of the job reads it up to date
        job.failed.connect(self.error)
        self.job_started.emit(job)  # before it starts: the outcome of a job that ends at once still reaches every listener
        job.start()
        return True

    def import_shop(self, export: ShopExport, folder: Path, media_url: str | None = None, media_dir: Path | None = None) -> bool:
        """Fetch a shop export's photos into `folder` and write its products.csv; `imported` when done."""

        def work(progress: Any, cancel: Any) -> tuple[Workspace, ImportReport]:
            return import_into(export, folder, media_url=media_url, media_dir=media_dir, progress=progress, cancel=cancel)

        job = Job("import", work)
        job.finished.connect(lambda result: self.imported.emit(*result))
        return self._start(job)

    def cancel(self) -> None:
        """Esc, Cancel: a photo being fetched first (the newest thing asked for), else the running job."""
        if self.fetching is not None and self.fetching.running:
            self.fetching.cancel()
        elif self.job is not None:
            self.job.cancel()

    def reindex(self, model: Path | None = None, settings: IndexSettings = IndexSettings()) -> bool:
        """Embed new and changed photos (with `model` from now on, if given) and rebuild the index."""
        ws = self.ws
        if ws is None:
            self.error.emit("open a catalog first")
            return False
        self._seen_encode = False

        def work(progress: Any, cancel: Any) -> IndexReport | _Damaged:
            try:
                return index_catalog(ws, model, None, settings, progress, cancel)
            except DatabaseDamaged as exc:
                return _Damaged(exc.reason)

        job = Job("indexing", work)
        job.progress.connect(self._on_index_progress)
        self._finish_with_reload(job, self.indexed, retry=lambda: self.reindex(model, settings))
        return self._start(job)

    def rebuild_index(self) -> bool:
        """Build damaged index files again from the stored embeddings, in the background."""
        ws = self.ws
        if ws is None:
            self.error.emit("open a catalog first")
            return False
        job = Job("rebuilding the index", lambda progress, cancel: rebuild_index(ws, progress=progress, cancel=cancel))
        self._finish_with_reload(job, None)
        return self._start(job)

    def _finish_with_reload(self, job: Job, announce: Any, retry: Any = None) -> None:
        """When `job` ends, re-read the workspace first, then announce its result (if it succeeded).

        A job that found the database damaged gets it restored from the latest backup here, on
        the GUI thread (whose own connection must let go of the file first), and runs again.
        """
        outcome: list[Any] = []
        job.finished.connect(outcome.append)

        def after() -> None:
            if outcome and isinstance(outcome[0], _Damaged) and self.ws is not None:
                self._recover(outcome[0].message)
                if retry is not None:
                    retry()
                return
            self._reload()
            if outcome and announce is not None:
                announce.emit(outcome[0])

        job.done.connect(after)

    def _recover(self, problem: str) -> None:
        ws = self.ws
        assert ws is not None
        self._recovering = True
        try:
            self._restore(ws, problem)
        finally:
            self._recovering = False

    def _restore(self, ws: Workspace, problem: str) -> None:
        self.searcher = None
        if self.store is not None:
            self.store.close()
        try:
            note = recover(ws, problem)
            self.store = CatalogStore(ws.database)
            self._data_version = self.store.data_version()
            self.curation = Curation(self.store)
        except LookalikeError as exc:
            self.store = self.curation = None
            self.problem.emit(Problem(f"the workspace of {ws.catalog.name} is damaged and could not be restored: {exc}", ("open-another",)))
            return
        self.opened.emit(ws)
        self._reload()
        self.notice.emit(note)

    def _read_items(self, store: CatalogStore) -> CatalogItems:
        """Every item, or of a large catalog the first page (the rest is loaded by _show_items)."""
        total = store.count()
        if total <= self.LOAD_IN_BACKGROUND_ABOVE:
            return catalog_items(store.items())
        return catalog_items(store.items(limit=self.FIRST_PAGE), total)

    def _show_items(self, items: CatalogItems, after: Job | None = None) -> None:
        """Give the window these items; a first page is followed by all of them once read off the GUI thread.

        The whole reading starts once `after` (the index being opened) is done. Only the first
        reading of a catalog shows its first page: later ones leave the window with what it shows
        (and the user's place in it) until they are loaded. A reading loads whole even when
        another is asked for meanwhile, and shows unless a newer one already did.
        """
        self._items_serial += 1
        if items.complete:
            self._items_shown = self._items_serial
        if items.complete or not self._page_shown:
            self._page_shown = True
            self._products = items.products
            self.items_changed.emit(items)
        ws = self.ws
        if items.complete or ws is None:
            return
        serial = self._items_serial

        def work(progress: Any, cancel: Any) -> CatalogItems:
            with CatalogStore(ws.database) as reader:  # its own connection: the GUI thread's stays free
                return catalog_items(reader.items(), with_search=True)

        def deliver(loaded: CatalogItems) -> None:
            if serial > self._items_shown and self.ws is ws:
                self._items_shown = serial
                self._products = loaded.products
                self.items_changed.emit(loaded)

        def then_index() -> None:
            if self._index_when_loaded and self.ws is ws:
                self._index_when_loaded = False
                self.reindex()

        job = Job("loading the catalog", work)
        self._load_jobs.add(job)
        job.finished.connect(deliver)
        job.failed.connect(self.error)
        job.done.connect(lambda: self._load_jobs.discard(job))
        job.done.connect(then_index)
        if after is not None and after.running:  # one reading at a time: two side by side wait on each other
            after.done.connect(job.start)
        else:
            job.start()

    def busy(self) -> bool:
        """Whether a job (indexing, training, ...) runs, or the catalog is still being read."""
        return bool(self._load_jobs) or self._index_when_loaded or (self.job is not None and self.job.running)

    def _shown_whole(self) -> bool:
        """Whether the window has been given every item of the open catalog (a large one loads after its first page)."""
        return self._items_shown > self._opened_at

    def _on_index_progress(self, p: Any) -> None:
        # As soon as the scan is in the database, show the items (thumbnails need no embedding).
        if p.stage == "encode" and not self._seen_encode and self.store is not None:
            self._seen_encode = True
            self._show_items(self._read_items(self.store))

    def train(self, settings: TrainSettings, keep: str = "better") -> bool:
        """Train an encoder on this catalog; when done the better one (or, with keep="new", the new one) is in use."""
        ws = self.ws
        if ws is None:
            self.error.emit("open a catalog first")
            return False
        from core.training import train_on_catalog  # PyTorch only when training

        job = Job("training", lambda progress, cancel: train_on_catalog(ws, settings=settings, keep=keep, progress=progress, cancel=cancel))
        step = self._step_seconds.get(_shape(settings))
        time_left = None
        if step is not None:  # measured while the dialog was open: an estimate before the first step
            time_left = TimeLeft({"train": step}, self._after_training(settings.steps or settings.fine_tune_steps, step))
        job.progress.connect(self._on_training_progress)
        job.finished.connect(self._on_trained)
        self._finish_with_reload(job, self.trained)
        if self._measuring is not None:  # its steps would only slow the training down
            self._measuring.cancel()
        started = self._start(job, time_left)
        if started:
            self.training_curve = []
        return started

    def _after_training(self, steps: int, step: float) -> dict[str, float]:
        """Seconds expected after each stage of a training, from the measured step: the rest of the training and the check."""
        photos = self.store.count() if self.store is not None else 0
        check = AFTER_TRAINING_S + min(photos, CHECKED_PHOTOS) * CHECK_S_PER_PHOTO
        return {"load": steps * step + check, "train": check}

    def _on_training_progress(self, p: Any) -> None:
        if p.stage == "train" and p.loss is not None:
            self.training_curve.append(p)

    def _on_trained(self, result: Any) -> None:
        """Keep what the training did until another catalog is opened: the window and the dialog show it."""
        self.training, self.set_aside_used = result, False
        self.set_aside_changed.emit()

    def set_aside(self) -> Path | None:
        """The encoder the last training set aside (the check found it no better), while it waits to be put to use."""
        result = self.training
        if result is None or result.set_aside is None or self.set_aside_used or not Path(result.set_aside).is_file():
            return None
        return Path(result.set_aside)

    def use_set_aside(self) -> bool:
        """Put the encoder the last training set aside to use after all: the catalog is indexed with it."""
        path = self.set_aside()
        if path is None:
            self.error.emit("no newly trained encoder is waiting to be put to use")
            return False
        if not self.load_model(path):
            return False
        job = self.job
        assert job is not None
        self.set_aside_used = True
        self.set_aside_changed.emit()
        job.cancelled.connect(self._set_aside_not_used)
        job.failed.connect(self._set_aside_not_used)
        return True

    def _set_aside_not_used(self) -> None:
        self.set_aside_used = False
        self.set_aside_changed.emit()

    def measure_training(self, settings: TrainSettings) -> bool:
        """Time a few training steps on this machine now, off the GUI thread: `step_measured` tells the result."""
        ws, store = self.ws, self.store
        if ws is None or store is None:
            return False
        from core.training import measure_training  # PyTorch only when training

        photos = store.count()
        if self._measuring is not None:
            self._measuring.cancel()
        job = Job("measuring", lambda progress, cancel: (settings, measure_training(ws, settings, photos, cancel)))
        self._measuring = job
        job.finished.connect(self._on_measured)  # methods, not closures: nothing reaches a session already gone
        job.failed.connect(self._on_measure_failed)
        self._measured_settings = settings
        job.start()
        return True

    def _on_measured(self, measured: tuple[TrainSettings, float]) -> None:
        settings, seconds = measured
        self._step_seconds[_shape(settings)] = seconds
        self.step_measured.emit(settings, seconds)

    def _on_measure_failed(self, message: str) -> None:
        self.step_measured.emit(self._measured_settings, message)

    def expected_training_seconds(self, settings: TrainSettings) -> float | None:
        """How long training like `settings` takes from its start, by the steps last timed for it (None: not timed)."""
        step = self.step_seconds(settings)
        return None if step is None else self._after_training(settings.steps or settings.fine_tune_steps, step)["load"]

    def step_seconds(self, settings: TrainSettings) -> float | None:
        """The seconds a training step took when last measured for training like `settings`, if it was."""
        return self._step_seconds.get(_shape(settings))

    def previous_encoder(self) -> Path | None:
        """The encoder in use before the current one, if the workspace has one to go back to."""
        try:
            return self.ws.previous_encoder() if self.ws is not None else None
        except LookalikeError:
            return None

    def use_previous_encoder(self) -> bool:
        """Go back to the encoder in use before the current one: the catalog is indexed with it again."""
        previous = self.previous_encoder()
        if previous is None:
            self.error.emit("there is no previous encoder to go back to")
            return False
        return self.reindex(model=previous)

    def load_model(self, path: Path) -> bool:
        """Check an ONNX encoder and re-index the catalog with it; a model that does not fit is refused.

        The indexing run tries it on the catalog's own photos as well, before it replaces anything.
        """
        try:
            check_encoder(OnnxEncoder(path))
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
            # Under the workspace's lock, as recommend on the command line: no index run or other
            # list run meanwhile mixes its changes or rules with these.
            with ws.exclusive("making lists for"), CatalogStore(ws.database) as store:
                made = Curation(store).generate(searcher, rules, progress=progress, cancel=cancel)
                backup_database(ws, store)
                return made

        job = Job("making lists", work)
        job.finished.connect(self.generated)
        return self._start(job)

    def last_rules(self) -> dict[str, Rules]:
        """The rules each kind of this catalog's lists was last made with (kinds never made are left out)."""
        curation = self.curation
        if curation is None:
            return {}
        try:
            found = {kind: curation.last_rules(kind) for kind in LIST_KINDS}
        except LookalikeError:
            return {}  # a database that cannot be read now is said by whatever reads it next; the dialog starts from defaults
        return {kind: rules for kind, rules in found.items() if rules is not None}

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

    # duplicates --------------------------------------------------------------------------
    def find_duplicates(self) -> bool:
        """Find the catalog's duplicate groups in the background and store them for lists."""
        ws = self.ws
        if ws is None or self.searcher is None:
            self.error.emit("index the catalog before finding duplicates")
            return False

        def work(progress: Any, cancel: Any) -> list[DuplicateGroup]:
            with ws.exclusive("finding duplicates in"):
                groups = find_duplicates(ws, progress=progress, cancel=cancel)
                with CatalogStore(ws.database) as store:
                    DuplicateMemory(store).save(groups)
                return groups

        job = Job("finding duplicates", work)
        job.finished.connect(self.duplicates_found)
        return self._start(job)

    def duplicates(self) -> DuplicateMemory | None:
        """What the workspace remembers of duplicates (for the GUI thread's edits), or None."""
        return DuplicateMemory(self.store) if self.store is not None else None

    def duplicate_edit(self, edit: Any) -> bool:
        """Run one change to what is remembered of duplicates; a refused write is said, not raised."""
        try:
            edit()
        except LookalikeError as exc:
            self.error.emit(str(exc))
            return False
        self.note_edit()
        return True

    # queries -----------------------------------------------------------------------------
    def query_item(self, item_id: int) -> None:
        searcher = self.searcher
        if searcher is None and self._searcher_loading:
            self._waiting_query = lambda: self.query_item(item_id)  # asked again once the index is open
            return
        if searcher is None:
            self.error.emit("the catalog is not indexed yet")
            return
        item = self.store.item(item_id) if self.store is not None else None  # the GUI thread's own connection
        label = (item.name or item.path) if item else str(item_id)
        if item_id not in searcher:
            why = f"could not be read: {item.error}" if item is not None and item.status == "error" else "is not indexed yet: re-index (F5)"
            self.error.emit(f"{item.path if item else label} {why}")
            return
        weight, own = self.colour_weight, self.own_photos(item_id)
        self._run_query(Query(label, item_id=item_id), lambda n: searcher.similar_to_item(item_id, n, weight, own))
        self._remember("item", str(item_id), label)

    def own_photos(self, item_id: int) -> list[int]:
        """The photos of `item_id`'s product, which its lookalikes leave out (a photo alone: itself)."""
        products = self._products
        return list(products.photos_of(item_id)) if products is not None and item_id in products.by_id else [item_id]

    def query_image(self, image: Path | QImage, label: str | None = None) -> bool:
        """Find lookalikes of a photo from a file or the clipboard; it is kept for the history."""
        searcher, ws = self.searcher, self.ws
        if searcher is None and self._searcher_loading:
            self._waiting_query = lambda: self.query_image(image, label)  # asked again once the index is open
            return True
        if searcher is None or ws is None:
            self.error.emit("the catalog is not indexed yet")
            return False
        try:
            source = qimage_to_pil(image) if isinstance(image, QImage) else Path(image)
            kept = save_query_image(ws.folder(QUERIES_DIRNAME), source)
        except LookalikeError as exc:
            name = Path(image).name if not isinstance(image, QImage) else "clipboard picture"
            self.error.emit(f"{name}: {exc}")
            return False
        label = label or (Path(image).name if not isinstance(image, QImage) else "pasted picture")
        return self._query_kept(kept, label)

    def query_address(self, url: str) -> bool:
        """Fetch the photo at an http(s) address in the background (cancellable), then find its lookalikes.

        Its copy is kept like a dropped photo's; what went wrong (not an image, too large, no answer) is said in a line.
        """
        ws = self.ws
        if ws is None or (self.searcher is None and not self._searcher_loading):
            self.error.emit("the catalog is not indexed yet")
            return False
        if self.fetching is not None and self.fetching.running:
            self.fetching.cancel()  # an address pasted since is the one wanted
        label = address_label(url)

        def work(progress: Any, cancel: Any) -> Path:
            data = fetch_photo(url, cancel=cancel)
            try:
                with Image.open(io.BytesIO(data)) as picture:
                    picture.load()
                    return save_query_image(ws.folder(QUERIES_DIRNAME), picture)
            except (OSError, ValueError, Image.DecompressionBombError):
                raise ImageError(f"{url}: not an image Lookalike can read") from None

        def fetched(kept: Path) -> None:
            if self.ws is ws and self.fetching is job:  # the same catalog, and no newer address asked for
                self._query_kept(kept, label)

        job = Job("fetching the photo", work)
        self.fetching = job
        job.finished.connect(fetched)
        job.failed.connect(self.error)
        self.fetch_started.emit(job)
        job.start()
        return True

    def _query_kept(self, kept: Path, label: str) -> bool:
        """Find lookalikes of a photo kept in the workspace's queries folder, and remember the query."""
        searcher = self.searcher
        if searcher is None and self._searcher_loading:
            self._waiting_query = lambda: self._query_kept(kept, label)  # asked again once the index is open
            return True
        if searcher is None:
            self.error.emit("the catalog is not indexed yet")
            return False
        weight = self.colour_weight
        self._run_query(Query(label, image=kept), lambda n: searcher.similar_to_image(kept, n, weight))
        self._remember("image", str(kept), label)
        return True

    def rerun(self, entry: HistoryEntry) -> None:
        """Ask a recent query again (after a restart too): a product still in the catalog, or a kept photo."""
        if entry.kind == "item":
            if self.store is not None and self.store.item(int(entry.ref)) is None:
                self.error.emit(f"{entry.label} is no longer in the catalog")
                return
            self.query_item(int(entry.ref))
            return
        kept = self._kept_photo(entry.ref)
        if kept is None:
            self.error.emit(f"the photo of that query is gone: {entry.label}")
        else:
            self._query_kept(kept, entry.label)

    def _kept_photo(self, ref: str) -> Path | None:
        """The kept query photo `ref` names: where it was kept, or (the catalog moved with its workspace
        since) by its name in this workspace's queries folder."""
        candidates = [Path(ref)]
        if self.ws is not None:
            candidates.append(self.ws.root / QUERIES_DIRNAME / Path(ref).name)
        return next((path for path in candidates if path.is_file()), None)

    def _run_query(self, query: Query, search: Any) -> None:
        """Show the k lookalike products `search(n)` (the n best photos) finds: each product once, by its best photo."""
        self.last_query = query
        self._query_serial += 1
        serial = self._query_serial
        searcher, k = self.searcher, self.k

        def work(progress: Any, cancel: Any) -> list[tuple[Match, Item]]:
            if searcher is None:
                return []
            return lookalike_products(search, k, searcher.store.items_by_id)

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
        """Cancel the running job and wait for it, so nothing is left half-written; back edited lists up."""
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.job.wait(timeout)
        if self._measuring is not None and self._measuring.running:
            self._measuring.cancel()
            self._measuring.wait(timeout)
        if self.fetching is not None and self.fetching.running:  # cancelled, it ends within a moment
            self.fetching.cancel()
            self.fetching.wait(timeout)
        for job in list(self._query_jobs):
            job.wait(timeout)
        for job in list(self._load_jobs):  # they only read: a large catalog's reading is not waited out
            job.wait(min(timeout, 2.0))
        self.close_catalog()

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
        searcher, weight = self.searcher, self.colour_weight
        if query.item_id is not None:
            item_id, own = query.item_id, self.own_photos(query.item_id)
            self._run_query(query, lambda n: searcher.similar_to_item(item_id, n, weight, own))
        elif query.image is not None:
            image = query.image
            self._run_query(query, lambda n: searcher.similar_to_image(image, n, weight))

    def settings_for_training(self, steps: int, latent_dim: int, input_size: int, from_scratch: bool = False) -> TrainSettings:
        """Training for `steps` steps; from scratch with this shape, else from the encoder in use (its shape kept)."""
        return replace(self.train_defaults, steps=steps, fine_tune_steps=steps, latent_dim=latent_dim, input_size=input_size,
                       start_from_in_use=not from_scratch)
