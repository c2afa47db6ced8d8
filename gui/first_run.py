"""What the window shows before any catalog is open: what Lookalike needs, and a button for each way to begin."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class FirstRunHint(QWidget):
    """Open a catalog folder, import a shop export, or try the demo: the three ways in, as buttons."""

    def __init__(self, open_catalog: Callable[[], object], import_shop: Callable[[], object], open_demo: Callable[[], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("first-run")
        title = QLabel("<h2>Open a catalog to begin</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "A catalog is a folder of product photos. Lookalike reads them once, then shows for each "
            "product the ones that look most alike, for your shop's \u201cyou may also like\u201d lists. "
            "You can also drop a folder onto the window. Press F1 for a short guide."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.open_button = QPushButton("Open a Catalog Folder…")
        self.open_button.setToolTip("A folder of product photos, with a products.csv if you have one")
        self.open_button.clicked.connect(open_catalog)
        self.shop_button = QPushButton("Import a Shop Export…")
        self.shop_button.setToolTip("A Shopify, WooCommerce or Magento product export: its photos are fetched into a folder")
        self.shop_button.clicked.connect(import_shop)
        self.demo_button = QPushButton("Try the Demo Catalog")
        self.demo_button.setToolTip("A catalog of drawn products, made on this computer in a few seconds")
        self.demo_button.clicked.connect(open_demo)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addSpacing(12)
        for button in (self.open_button, self.shop_button, self.demo_button):
            button.setMinimumWidth(240)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.open_button.setDefault(True)
