"""The main window: catalog grid on the left, the query and its lookalikes on the right."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import (
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSettings,
    QStandardPaths,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPixmap,
    QShortcut,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.catalog import APP_THUMB_SIZE, ThumbnailCache
from core.common import IMAGE_SUFFIXES, LookalikeError, Progress, training_problem
from core.lists import LIST_KINDS, PLATFORM_FORMATS, Rules
from core.shop import ImportReport, ShopExport, read_shop_export
from core.similarity import EncoderInfo
from core.storage import HistoryEntry, Workspace
from gui.catalog_items import CatalogItems, catalog_items
from gui.curation_panel import CurationPanel
from gui.delegate import ThumbnailDelegate
from gui.models import CatalogFilter, CatalogModel, ResultsModel
from gui.product_grid import ProductGrid
from gui.roles import Roles
from gui.session import CatalogSession, Problem, Query
from gui.thumbnails import ThumbnailLoader
from gui.workers import Job

MAX_RECENT = 8
EXPORT_CHOICES = {
    "csv": ("CSV, one row per recommendation", ".csv"),
    "json": ("JSON", ".json"),
    "shopify": ("Shopify product CSV", ".csv"),
    "woocommerce": ("WooCommerce product CSV", ".csv"),
    "magento": ("Magento product import CSV", ".csv"),
    "html": ("Review sheet", ".html"),
}
STAGE_NAMES = {
    "scan": "Scanning",
    "digest": "Checking photos once",
    "encode": "Encoding",
    "index": "Building index",
    "train": "Training",
    "load": "Reading photos",
    "demo": "Writing demo catalog",
    "recommend": "Recommending",
    "cluster": "Grouping alike photos",
    "download": "Fetching photos",
    "frames": "Comparing whole photos",
    "prints": "Reading photos once for duplicates",
    "aligned": "Lining up cropped and turned copies",
}


def _short(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _grid(delegate: ThumbnailDelegate) -> QListView:
    view = ProductGrid()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(2000)
    view.setSpacing(4)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.setDragEnabled(False)
    delegate.attach(view)
    return view


class Banner(QFrame):
    """A dismissible one-line message above the grids, with buttons for what can be done: errors never block the window."""

    _TONES = {
        "error": "#banner { background: #fde2e1; border: 1px solid #e0a19d; border-radius: 4px; } QLabel { color: #7a1a14; }",
        "notice": "#banner { background: #fff4d6; border: 1px solid #e2c46e; border-radius: 4px; } QLabel { color: #5c4400; }",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: list[QPushButton] = []
        self.about = ""  # the job (its name) whose outcome the message tells of: a later success of it takes the message away
        self.shown = 0  # messages shown so far, to tell whether the one showing is still the one a job saw
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 4, 4, 4)
        self._layout.addWidget(self.label, 1)
        self._layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, actions: Sequence[tuple[str, Any]] = (), tone: str = "error", about: str = "") -> None:
        """Show `text`, with a button for each (label, slot) in `actions`; a button also dismisses the banner.

        `about` names the job whose outcome this is (see `about`).
        """
        self.about = about
        self.shown += 1
        self.setStyleSheet(self._TONES[tone])
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        for label, slot in actions:
            button = QPushButton(label)
            button.clicked.connect(self.hide)
            button.clicked.connect(slot)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self.buttons.append(button)
        self.label.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """Everything the user sees; the catalog's work happens in the session and its jobs."""

    query_shown = Signal(object)  # Query, once its results are on screen

    def __init__(self, settings: QSettings | None = None, demo_folder: Path | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.demo_folder = demo_folder
        self.session = CatalogSession(self)
        self.last_error = ""
        self._catalog_items = catalog_items([])  # what the grid shows, and what is counted of it
        self._keeping_place = False  # set while a re-read catalog re-selects the product that was selected
        self._stage_started: dict[str, tuple[float, int]] = {}
        self._filtered_catalog: Path | None = None  # the catalog the filter text was typed for
        self.setWindowTitle("Lookalike")
        self.setAcceptDrops(True)

        self.catalog_model = CatalogModel(self)
        self.catalog_filter = CatalogFilter(self)
        self.catalog_filter.setSourceModel(self.catalog_model)
        self.results_model = ResultsModel(self)
        self._build_widgets()
        self._build_actions()
        self._connect_session()
        self._restore_settings()
        self._build_views()

    # layout ------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.banner = Banner()
        self.filter_edit = QLineEdit(placeholderText="Filter by name, SKU or category  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_timer = QTimer(self, singleShot=True, interval=150)
        self.filter_timer.timeout.connect(lambda: self._on_filter(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(self.filter_timer.start)
        self.count_label = QLabel("No catalog open")

        self.empty_hint = QLabel(
            "<h2>Open a catalog to begin</h2><p>Drop a folder of product photos here, use "
            "<b>File › Open Catalog</b>, or try <b>File › Open Demo Catalog</b>.</p>"
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 3, 6)
        left_layout.addWidget(self.filter_edit)
        self.catalog_stack = QStackedWidget()
        left_layout.addWidget(self.catalog_stack, 1)
        left_layout.addWidget(self.count_label)

        self.query_thumb = QLabel()
        self.query_thumb.setFixedSize(96, 96)
        self.query_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.query_thumb.setStyleSheet("QLabel { background: palette(base); border: 1px solid palette(mid); }")
        self.query_title = QLabel("<b>Lookalikes</b><br>Click a product, drop a photo, or paste one (Ctrl+V).")
        self.query_title.setWordWrap(True)
        self.k_spin = QSpinBox(minimum=1, maximum=200, value=int(self.settings.value("k", 12)))
        self.k_spin.setToolTip("How many lookalikes to show")
        self.k_spin.valueChanged.connect(self._on_k)
        self.colour_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, singleStep=5, pageStep=25)
        self.colour_slider.setMinimumWidth(80)
        self.colour_slider.setToolTip("Slide right to weigh colour in: left matches by shape alone, right by colour alone")
        self.colour_slider.setValue(int(self.settings.value("colour_weight", 0)))
        self.colour_timer = QTimer(self, singleShot=True, interval=200)
        self.colour_timer.timeout.connect(lambda: self.session.set_colour_weight(self.colour_slider.value() / 100))
        self.colour_slider.valueChanged.connect(self.colour_timer.start)
        controls = QHBoxLayout()
        for widget in (QLabel("Show"), self.k_spin, QLabel("  Match by shape"), self.colour_slider, QLabel("colour")):
            controls.addWidget(widget)
        controls.setStretchFactor(self.colour_slider, 1)
        # The pane sits beside the list: a long product name wraps or is cut rather than widening it.
        self.query_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header = QHBoxLayout()
        header.addWidget(self.query_thumb)
        header.addWidget(self.query_title, 1)

        self.history_list = QListWidget()
        self.history_list.setMaximumHeight(96)
        self.history_list.itemActivated.connect(self._on_history)
        self.history_list.itemClicked.connect(self._on_history)

        lookalikes = QWidget()
        look_layout = QVBoxLayout(lookalikes)
        look_layout.setContentsMargins(0, 6, 0, 0)
        look_layout.addLayout(header)
        look_layout.addLayout(controls)
        self.results_holder = QVBoxLayout()
        look_layout.addLayout(self.results_holder, 1)
        look_layout.addWidget(QLabel("Recent queries"))
        look_layout.addWidget(self.history_list)

        self.undo = QUndoStack(self)
        self.curation_panel = CurationPanel(self.session, self.undo)
        self.curation_panel.step_requested.connect(self.step_product)
        # The candidates beside the list they are dragged into: curating means seeing both.
        self.curation_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.curation_splitter.setChildrenCollapsible(False)
        self.curation_splitter.addWidget(lookalikes)
        self.curation_splitter.addWidget(self.curation_panel)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(3, 0, 6, 6)
        right_layout.addWidget(self.curation_splitter)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 2)  # the catalog; then the lookalikes and the list, half each
        self.splitter.setStretchFactor(1, 3)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.model_label = QLabel("No model")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.session.cancel)
        for widget in (self.progress_bar, self.progress_label, self.cancel_button):
            widget.hide()
        status = self.statusBar()
        # A normal widget, not a permanent one: a confirmation ("Made 30 lists") takes its place while it
        # shows. A permanent label stretched over the bar left the message no room to be drawn in.
        status.addWidget(self.model_label, 1)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)

    def _build_views(self) -> None:
        """The grids, their delegates and the one thumbnail loader: made once, kept for the window's life."""
        self.loader = ThumbnailLoader(ThumbnailCache(Path(self._scratch_thumbs()), APP_THUMB_SIZE), memory_items=1500, parent=self)
        size = int(self.settings.value("thumb_size", 128))
        self.catalog_delegate = ThumbnailDelegate(self.loader, self)
        self.results_delegate = ThumbnailDelegate(self.loader, self)
        self.list_delegate = ThumbnailDelegate(self.loader, self)
        for delegate in (self.catalog_delegate, self.results_delegate, self.list_delegate):
            delegate.thumb_size = size
        self.catalog_view = _grid(self.catalog_delegate)
        self.catalog_view.setModel(self.catalog_filter)
        self.catalog_view.selectionModel().selectionChanged.connect(self._on_catalog_selection)
        self.catalog_view.customContextMenuRequested.connect(lambda pos: self._context_menu(self.catalog_view, pos))
        self.results_view = _grid(self.results_delegate)
        self.results_view.setModel(self.results_model)
        self.results_view.doubleClicked.connect(self._on_result_activated)
        self.results_view.activated.connect(self._on_result_activated)
        self.results_view.customContextMenuRequested.connect(lambda pos: self._context_menu(self.results_view, pos))
        for view in (self.catalog_view, self.results_view):
            view.setDragEnabled(True)
            view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.catalog_stack.addWidget(self.empty_hint)
        self.catalog_stack.addWidget(self.catalog_view)
        self.results_holder.addWidget(self.results_view)
        self.curation_panel.set_delegate(self.list_delegate)
        # Keyboard: the filter, then the grid it filters, then the panel on the right.
        chain = (self.filter_edit, self.catalog_view, self.k_spin, self.colour_slider, self.results_view, self.history_list, self.curation_panel.kind)
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        self.filter_edit.returnPressed.connect(self._into_grid)
        QShortcut(QKeySequence(Qt.Key.Key_Down), self.filter_edit, self._into_grid, context=Qt.ShortcutContext.WidgetShortcut)

    def _into_grid(self) -> None:
        """From the filter box (Down or Return): to the grid, on its first product if none is chosen."""
        if not self.catalog_filter.rowCount():
            return
        self.catalog_view.setFocus()
        selection = self.catalog_view.selectionModel()
        if not selection.hasSelection():
            current = self.catalog_view.currentIndex()
            target = current if current.isValid() else self.catalog_filter.index(0, 0)
            selection.setCurrentIndex(target, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _scratch_thumbs(self) -> str:
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation) + "/thumbs"

    def _build_actions(self) -> None:
        def action(text: str, slot: Any, shortcut: Any = None, tip: str = "") -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.open_action = action("Open Catalog…", self.choose_catalog, "Ctrl+Shift+O", "Open a folder of product photos")
        self.demo_action = action("Open Demo Catalog", self.open_demo, None, "Generate and open a demo catalog")
        self.shop_action = action("Open Shop Export…", self.choose_shop_export, "Ctrl+I",
                                  "Make a catalog of a Shopify, WooCommerce or Magento product export: fetch its photos")
        self.open_image_action = action("Find Lookalikes of Photo…", self.choose_image, QKeySequence.StandardKey.Open)
        self.paste_action = action("Paste Photo", self.paste_image, QKeySequence.StandardKey.Paste)
        self.quit_action = action("Quit", self.close, QKeySequence.StandardKey.Quit)
        self.reindex_action = action("Re-index Catalog", lambda: self.session.reindex(), "F5")
        self.duplicates_action = action("Find Duplicates…", self.open_duplicates, "Ctrl+D",
                                        "Copies and colourways of one product among the photos; lists keep them apart")
        self.forget_action = action("Forget Missing Photos…", self.forget_missing, None, "Remove photos gone from the catalog folder, with their lists")
        self.cancel_action = action("Cancel Job", self.session.cancel, "Escape")
        self.train_action = action("Train on Catalog…", self.open_train_dialog, "Ctrl+T")
        self.load_model_action = action("Load Encoder…", self.choose_model)
        self.export_model_action = action("Export Encoder…", self.choose_model_export)
        self.previous_model_action = action("Go Back to the Previous Encoder", lambda: self.session.use_previous_encoder(), None,
                                            "Index the catalog again with the encoder in use before this one")
        self.previous_model_action.setEnabled(False)
        self.undo_action = self.undo.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo.createRedoAction(self, "Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.make_lists_action = action("Make Lists…", self.open_lists_dialog, "Ctrl+L", "Fill every product's recommendation list")
        self.export_lists_action = action("Export Lists…", self.choose_export, "Ctrl+E", "Write the lists for a shop platform")
        self.filter_action = action("Filter Catalog", self._focus_filter, QKeySequence.StandardKey.Find)
        self.bigger_action = action("Larger Thumbnails", lambda: self.set_thumb_size(self.catalog_delegate.thumb_size + 32), QKeySequence.StandardKey.ZoomIn)
        self.smaller_action = action("Smaller Thumbnails", lambda: self.set_thumb_size(self.catalog_delegate.thumb_size - 32), QKeySequence.StandardKey.ZoomOut)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addActions([self.open_action, self.shop_action, self.demo_action])
        self.recent_menu = file_menu.addMenu("Open Recent")
        file_menu.addSeparator()
        file_menu.addActions([self.open_image_action, self.paste_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        catalog_menu = menu.addMenu("&Catalog")
        catalog_menu.addActions([self.reindex_action, self.cancel_action, self.filter_action])
        catalog_menu.addSeparator()
        catalog_menu.addActions([self.duplicates_action, self.forget_action])
        lists_menu = menu.addMenu("&Lists")
        lists_menu.addActions([self.make_lists_action, self.export_lists_action])
        model_menu = menu.addMenu("&Model")
        model_menu.addActions([self.train_action, self.load_model_action, self.export_model_action])
        model_menu.addSeparator()
        model_menu.addAction(self.previous_model_action)
        view_menu = menu.addMenu("&View")
        view_menu.addActions([self.bigger_action, self.smaller_action])

        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        self.open_image_action.setIconText("Open Photo")
        self.reindex_action.setIconText("Re-index")
        self.train_action.setIconText("Train")
        toolbar.addActions([self.open_action, self.open_image_action, self.paste_action, self.reindex_action, self.train_action])
        toolbar.addSeparator()
        toolbar.addActions([self.make_lists_action, self.export_lists_action])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(QLabel("Thumbnails "))
        self.size_slider = QSlider(Qt.Orientation.Horizontal, minimum=64, maximum=APP_THUMB_SIZE, singleStep=16, pageStep=32)
        self.size_slider.setFixedWidth(120)
        self.size_slider.setValue(int(self.settings.value("thumb_size", 128)))
        self.size_slider.valueChanged.connect(self.set_thumb_size)
        toolbar.addWidget(self.size_slider)
        self.addToolBar(toolbar)
        self.session.set_k(self.k_spin.value())
        self.session.colour_weight = self.colour_slider.value() / 100
        self._refresh_recent()

    def _connect_session(self) -> None:
        s = self.session
        s.opened.connect(self._on_opened)
        s.items_changed.connect(self._on_items)
        s.model_changed.connect(self._on_model)
        s.job_started.connect(self._on_job_started)
        s.results_ready.connect(self._on_results)
        s.history_changed.connect(self._on_history_changed)
        s.error.connect(self.show_error)
        s.problem.connect(self.show_problem)
        s.notice.connect(self.show_notice)
        s.forgotten.connect(lambda counts: self.statusBar().showMessage(f"Forgot {counts[0]:,} missing photos and {counts[1]:,} lists", 10000))
        s.indexed.connect(self._on_indexed)
        s.generated.connect(self._on_generated)
        s.changed_elsewhere.connect(self.curation_panel.refresh_if_changed)
        s.exported.connect(self._on_exported)
        s.imported.connect(self._on_imported)

    # settings ----------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        width = self.width()  # first run: the catalog two fifths, the lookalikes and the list the rest, half each
        defaults = ((self.splitter, [width * 2 // 5, width * 3 // 5]), (self.curation_splitter, [width * 3 // 10] * 2))
        for key, (splitter, sizes) in zip(("splitter", "curation_splitter"), defaults):
            state = self.settings.value(key)
            if not (isinstance(state, QByteArray) and splitter.restoreState(state)):
                splitter.setSizes(sizes)

    def _save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("curation_splitter", self.curation_splitter.saveState())
        self.settings.setValue("k", self.k_spin.value())
        self.settings.setValue("colour_weight", self.colour_slider.value())
        self.settings.setValue("thumb_size", self.catalog_delegate.thumb_size)

    def recent_catalogs(self) -> list[str]:
        value = self.settings.value("recent_catalogs", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember_catalog(self, folder: Path) -> None:
        recent = [str(folder)] + [p for p in self.recent_catalogs() if p != str(folder)]
        self.settings.setValue("recent_catalogs", recent[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_catalogs()
        for index, folder in enumerate(recent):
            act = self.recent_menu.addAction(f"&{index + 1} {folder}")
            act.triggered.connect(lambda checked=False, f=folder: self.open_catalog(Path(f)))
        self.recent_menu.setEnabled(bool(recent))

    def closeEvent(self, event: Any) -> None:
        self._save_settings()
        self.session.shutdown()
        self.loader.shutdown()
        super().closeEvent(event)

    # opening -----------------------------------------------------------------------------
    def open_catalog(self, folder: Path) -> bool:
        return self.session.open(Path(folder))

    def choose_catalog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a catalog folder")
        if folder:
            self.open_catalog(Path(folder))

    def choose_shop_export(self) -> None:
        """Ask for a shop's product export (and, for Magento, where its images are) and a folder, then import."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a shop's product export", "", "Product exports (*.csv);;All files (*)")
        if not path:
            return
        try:
            shop = read_shop_export(Path(path))
        except LookalikeError as exc:
            self.show_error(str(exc))
            return
        media_url = media_dir = None
        if any(photo and "://" not in photo for product in shop.products for photo in product.photos):
            text, ok = QInputDialog.getText(
                self, "Where are the images?",
                "This export names its images by paths in the shop's media folder.\n"
                "The shop's media address (such as https://shop.example/media/catalog/product),\n"
                "or leave it empty to choose a copy of that folder on this computer:",
            )
            if not ok:
                return
            if text.strip():
                media_url = text.strip()
            else:
                chosen = QFileDialog.getExistingDirectory(self, "The shop's media folder (pub/media/catalog/product)")
                if not chosen:
                    return
                media_dir = Path(chosen)
        folder = QFileDialog.getExistingDirectory(
            self, "A folder for the shop's photos (new or empty, or an earlier import of this shop)", str(Path(path).parent)
        )
        if folder:
            self.import_shop_export(shop, Path(folder), media_url, media_dir)

    def import_shop_export(self, shop: ShopExport, folder: Path, media_url: str | None = None, media_dir: Path | None = None) -> bool:
        """Import `shop` into `folder` in the background; the catalog opens when its photos are in."""
        if media_url is not None and not media_url.lower().startswith(("http://", "https://")):
            self.show_error(f"the media address must start with http:// or https://, not {media_url!r}")
            return False
        return self.session.import_shop(shop, folder, media_url, media_dir)

    def _on_imported(self, ws: Workspace, report: ImportReport) -> None:
        d = report.download
        summary = (f"Imported {report.products:,} {report.platform} products: {d.fetched:,} photos fetched, "
                   f"{d.kept:,} already here, {len(d.failed):,} failed")
        self.open_catalog(ws.catalog)
        self.statusBar().showMessage(summary, 15000)
        if d.failed or report.without_photo:
            first = d.failed[0] if d.failed else f"{report.without_photo[0]} has no photo"
            more = f" (and {len(d.failed) - 1:,} more; run import-shop on the command line for the whole list)" if len(d.failed) > 1 else ""
            self.banner.show_message(f"{summary}. {first}{more}", tone="notice")

    def open_demo(self) -> None:
        """Write the demo catalog once (in the background), then open it."""
        folder = self.demo_folder or Path(self._data_dir()) / "demo-catalog"
        if (folder / "products.csv").exists():
            self.open_catalog(folder)
            return
        from core.demo import write_demo_catalog

        job = Job("demo", lambda progress, cancel: write_demo_catalog(folder, progress=progress, cancel=cancel))
        job.progress.connect(self._on_progress)
        job.failed.connect(self.show_error)
        job.finished.connect(lambda _: self.open_catalog(folder))
        self._demo_job = job
        self._on_job_started(job)
        job.start()

    def _data_dir(self) -> str:
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)

    def _on_opened(self, ws: Workspace) -> None:
        if ws.catalog != self._filtered_catalog:  # another catalog: a filter typed for the last one would hide its products
            self._filtered_catalog = ws.catalog
            self.filter_timer.stop()
            self.filter_edit.clear()
            self._on_filter("")
        self.banner.hide()
        self.undo.clear()
        self.curation_panel.show_item(None)
        self.loader.set_cache(ThumbnailCache(ws.thumbs, APP_THUMB_SIZE))
        self.model_label.setText("Opening the index…")  # a large catalog's takes seconds; said when it is open
        self.catalog_stack.setCurrentWidget(self.catalog_view)
        self.setWindowTitle(f"{ws.catalog.name} — Lookalike")
        self._remember_catalog(ws.catalog)
        self.results_model.reset(ws.catalog, [])
        self.query_thumb.clear()
        self.query_title.setText("<b>Lookalikes</b><br>Click a product, drop a photo, or paste one (Ctrl+V).")

    def catalog_complete(self) -> bool:
        """Whether the grid holds every item of the open catalog (a large one loads after its first page)."""
        return self._catalog_items.complete

    def _on_items(self, loaded: CatalogItems) -> None:
        ws = self.session.ws
        if ws is None:
            return
        kept = self._selected_item()
        self._catalog_items = loaded
        self.catalog_model.reset(ws.catalog, loaded.items, loaded.search)
        self._update_count()
        proxy = self._grid_index(kept) if kept is not None else QModelIndex()
        if proxy.isValid():  # a re-read catalog (after indexing, say) keeps the user's place
            self._keeping_place = True
            try:
                self._select_in_grid(proxy)
            finally:
                self._keeping_place = False

    def _select_in_grid(self, proxy: QModelIndex) -> None:
        self.catalog_view.setCurrentIndex(proxy)
        self.catalog_view.scrollTo(proxy)

    def _selected_item(self) -> int | None:
        indexes = self.catalog_view.selectionModel().selectedIndexes()
        return int(indexes[0].data(Roles.ItemIdRole)) if len(indexes) == 1 else None

    def _grid_index(self, item_id: int) -> QModelIndex:
        """The catalog grid's index of an item (invalid if the filter hides it)."""
        row = self.catalog_model.row_of(item_id)
        return self.catalog_filter.mapFromSource(self.catalog_model.index(row)) if row is not None else QModelIndex()

    def _update_count(self) -> None:
        loaded = self._catalog_items
        if not loaded.complete:  # the first page shows while the rest loads
            self.count_label.setText(f"Loading {loaded.total:,} photos…")
            return
        total = self.catalog_model.rowCount()
        shown = self.catalog_filter.rowCount()
        noun = "product" if total == 1 else "products"
        text = f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        products = loaded.product_count
        if products and products != total:  # a shop's products, several photos each
            photos = f"{total:,} photos" if shown == total else f"{shown:,} of {total:,} photos"
            text = f"{products:,} {'product' if products == 1 else 'products'} · {photos}"
        if loaded.unreadable:
            text += f" · {loaded.unreadable} unreadable"
        if loaded.missing:
            text += f" · {loaded.missing} missing"
        self.count_label.setText(text)

    def _on_model(self, info: EncoderInfo | None, built: str) -> None:
        self.previous_model_action.setEnabled(self.session.previous_encoder() is not None)
        if info is None:
            self.model_label.setText("No usable model")
            return
        when = f"index built {built.replace('T', ' ').replace('+00:00', ' UTC')}" if built else "not indexed yet"
        self.model_label.setText(f"Model {info.model_id[:8]} · trained on {info.trained_on} · {when}")
        self.model_label.setToolTip(f"{info.path}\n{info.latent_dim}-number embeddings from {info.input_size}px input")

    def _on_indexed(self, report: Any) -> None:
        message = f"Indexed {report.images:,} photos ({report.encoded:,} encoded) in {report.seconds:.1f} s"
        if report.failed:
            message += f"; {len(report.failed)} unreadable (see tooltips)"
        if report.moved:
            message += f"; {report.moved:,} missing photos found again"
        self.statusBar().showMessage(message, 10000)
        if report.repaired is not None:
            self.show_notice(f"{report.repaired}; it was rebuilt from the stored embeddings")
        elif report.removed:
            first = report.skipped[0] if report.skipped else None
            why = f" ({first[0]}: {first[1]})" if first else ""
            self.show_problem(Problem(
                f"{report.removed:,} photos are no longer in the catalog folder{why}. They are kept, with their lists, "
                "and come back when found again, anywhere in the catalog.", ("forget-missing",), tone="notice", about="indexing"))
        elif report.skipped:
            path, reason = report.skipped[0]
            more = f" (and {len(report.skipped) - 1} more)" if len(report.skipped) > 1 else ""
            self.show_error(f"Not included: {path}: {reason}{more}", about="indexing")

    # jobs --------------------------------------------------------------------------------
    def _on_job_started(self, job: Job) -> None:
        self._stage_started.clear()
        self.progress_bar.setRange(0, 0)
        self.progress_label.setText(f"{job.name.capitalize()}…")
        for widget in (self.progress_bar, self.progress_label, self.cancel_button):
            widget.show()
        self.cancel_button.setEnabled(job.name != "demo")
        job.progress.connect(self._on_progress)
        job.done.connect(lambda: self._on_job_done(job))
        job.failed.connect(lambda message: self._on_job_failed(job, message))
        showing = self.banner.shown
        job.finished.connect(lambda _: self._on_job_succeeded(job, showing))
        job.cancelled.connect(lambda: self.statusBar().showMessage(f"{job.name.capitalize()} cancelled", 8000))

    def _on_job_failed(self, job: Job, message: str) -> None:
        """The banner already says `message` (the session's error): mark it as about this job."""
        if self.banner.isVisibleTo(self) and self.banner.label.text() == message:
            self.banner.about = job.name

    def _on_job_succeeded(self, job: Job, showing: int) -> None:
        """A banner about an earlier run of this job is out of date; one its own outcome showed (`shown` moved on) stays."""
        if self.banner.about == job.name and self.banner.shown == showing:
            self.banner.hide()

    def _on_progress(self, p: Progress) -> None:
        now = time.monotonic()
        started, first = self._stage_started.setdefault(p.stage, (now, p.done))
        text = STAGE_NAMES.get(p.stage, p.stage.capitalize())
        if p.total:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
            text += f" {p.done:,}/{p.total:,}"
            elapsed = now - started
            rate = (p.done - first) / elapsed if elapsed > 0.5 else 0.0
            if rate > 0 and p.stage != "train":
                text += f" · {rate:,.0f}/s"
            if rate > 0 and p.done < p.total:
                left = (p.total - p.done) / rate
                text += f" · {int(left // 60)}:{int(left % 60):02d} left"
        else:
            self.progress_bar.setRange(0, 0)
            text += f" {p.done:,}" if p.done else ""
        if p.loss is not None:
            text += f" · loss {p.loss:.4f}"
        self.progress_label.setText(text)

    def _on_job_done(self, job: Job) -> None:
        if job is not self.session.job and job.name != "demo":
            return  # an older job; the bar belongs to a newer one
        for widget in (self.progress_bar, self.progress_label, self.cancel_button):
            widget.hide()

    # queries -----------------------------------------------------------------------------
    def _on_catalog_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        item_id = self._selected_item()
        if item_id is not None:
            photos = self._catalog_items.products  # the list of a shop product is its main photo's, whichever photo is clicked
            self.curation_panel.show_item(photos.main(item_id) if item_id in photos.by_id else item_id)
            if not self._keeping_place:
                self.session.query_item(item_id)

    def _on_result_activated(self, index: QModelIndex) -> None:
        item_id = index.data(Roles.ItemIdRole)
        if item_id is None:
            return
        proxy = self._grid_index(int(item_id))
        if proxy.isValid():
            self._select_in_grid(proxy)
            return
        self.session.query_item(int(item_id))

    def _on_results(self, query: Query, rows: list) -> None:
        ws = self.session.ws
        if ws is None:
            return
        self.loader.clear_pending()
        self.results_model.reset(ws.catalog, rows)
        self.results_view.scrollToTop()
        source = query.image
        if source is None and query.item_id is not None:
            row = self.catalog_model.row_of(query.item_id)
            if row is not None:
                source = ws.catalog / self.catalog_model.item(row).path
        pixmap = QPixmap(str(source)) if source is not None else QPixmap()
        if not pixmap.isNull():
            pixmap = pixmap.scaled(self.query_thumb.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.query_thumb.setPixmap(pixmap)
        best = f" · best {rows[0][0].score:.3f}" if rows else ""
        self.query_title.setText(f"<b>Lookalikes of</b> {query.label}<br>{len(rows)} matches{best}")
        self.query_shown.emit(query)

    def _on_history_changed(self, entries: list[HistoryEntry]) -> None:
        self.history_list.clear()
        for entry in entries:
            prefix = "Photo" if entry.kind == "image" else "Product"
            item = QListWidgetItem(f"{prefix}: {entry.label}")
            item.setData(Qt.ItemDataRole.UserRole, entry)
            item.setToolTip(entry.created.replace("T", " "))
            self.history_list.addItem(item)

    def _on_history(self, item: QListWidgetItem) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole)
        if entry is None:
            return
        item_id = int(entry.ref) if entry.kind == "item" else None
        proxy = self._grid_index(item_id) if item_id is not None and item_id != self._selected_item() else QModelIndex()
        if proxy.isValid():  # selecting it runs the query, and the recommendation list follows
            self._select_in_grid(proxy)
        else:
            self.session.rerun(entry)

    def choose_image(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        name, _ = QFileDialog.getOpenFileName(self, "Find lookalikes of a photo", "", f"Images ({patterns});;All files (*)")
        if name:
            self.session.query_image(Path(name))

    def paste_image(self) -> bool:
        """Ctrl+V: a picture on the clipboard, or image files copied in a file manager."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasUrls():
            files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if files:
                return self.query_files(files)
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.show_error("the clipboard holds no picture")
            return False
        return self.session.query_image(image)

    def query_files(self, files: list[Path]) -> bool:
        """Query each dropped or pasted file in turn; the last good one stays on screen."""
        ok = False
        for path in files:
            ok = self.session.query_image(path) or ok
        return ok

    # drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:
        mime = event.mimeData()
        if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()) or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        mime = event.mimeData()
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        folders = [p for p in paths if p.is_dir()]
        if folders:
            self.open_catalog(folders[0])
        elif paths:
            self.query_files(paths)
        elif mime.hasImage():
            self.session.query_image(QImage(mime.imageData()))
        event.acceptProposedAction()

    # models ------------------------------------------------------------------------------
    def open_train_dialog(self) -> None:
        if self.session.ws is None:
            self.show_error("open a catalog first")
            return
        problem = training_problem()
        if problem:
            self.show_error(problem)
            return
        from gui.train_dialog import TrainDialog

        self.train_dialog = TrainDialog(self.session, self)
        self.train_dialog.show()

    def choose_model(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Load an ONNX encoder", "", "ONNX models (*.onnx);;All files (*)")
        if name:
            self.session.load_model(Path(name))

    def choose_model_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export the encoder", "encoder.onnx", "ONNX models (*.onnx)")
        if name and self.session.export_model(Path(name)):
            self.statusBar().showMessage(f"Encoder written to {name}", 8000)

    def open_duplicates(self) -> None:
        """Catalog › Find Duplicates: the stored groups; found first if they never were."""
        if self.session.searcher is None:
            self.show_error("index the catalog before finding duplicates")
            return
        from gui.duplicates_dialog import DuplicatesDialog

        self.duplicates_dialog = DuplicatesDialog(self.session, self.loader, self)
        self.duplicates_dialog.show()
        self.duplicates_dialog.activateWindow()  # the keys go to it: Escape closes it, not a job
        memory = self.session.duplicates()
        if memory is not None and not memory.found():
            self.duplicates_dialog.find_again()

    # lists -------------------------------------------------------------------------------
    def open_lists_dialog(self) -> None:
        if self.session.searcher is None:
            self.show_error("index the catalog before making lists")
            return
        from gui.lists_dialog import ListsDialog

        dialog = ListsDialog(self.curation_panel.current_kind, self.session.colour_weight, self, self.session.last_rules(), self.list_presets())
        made = dialog.exec()
        self.settings.setValue("list_presets", {name: rules.to_json() for name, rules in dialog.presets.items()})
        if made:
            self.make_lists(dialog.rules())

    def list_presets(self) -> dict[str, Rules]:
        """The user's named rules for making lists (QSettings: they are the user's, for any catalog)."""
        stored = self.settings.value("list_presets", {})
        found = {str(name): Rules.from_json(str(text)) for name, text in stored.items()} if isinstance(stored, dict) else {}
        return {name: rules for name, rules in found.items() if rules is not None}

    def make_lists(self, rules: Rules) -> bool:
        kind_index = self.curation_panel.kind.findData(rules.kind)
        if kind_index >= 0:
            self.curation_panel.kind.setCurrentIndex(kind_index)
        return self.session.generate(rules)

    def _on_generated(self, count: int) -> None:
        self.curation_panel.refresh()  # the undo history stays: each step applies to the lists as they are now
        self.statusBar().showMessage(f"Made {count:,} lists; manual edits kept", 10000)

    def choose_export(self) -> None:
        filters = {f"{label} (*{suffix})": fmt for fmt, (label, suffix) in EXPORT_CHOICES.items()}
        name, chosen = QFileDialog.getSaveFileName(self, "Export recommendation lists", "recommendations.csv", ";;".join(filters))
        if name:
            self.export_lists(Path(name), filters.get(chosen, "csv"))

    def export_lists(self, out: Path, fmt: str) -> bool:
        """csv, json and the review sheet hold the list kind on screen; shop formats hold every kind."""
        kinds = LIST_KINDS if fmt in PLATFORM_FORMATS else (self.curation_panel.current_kind,)
        return self.session.export(out, fmt, kinds)

    def _on_exported(self, outcome: tuple) -> None:
        """Said on the status bar; what was left out, and what the file holds that the user should know, in the banner."""
        out, summary = outcome
        wrote = f"Wrote {summary.products:,} products' lists to {out}"
        said = []
        if summary.skipped:
            more = f" (and {len(summary.skipped) - 1:,} more)" if len(summary.skipped) > 1 else ""
            said.append(f"Left out of {out.name}: {summary.skipped[0]}{more}.")
        said += [f"{note[0].upper()}{note[1:]}." for note in summary.notes]
        if said:
            lines = [f"Left out: {reason}" for reason in summary.skipped] + summary.notes
            actions = [("Show All…", lambda: self._show_export_details(out, wrote, lines))] if len(lines) > 1 else []
            if summary.skipped:
                self.last_error = said[0]
            self.banner.show_message(f"{wrote}. " + " ".join(said), actions, "error" if summary.skipped else "notice", "exporting")
        self.statusBar().showMessage(wrote, 10000)

    def _show_export_details(self, out: Path, wrote: str, lines: list[str]) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, f"Exported {out.name}", f"{wrote}.", QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(lines[0] if len(lines) == 1 else f"{len(lines):,} things to know: see the details.")
        box.setDetailedText("\n".join(lines))
        box.exec()

    def step_product(self, step: int) -> None:
        """Walk the (filtered) catalog: the review flow's previous and next."""
        rows = self.catalog_filter.rowCount()
        if rows == 0:
            return
        current = self.catalog_view.currentIndex()
        row = current.row() + step if current.isValid() else 0
        if 0 <= row < rows:
            self._select_in_grid(self.catalog_filter.index(row, 0))

    # small things ------------------------------------------------------------------------
    def show_error(self, message: str, about: str = "") -> None:
        """`message` in the banner; `about` names the job whose later success takes it away."""
        self.last_error = message
        self.statusBar().clearMessage()  # an earlier success ("Wrote ...") must not stand beside it
        self.banner.show_message(message, about=about)

    def show_problem(self, problem: Problem) -> None:
        """A problem with the catalog, with a button for each thing the session says can be done."""
        offers = {
            "open-another": ("Open Another Catalog…", self.choose_catalog),
            "rebuild-index": ("Rebuild Index", self.session.rebuild_index),
            "make-lists": ("Make Lists…", self.open_lists_dialog),
            "forget-missing": ("Forget Missing Photos…", self.forget_missing),
        }
        self.last_error = problem.message
        self.statusBar().clearMessage()
        self.banner.show_message(problem.message, [offers[name] for name in problem.actions if name in offers], problem.tone, problem.about)

    def show_notice(self, message: str) -> None:
        """Something went wrong but was put right (a database restored from its backup): said, not alarming."""
        self.last_error = message
        self.banner.show_message(message[0].upper() + message[1:], tone="notice")

    def forget_missing(self) -> bool:
        """Catalog › Forget Missing Photos: after the user confirms, remove them and their lists for good."""
        store = self.session.store
        if store is None:
            self.show_error("open a catalog first")
            return False
        missing = store.missing_items()
        if not missing:
            self.statusBar().showMessage("No photo is missing from the catalog folder", 8000)
            return False
        listed = sum(1 for item in missing if self.session.curation and self.session.curation.state(item.id).entries)
        answer = QMessageBox.question(
            self,
            "Forget missing photos",
            f"{len(missing):,} photos are no longer in the catalog folder (the first: {missing[0].path}, {missing[0].missing}).\n\n"
            f"Forgetting them removes them from the workspace for good, with their recommendation lists "
            f"({listed:,} of them have one), and takes them out of other products' lists. "
            "If they come back later, they are new photos.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Discard,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Discard:
            return False
        return self.session.forget_missing()

    def set_thumb_size(self, size: int) -> None:
        size = max(64, min(APP_THUMB_SIZE, int(size)))
        for delegate in (self.catalog_delegate, self.results_delegate, self.list_delegate):
            delegate.thumb_size = size
        for view in (self.catalog_view, self.results_view, self.curation_panel.view):
            view.doItemsLayout()
        if self.size_slider.value() != size:
            self.size_slider.setValue(size)

    def _on_k(self, k: int) -> None:
        self.session.set_k(k)
        self.session.repeat_last_query()

    def _on_filter(self, text: str) -> None:
        self.loader.clear_pending()
        self.catalog_filter.set_text(text)
        self._update_count()

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def _context_menu(self, view: QListView, pos: QPoint) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            return
        path = Path(index.data(Roles.SourcePathRole))
        sku = index.data(Roles.SkuRole)
        menu = QMenu(self)
        item_id = int(index.data(Roles.ItemIdRole))
        menu.addAction("Find Lookalikes", lambda: self.session.query_item(item_id))
        owner = self.curation_panel.item_id
        if owner is not None and item_id != owner and self.session.store is not None:
            listed = self.session.store.item(owner)
            name = listed.title if listed else str(owner)
            # named, because the list shown need not be that of the lookalikes' query
            menu.addAction(f"Add to the List of {_short(name)}", lambda: self.curation_panel.add([item_id], self.curation_panel.model.rowCount()))
        menu.addSeparator()
        menu.addAction("Open Containing Folder", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
        menu.addAction("Copy Path", lambda: QGuiApplication.clipboard().setText(str(path)))
        copy_sku = menu.addAction("Copy SKU", lambda: QGuiApplication.clipboard().setText(sku or ""))
        copy_sku.setEnabled(bool(sku))
        menu.popup(view.viewport().mapToGlobal(pos))
        self._menu = menu

