"""The main window: catalog grid on the left, the query and its lookalikes on the right."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import (
    QByteArray,
    QEvent,
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
    QApplication,
    QComboBox,
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
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.catalog import APP_THUMB_SIZE, ThumbnailCache
from core.common import IMAGE_SUFFIXES, SMALL_ENCODER, LookalikeError, Progress, training_problem
from core.lists import LIST_KINDS, PLATFORM_FORMATS, Rules, review
from core.shop import ImportReport, ShopExport, read_shop_export
from core.similarity import EncoderInfo
from core.storage import HistoryEntry, Workspace
from gui.bulk_edits import BulkEditor
from gui.catalog_items import CatalogItems, catalog_items, categories, kept_by_review, list_owner
from gui.colours import is_dark
from gui.curation_panel import CurationPanel
from gui.delegate import ThumbnailDelegate
from gui.encoder_words import encoder_line, encoder_tooltip, verdict
from gui.file_dialogs import choose_folder, choose_open_file, choose_save_file
from gui.first_run import FirstRunHint
from gui.grid_fit import GridFit
from gui.models import CatalogFilter, CatalogModel, ResultsModel
from gui.pasted import pasted_source
from gui.product_grid import ProductGrid
from gui.roles import Roles
from gui.session import CatalogSession, Problem, Query
from gui.shop_links import open_shop_page, shop_page
from gui.splitter_shares import SplitterShares
from gui.thumbnails import ThumbnailLoader
from gui.workers import Job, while_alive

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
    "duplicates": "Comparing shapes",
    "finding local features": "Finding local features",
    "matching photos": "Matching photos",
    "comparing photos": "Comparing pixels",
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

    # (background, border, text, button, button under the pointer) for a light and a dark window; the text
    # has a contrast of 5.7 or more on each background (WCAG asks 4.5 of text).
    _TONES = {
        ("error", False): ("#fde2e1", "#d98a85", "#6e1610", "#f8cdca", "#f2b7b3"),
        ("error", True): ("#4a1f1d", "#a0524c", "#ffdcd8", "#66302c", "#7a3a35"),
        ("notice", False): ("#fff4d6", "#d9b75a", "#4f3a00", "#f8e4a6", "#f1d587"),
        ("notice", True): ("#3f3412", "#9a8238", "#ffebb0", "#584a1c", "#6b5a22"),
    }
    _STYLE = (
        "#banner {{ background: {0}; border: 1px solid {1}; border-radius: 4px; }}"
        " #banner QLabel {{ color: {2}; background: transparent; }}"
        " #banner QPushButton {{ color: {2}; background: {3}; border: 1px solid {1}; border-radius: 3px; padding: 3px 10px; }}"
        " #banner QPushButton:flat {{ background: transparent; border-color: transparent; }}"
        " #banner QPushButton:hover {{ background: {4}; }}"
        " #banner QPushButton:pressed {{ background: {1}; }}"
        " #banner QPushButton:focus {{ border: 2px solid {2}; padding: 2px 9px; }}"
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: list[QPushButton] = []
        self.about = ""  # the job (its name) whose outcome the message tells of: a later success of it takes the message away
        self.shown = 0  # messages shown so far, to tell whether the one showing is still the one a job saw
        self._tone = "error"
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
        self._tone = tone
        self._colour()
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

    def _colour(self) -> None:
        """The tone's colours for the window's palette, light or dark (the banner's own is its style sheet's)."""
        around = self.parentWidget().palette() if self.parentWidget() is not None else QApplication.palette()
        style = self._STYLE.format(*self._TONES[(self._tone, is_dark(around))])
        if style != self.styleSheet():
            self.setStyleSheet(style)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange, QEvent.Type.ParentChange):
            self._colour()
        super().changeEvent(event)


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
        self.compare_dialog: Any = None  # the CompareDialog open, if any
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

        self.empty_hint = FirstRunHint(self.choose_catalog, self.choose_shop_export, self.open_demo)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 3, 6)
        left_layout.addWidget(self.filter_edit)
        left_layout.addLayout(self._build_review_filter())
        # On a small screen the filters narrow, to their first choices' width, rather than widen the pane past it.
        for combo in (self.review_filter, self.category_filter):
            metrics = combo.fontMetrics()
            combo.setMinimumWidth(metrics.horizontalAdvance(combo.itemText(0)) + 5 * metrics.averageCharWidth())
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
        self.colour_slider.setToolTip("Slide right to weigh colour in: left matches by shape alone; the middle finds the same kind "
                                      "of product in like colours first; right, the closest colours among products of a like shape")
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
        look_layout.setContentsMargins(0, 0, 0, 0)
        look_layout.addLayout(header)
        look_layout.addLayout(controls)
        self.results_holder = QVBoxLayout()
        look_layout.addLayout(self.results_holder, 1)
        look_layout.addWidget(QLabel("Recent queries"))
        look_layout.addWidget(self.history_list)

        self.undo = QUndoStack(self)
        self.curation_panel = CurationPanel(self.session, self.undo)
        self.curation_panel.step_requested.connect(self.step_product)
        self.curation_panel.kind.currentIndexChanged.connect(lambda _: self.apply_review_filter())
        self.bulk = BulkEditor(self.session, self.undo, self)
        for said in (self.bulk.confirmed, self.curation_panel.confirmed):
            said.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.bulk.lists_changed.connect(self._on_bulk_edit)
        # The candidates beside the list they are dragged into: curating means seeing both.
        self.curation_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.curation_splitter.setChildrenCollapsible(False)
        self.curation_splitter.addWidget(lookalikes)
        self.curation_splitter.addWidget(self.curation_panel)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(3, 6, 6, 6)  # the list's title, two lines in a narrow pane, clear of the toolbar
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

    def _build_review_filter(self) -> QHBoxLayout:
        """The review filters under the filter box: which lists of the kind shown, which category."""
        self.review_filter = QComboBox()
        for label, which in (("All lists", "all"), ("Unreviewed lists", "unreviewed"), ("Empty or weak lists", "weak")):
            self.review_filter.addItem(label, which)
        self.review_filter.setToolTip(
            "Show the products whose list (of the kind shown) wants a look; Reviewed, next walks them.\n"
            "Unreviewed: not marked reviewed yet.\n"
            f"Empty or weak: fewer than {review.WEAK_ENTRIES} entries, or a mean similarity in the lowest "
            f"{review.WEAK_SHARE:.0%} of the lists.\n"
            "The lists are looked at when a filter is chosen and after Make Lists or a bulk edit; "
            "a list reviewed since is skipped by Reviewed, next."
        )
        self.category_filter = QComboBox()
        self.category_filter.addItem("Any category", None)
        self.category_filter.setToolTip("Show the products of one category only")
        self.review_filter.currentIndexChanged.connect(lambda _: self.apply_review_filter())
        self.category_filter.currentIndexChanged.connect(lambda _: self.apply_review_filter())
        self.mark_shown_button = QPushButton("Mark Reviewed")
        self.mark_shown_button.setToolTip("Mark the lists of every product shown reviewed, as one step Ctrl+Z takes back (Ctrl+Shift+R)")
        self.mark_shown_button.clicked.connect(self.mark_shown_reviewed)
        row = QHBoxLayout()
        row.addWidget(self.review_filter)
        row.addWidget(self.category_filter, 1)
        row.addWidget(self.mark_shown_button)
        return row

    def apply_review_filter(self) -> None:
        """Keep the catalog rows whose lists the review filter and the category keep (read from the store now)."""
        which = str(self.review_filter.currentData())
        category = self.category_filter.currentData()
        store = self.session.store
        try:
            lists = review.summarise(store, self.curation_panel.current_kind) if which != "all" and store is not None else None
        except LookalikeError as exc:
            self.show_error(f"cannot filter by the lists: {exc}")
            return
        loaded = self._catalog_items
        kept = kept_by_review(self.catalog_model.items(), loaded.products, lists, which, category)
        if kept is None and not self.catalog_filter.restricted():
            return
        self.loader.clear_pending()
        self.catalog_filter.set_allowed(kept)
        self._update_count()

    def _show_categories(self) -> None:
        """The category filter's choices for the catalog shown, keeping the one chosen while it is there."""
        chosen = self.category_filter.currentData()
        found = categories(self.catalog_model.items())
        if [self.category_filter.itemData(i) for i in range(1, self.category_filter.count())] == found:
            return
        self.category_filter.blockSignals(True)
        try:
            self.category_filter.clear()
            self.category_filter.addItem("Any category", None)
            for name in found:
                self.category_filter.addItem(name, name)
            self.category_filter.setCurrentIndex(max(0, self.category_filter.findData(chosen)) if chosen in found else 0)
        finally:
            self.category_filter.blockSignals(False)

    def mark_shown_reviewed(self) -> int:
        """Mark the lists of the products the catalog grid shows reviewed (of the kind shown), as one undo step."""
        if self.session.curation is None:
            self.show_error("open a catalog first")
            return 0
        products = self._catalog_items.products
        shown = (self.catalog_model.item(self.catalog_filter.mapToSource(self.catalog_filter.index(row, 0)).row())
                 for row in range(self.catalog_filter.rowCount()))
        owners = [owner for item in shown if (owner := list_owner(item, products)) is not None]  # unreadable: no list
        if not owners:
            self.show_error("no product shown has a list to mark reviewed")
            return 0
        return self.bulk.mark_reviewed(owners, self.curation_panel.current_kind)

    def block_everywhere(self, item_id: int) -> int:
        """Block a product (its product's main photo) from every list of every kind, as one undo step."""
        products = self._catalog_items.products
        target = products.main(item_id) if item_id in products.by_id else item_id
        item = products.by_id.get(target)
        return self.bulk.block_everywhere(target, _short(item.title if item else str(target)))

    def _on_bulk_edit(self, states: list) -> None:
        """After a bulk edit, its undo or redo: the list shown and the review filter as the lists are now."""
        self.curation_panel.refresh()
        self.apply_review_filter()

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
        # Open in Shop acts on the card chosen in the grid last used: it follows choices and focus.
        self._grid_in_use: QListView = self.catalog_view
        for view in (self.catalog_view, self.results_view):
            view.selectionModel().selectionChanged.connect(self._update_product_actions)
            view.model().modelReset.connect(self._update_product_actions)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)
        self._update_product_actions()
        for view in (self.catalog_view, self.results_view):
            view.setDragEnabled(True)
            view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.catalog_stack.addWidget(self.empty_hint)
        self.catalog_stack.addWidget(self.catalog_view)
        self.results_holder.addWidget(self.results_view)
        self.curation_panel.set_delegate(self.list_delegate)
        # Cards fill each grid's rows; the lookalikes and the list, a few cards each, grow to fill their panes.
        self.grid_fits = (
            GridFit(self.catalog_view, self.catalog_delegate),
            GridFit(self.results_view, self.results_delegate, fill=True),
            GridFit(self.curation_panel.view, self.list_delegate, fill=True),
        )
        # Keyboard: the filter, then the grid it filters, then the panel on the right.
        chain = (self.filter_edit, self.catalog_view, self.k_spin, self.colour_slider, self.results_view, self.history_list, self.curation_panel.kind)
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        self.filter_edit.returnPressed.connect(self._into_grid)
        # Made, then narrowed: PySide6 ignores `context` given with a callable, and Down anywhere in the window would leave for the grid.
        into_grid = QShortcut(QKeySequence(Qt.Key.Key_Down), self.filter_edit)
        into_grid.setContext(Qt.ShortcutContext.WidgetShortcut)
        into_grid.activated.connect(self._into_grid)

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
        self.small_model_action = action("Use the Small, Fast Encoder", lambda: self.session.load_model(SMALL_ENCODER), None,
                                         "Index the catalog again with the small encoder: about 20 times faster, less exact")
        self.undo_action = self.undo.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo.createRedoAction(self, "Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.make_lists_action = action("Make Lists…", self.open_lists_dialog, "Ctrl+L", "Fill every product's recommendation list")
        self.export_lists_action = action("Export Lists…", self.choose_export, "Ctrl+E", "Write the lists for a shop platform")
        self.mark_shown_action = action("Mark Shown Lists Reviewed", self.mark_shown_reviewed, "Ctrl+Shift+R",
                                        "Mark the lists of every product the catalog shows reviewed, as one step")
        self.filter_action = action("Filter Catalog", self._focus_filter, QKeySequence.StandardKey.Find)
        self.bigger_action = action("Larger Thumbnails", lambda: self.set_thumb_size(self.catalog_delegate.thumb_size + 32), QKeySequence.StandardKey.ZoomIn)
        self.smaller_action = action("Smaller Thumbnails", lambda: self.set_thumb_size(self.catalog_delegate.thumb_size - 32), QKeySequence.StandardKey.ZoomOut)
        self.shop_page_action = action("Open in Shop", self.open_in_shop, "Ctrl+Shift+B", "Open the chosen product's page in the shop")
        self.compare_action = action("Compare…", self.compare_chosen, "Ctrl+Shift+C",
                                     "Two products side by side: two cards chosen with Ctrl+click, or a lookalike with its product")

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
        catalog_menu.addSeparator()
        catalog_menu.addActions([self.shop_page_action, self.compare_action])
        catalog_menu.setToolTipsVisible(True)  # why Open in Shop is off
        lists_menu = menu.addMenu("&Lists")
        lists_menu.addActions([self.make_lists_action, self.export_lists_action])
        lists_menu.addSeparator()
        lists_menu.addAction(self.mark_shown_action)
        model_menu = menu.addMenu("&Model")
        model_menu.addActions([self.train_action, self.load_model_action, self.export_model_action])
        model_menu.addSeparator()
        model_menu.addActions([self.previous_model_action, self.small_model_action])
        view_menu = menu.addMenu("&View")
        view_menu.addActions([self.bigger_action, self.smaller_action])
        self.help_action = action("Lookalike Help", self.show_help, QKeySequence.StandardKey.HelpContents, "A short guide: from a folder of photos to lists for the shop")
        self.about_action = action("About Lookalike", self.show_about)
        help_menu = menu.addMenu("&Help")
        help_menu.addActions([self.help_action, self.about_action])

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
        s.fetch_started.connect(self._on_job_started)
        s.results_ready.connect(self._on_results)
        s.history_changed.connect(self._on_history_changed)
        s.error.connect(self.show_error)
        s.problem.connect(self.show_problem)
        s.notice.connect(self.show_notice)
        s.forgotten.connect(lambda counts: self.statusBar().showMessage(f"Forgot {counts[0]:,} missing photos and {counts[1]:,} lists", 10000))
        s.indexed.connect(self._on_indexed)
        s.trained.connect(self._on_trained)
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
        self._fit_screen()
        width = self.width()  # first run: the catalog two fifths, the lookalikes and the list the rest, half each
        defaults = ((self.splitter, [width * 2 // 5, width * 3 // 5]), (self.curation_splitter, [width * 3 // 10] * 2))
        self.pane_shares: list[SplitterShares] = []
        for key, (splitter, sizes) in zip(("splitter", "curation_splitter"), defaults):
            # At about its size to come: sizes given to a splitter not yet laid out are squeezed into its first size.
            splitter.resize(sum(sizes), splitter.height())
            state = self.settings.value(key)
            if isinstance(state, QByteArray) and splitter.restoreState(state):
                sizes = splitter.sizes()
            else:
                splitter.setSizes(sizes)
            # Each pane keeps its share as the window grows and shrinks: one squeezed by a small window grows back.
            self.pane_shares.append(SplitterShares(splitter, sizes))

    def _fit_screen(self) -> None:
        """Keep the window, title bar and all, within the free part of its screen: a size remembered on a larger
        screen, or 1280 x 800 on a laptop at twice the scale, would put the status bar out of sight."""
        if self.isMaximized() or self.isFullScreen():
            return
        screen = QGuiApplication.screenAt(self.geometry().center()) or self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        room = screen.availableGeometry()
        title = self.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight, None, self)  # the frame is not known before it is shown
        self.resize(min(self.width(), room.width()), min(self.height(), room.height() - title))
        if self.testAttribute(Qt.WidgetAttribute.WA_Moved):  # a remembered place; a first one is the window manager's choice
            x = max(room.left(), min(self.x(), room.right() + 1 - self.width()))
            y = max(room.top() + title, min(self.y(), room.bottom() + 1 - self.height()))
            if (x, y) != (self.x(), self.y()):
                self.move(x, y)

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
        folder = choose_folder(self, self.settings, "catalog", "Open a catalog folder")
        if folder is not None:
            self.open_catalog(folder)

    def choose_shop_export(self) -> None:
        """Ask for a shop's product export (and, for Magento, where its images are) and a folder, then import."""
        path = choose_open_file(self, self.settings, "shop_export", "Open a shop's product export", "Product exports (*.csv);;All files (*)")
        if path is None:
            return
        try:
            shop = read_shop_export(path)
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
                media_dir = choose_folder(self, self.settings, "shop_media", "The shop's media folder (pub/media/catalog/product)", path.parent)
                if media_dir is None:
                    return
        # A new folder may be typed: it is made, and the photos go into it.
        folder = choose_folder(self, self.settings, "shop_catalog", "A folder for the shop's photos (new or empty, or an earlier import of this shop)",
                               path.parent, may_create=True)
        if folder is not None:
            self.import_shop_export(shop, folder, media_url, media_dir)

    def import_shop_export(self, shop: ShopExport, folder: Path, media_url: str | None = None, media_dir: Path | None = None) -> bool:
        """Import `shop` into `folder` in the background; the catalog opens when its photos are in."""
        if media_url is not None and not media_url.lower().startswith(("http://", "https://")):
            self.show_error(f"the media address must start with http:// or https://, not {media_url!r}")
            return False
        return self.session.import_shop(shop, folder, media_url, media_dir)

    def _on_imported(self, ws: Workspace, report: ImportReport) -> None:
        """Said on the status bar with the photos' tally; what did not come in, in the banner, every line of it one click away."""
        d = report.download
        summary = report.summary()
        tally = f"{d.fetched:,} photos fetched, {d.kept:,} already here" + (f", {len(d.failed):,} failed" if d.failed else "")
        self.open_catalog(ws.catalog)
        self.statusBar().showMessage(f"{summary} ({report.platform} export: {tally})", 15000)
        details = report.details()
        if details:
            self.last_error = summary
            self.banner.show_message(f"{summary}.", [("Details…", lambda: self._show_import_details(summary, details))], tone="notice")

    def _show_import_details(self, summary: str, lines: list[str]) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Shop export imported", f"{summary}.", QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(lines[0] if len(lines) == 1 else f"{len(lines):,} things to know: see the details.")
        box.setDetailedText("\n".join(lines))
        box.exec()

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
        self.catalog_model.reset(ws.catalog, loaded.tiles, loaded.search, loaded.products)
        self._show_categories()
        self.apply_review_filter()
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
        total = self.catalog_model.rowCount()  # a row per product
        shown = self.catalog_filter.rowCount()
        noun = "product" if total == 1 else "products"
        text = f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        if len(loaded.items) != total:  # products of several photos
            text += f" · {len(loaded.items):,} photos"
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
        catalog = self.session.ws.catalog.name if self.session.ws is not None else ""
        self.model_label.setText(encoder_line(info, built, catalog))
        self.model_label.setToolTip(encoder_tooltip(info))

    def _on_trained(self, result: Any) -> None:
        """The training's verdict in the window too: in the banner unless the training dialog shows it."""
        said = verdict(result)
        self.statusBar().showMessage(f"Training done. {said}", 15000)
        dialog = getattr(self, "train_dialog", None)
        if dialog is not None and dialog.isVisible():
            return
        actions = [("Use the New One Anyway", self.session.use_set_aside)] if self.session.set_aside() is not None else []
        self.banner.show_message(f"Training done. {said}", actions, tone="notice")

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
        job.done.connect(while_alive(self, lambda: self._on_job_done(job)))
        job.failed.connect(while_alive(self, lambda message: self._on_job_failed(job, message)))
        showing = self.banner.shown
        job.finished.connect(while_alive(self, lambda _: self._on_job_succeeded(job, showing)))
        job.cancelled.connect(while_alive(self, lambda: self.statusBar().showMessage(f"{job.name.capitalize()} cancelled", 8000)))

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
        else:
            self.progress_bar.setRange(0, 0)
            text += f" {p.done:,}" if p.done else ""
        estimate = self.session.time_left
        if estimate.last is p and estimate.words():  # the session's job: its one estimate, as its dialog shows it
            text += f" · {estimate.words()}"
        self.progress_label.setText(text)

    def _on_job_done(self, job: Job) -> None:
        if job is self.session.fetching:
            if self.session.job is not None and self.session.job.running:
                return  # the bar is the running job's again at its next progress
        elif job is not self.session.job and job.name != "demo":
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
            photo = self.catalog_model.photo(query.item_id)
            if photo is not None:
                source = ws.catalog / photo.path
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
        path = choose_open_file(self, self.settings, "photo", "Find lookalikes of a photo", f"Images ({patterns});;All files (*)")
        if path is not None:
            self.session.query_image(path)

    def paste_image(self) -> bool:
        """Ctrl+V: a picture on the clipboard, image files copied in a file manager, or a photo's web address or file path."""
        mime = QGuiApplication.clipboard().mimeData()
        urls = mime.urls() if mime is not None and mime.hasUrls() else []
        files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        if files:
            return self.query_files(files)
        image = QGuiApplication.clipboard().image()
        if not image.isNull():
            return self.session.query_image(image)
        texts = [u.toString() for u in urls] + [QGuiApplication.clipboard().text()]
        source = next((found for found in map(pasted_source, texts) if found is not None), None)
        if isinstance(source, str):
            return self.session.query_address(source)
        if source is None:
            self.show_error("the clipboard holds no picture, nor a photo's web address or file path")
            return False
        if not source.is_file():
            self.show_error(f"{source}: {'a folder, not a photo' if source.is_dir() else 'no such file'}")
            return False
        return self.query_files([source])

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

        previous = getattr(self, "train_dialog", None)
        if previous is not None and previous.isVisible():
            previous.raise_()
            previous.activateWindow()
            return
        if previous is not None:  # closed: a new one shows the same, read from the session
            previous.deleteLater()
        self.train_dialog = TrainDialog(self.session, self)
        self.train_dialog.show()

    def choose_model(self) -> None:
        path = choose_open_file(self, self.settings, "model", "Load an ONNX encoder", "ONNX models (*.onnx);;All files (*)")
        if path is not None:
            self.session.load_model(path)

    def choose_model_export(self) -> None:
        path, _ = choose_save_file(self, self.settings, "model_export", "Export the encoder", "encoder.onnx", "ONNX models (*.onnx)")
        if path is not None and self.session.export_model(path):
            self.statusBar().showMessage(f"Encoder written to {path}", 8000)

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
        self.apply_review_filter()  # lists made anew may be weak, or no longer
        self.statusBar().showMessage(f"Made {count:,} lists; manual edits kept", 10000)

    def choose_export(self) -> None:
        filters = {f"{label} (*{suffix})": fmt for fmt, (label, suffix) in EXPORT_CHOICES.items()}
        path, chosen = choose_save_file(self, self.settings, "export", "Export recommendation lists", "recommendations.csv", ";;".join(filters))
        if path is not None:
            self.export_lists(path, filters.get(chosen, "csv"))

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
        """Walk the (filtered) catalog: the review flow's previous and next.

        Under the Unreviewed filter, next passes over the products whose list was marked reviewed
        since the filter was applied (in this window or another).
        """
        rows = self.catalog_filter.rowCount()
        if rows == 0:
            return
        current = self.catalog_view.currentIndex()
        row = current.row() + step if current.isValid() else 0
        while step > 0 and row < rows and self._reviewed_since(row):
            row += 1
        if 0 <= row < rows:
            self._select_in_grid(self.catalog_filter.index(row, 0))
        elif step > 0:
            self.statusBar().showMessage("That was the last product shown; no more lists under this filter", 8000)

    def _reviewed_since(self, row: int) -> bool:
        """Whether the list of the product on this row of the grid is reviewed now, under the Unreviewed filter."""
        curation = self.session.curation
        if curation is None or self.review_filter.currentData() != "unreviewed":
            return False
        item = self.catalog_model.item(self.catalog_filter.mapToSource(self.catalog_filter.index(row, 0)).row())
        owner = list_owner(item, self._catalog_items.products)
        return owner is not None and curation.state(owner, self.curation_panel.current_kind).reviewed

    # small things ------------------------------------------------------------------------
    def show_help(self) -> None:
        """Help › Lookalike Help (F1): the guide, in a window beside this one."""
        from gui.help import HelpDialog

        if getattr(self, "help_dialog", None) is None:
            self.help_dialog = HelpDialog(self.shortcuts(), self)
        self.help_dialog.show()
        self.help_dialog.raise_()
        self.help_dialog.activateWindow()

    def shortcuts(self) -> dict[str, str]:
        """The window's actions that have a key, by attribute name: the key as this platform writes it."""
        return {name: act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                for name, act in vars(self).items() if isinstance(act, QAction) and not act.shortcut().isEmpty()}

    def show_about(self) -> None:
        from gui.help import about_text

        QMessageBox.about(self, "About Lookalike", about_text())

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
        chosen = self._chosen_with(view, index)
        adding = [i for i in chosen if i != owner]
        if owner is not None and adding and self.session.store is not None:
            listed = self.session.store.item(owner)
            name = listed.title if listed else str(owner)
            # named, because the list shown need not be that of the lookalikes' query
            what = "Add" if len(adding) == 1 else f"Add {len(adding)} Products"
            menu.addAction(f"{what} to the List of {_short(name)}", lambda: self.curation_panel.add(adding, self.curation_panel.model.rowCount()))
        if self.session.curation is not None:
            block = menu.addAction("Block From Every List", lambda: self.block_everywhere(item_id))
            block.setToolTip("Take this product out of every product's lists of every kind and never suggest it again; "
                             "one step Ctrl+Z takes back. Make Lists fills the places it leaves.")
        partner = self._compare_partner(view, item_id)
        if partner is not None:
            partner_id, partner_name = partner
            menu.addAction(f"Compare With {_short(partner_name)}…", lambda: self.compare(partner_id, item_id))
        menu.addSeparator()
        link, title = index.data(Roles.LinkRole), index.data(Roles.NameRole)
        page = shop_page(link, title)
        shop = menu.addAction("Open in Shop", lambda: self._open_shop_page(link, title))
        shop.setEnabled(page.url is not None)
        shop.setToolTip(page.url.toString() if page.url is not None else page.why)
        menu.setToolTipsVisible(True)
        menu.addAction("Open Containing Folder", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
        menu.addAction("Copy Path", lambda: QGuiApplication.clipboard().setText(str(path)))
        copy_sku = menu.addAction("Copy SKU", lambda: QGuiApplication.clipboard().setText(sku or ""))
        copy_sku.setEnabled(bool(sku))
        menu.popup(view.viewport().mapToGlobal(pos))
        self._menu = menu

    @staticmethod
    def _chosen_with(view: QListView, index: QModelIndex) -> list[int]:
        """The products a context menu on `index` acts on: the cards chosen, when it is one of several; else its own."""
        chosen = view.selectionModel().selectedIndexes()
        if len(chosen) > 1 and view.selectionModel().isSelected(index):
            return [int(i.data(Roles.ItemIdRole)) for i in sorted(chosen, key=lambda i: i.row())]
        return [int(index.data(Roles.ItemIdRole))]

    # one product, two products -------------------------------------------------------------
    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if new is self.catalog_view or new is self.results_view:
            self._grid_in_use = new
            self._update_product_actions()

    def _product_in_hand(self) -> QModelIndex:
        """The one card chosen in the grid last used, else in the catalog (invalid if none, or several, are)."""
        for view in dict.fromkeys((self._grid_in_use, self.catalog_view)):
            chosen = view.selectionModel().selectedIndexes()
            if len(chosen) == 1:
                return chosen[0]
        return QModelIndex()

    def _update_product_actions(self) -> None:
        """Open in Shop is on for a product with a web link, and says why it is off otherwise."""
        index = self._product_in_hand()
        if not index.isValid():
            self.shop_page_action.setEnabled(False)
            self.shop_page_action.setToolTip("Choose a product to open its page in the shop")
            return
        page = shop_page(index.data(Roles.LinkRole), index.data(Roles.NameRole))
        self.shop_page_action.setEnabled(page.url is not None)
        self.shop_page_action.setToolTip(f"Open {page.url.toString()}" if page.url is not None else page.why)

    def open_in_shop(self) -> bool:
        """Catalog › Open in Shop: the chosen product's page, from the link column of products.csv."""
        index = self._product_in_hand()
        if not index.isValid():
            self.show_error("choose a product to open its page in the shop")
            return False
        return self._open_shop_page(index.data(Roles.LinkRole), index.data(Roles.NameRole))

    def _open_shop_page(self, link: str | None, title: str | None) -> bool:
        problem = open_shop_page(link, title or "this product")
        if problem:
            self.show_error(problem)
            return False
        self.statusBar().showMessage(f"Opened {link} in the browser", 8000)
        return True

    def _compare_partner(self, view: QListView, item_id: int) -> tuple[int, str] | None:
        """The product a card would be compared with: the other of two chosen, else the catalog's product or the lookalikes' query."""
        chosen = view.selectionModel().selectedIndexes()
        ids = [int(i.data(Roles.ItemIdRole)) for i in chosen]
        if len(chosen) == 2 and item_id in ids:
            other = chosen[1 - ids.index(item_id)]
            return int(other.data(Roles.ItemIdRole)), str(other.data(Roles.NameRole))
        if view is self.catalog_view and len(chosen) == 1 and ids[0] != item_id:
            return ids[0], str(chosen[0].data(Roles.NameRole))
        query = self.session.last_query
        if view is self.results_view and query is not None and query.item_id is not None and query.item_id != item_id:
            return query.item_id, query.label
        return None

    def _pair_chosen(self) -> tuple[int, int] | None:
        """Two cards chosen in one grid (the current one second), or the lookalikes' product and the lookalike chosen."""
        for view in dict.fromkeys((self._grid_in_use, self.catalog_view, self.results_view)):
            chosen = view.selectionModel().selectedIndexes()
            if len(chosen) == 2:
                first, second = sorted(chosen, key=lambda i: i == view.currentIndex())
                return int(first.data(Roles.ItemIdRole)), int(second.data(Roles.ItemIdRole))
            if len(chosen) == 1 and view is self.results_view:
                partner = self._compare_partner(view, int(chosen[0].data(Roles.ItemIdRole)))
                if partner is not None:
                    return partner[0], int(chosen[0].data(Roles.ItemIdRole))
        return None

    def compare_chosen(self) -> bool:
        """Catalog › Compare: two cards chosen with Ctrl+click, or a lookalike chosen with the product it is a lookalike of."""
        pair = self._pair_chosen()
        if pair is None:
            self.show_error("choose two products to compare: Ctrl+click a second one, or choose one of the lookalikes")
            return False
        return self.compare(*pair)

    def compare(self, first: int, second: int) -> bool:
        """Show `second` beside `first`, with its score as a lookalike of `first` split into shape and colour."""
        store = self.session.store
        if self.session.searcher is None or store is None:
            self.show_error("index the catalog before comparing products")
            return False
        items = store.items_by_id([first, second])
        if first not in items or second not in items:
            self.show_error("that product is no longer in the catalog")
            return False
        from gui.compare_dialog import CompareDialog

        old = self.compare_dialog
        if old is not None:
            self.colour_timer.timeout.disconnect(old.refresh_score)
            old.close()
            old.deleteLater()
        self.compare_dialog = CompareDialog(self.session, items[first], items[second], self)
        self.colour_timer.timeout.connect(self.compare_dialog.refresh_score)  # after the session takes the new weight
        self.compare_dialog.show()
        return True

