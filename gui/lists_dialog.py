"""The dialog that sets the rules for making every product's list."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from core.lists import LIST_KINDS, Rules

CATEGORY_CHOICES = (("any", "Any category"), ("same", "Same category only"), ("other", "Other categories only (complete the look)"))
VARIANT_CHOICES = (("apart", "Leave out the product's own, one of any other design"), ("include", "Show them like any product"))
GROUP_CHOICES = (("none", "Nothing"), ("sku-prefix", "Same SKU prefix"), ("base-name", "Same file base name"))


class ListsDialog(QDialog):
    """k, minimum similarity, category and product-group rules, and which list to fill."""

    def __init__(self, kind: str, colour_weight: float = 0.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make recommendation lists")
        self.k = QSpinBox(minimum=1, maximum=100, value=10)
        self.min_score = QDoubleSpinBox(minimum=-1.0, maximum=1.0, singleStep=0.05, decimals=2, value=0.0)
        self.category = QComboBox()
        for value, label in CATEGORY_CHOICES:
            self.category.addItem(label, value)
        self.group = QComboBox()
        for value, label in GROUP_CHOICES:
            self.group.addItem(label, value)
        self.sku_prefix = QSpinBox(minimum=0, maximum=64, value=0, specialValueText="up to the last - or _")
        self.variants = QComboBox()
        for value, label in VARIANT_CHOICES:
            self.variants.addItem(label, value)
        self.variants.setToolTip("Colourways of one design, as Catalog › Find Duplicates found them")
        self.colour_weight = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.1, decimals=2, value=colour_weight)
        self.colour_weight.setToolTip("0 matches by shape alone, 1 by colour alone")
        self.kind = QComboBox()
        for value in LIST_KINDS:
            self.kind.addItem(value.capitalize(), value)
        self.kind.setCurrentIndex(LIST_KINDS.index(kind))
        form = QFormLayout(self)
        form.addRow("Products per list", self.k)
        form.addRow("Minimum similarity", self.min_score)
        form.addRow("Recommend from", self.category)
        form.addRow("Leave out variants with", self.group)
        form.addRow("SKU prefix length", self.sku_prefix)
        form.addRow("Colour variants", self.variants)
        form.addRow("Colour weight", self.colour_weight)
        form.addRow("Fill the list", self.kind)
        note = QLabel("Pinned entries keep their place, blocked ones stay out, notes stay. Only suggestions are replaced. "
                      "Copies of one photo (Catalog › Find Duplicates) are never listed twice, nor for themselves.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Make lists")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def rules(self) -> Rules:
        return Rules(
            k=self.k.value(),
            min_score=self.min_score.value(),
            category=self.category.currentData(),
            group=self.group.currentData(),
            sku_prefix=self.sku_prefix.value(),
            kind=self.kind.currentData(),
            colour_weight=self.colour_weight.value(),
            variants=self.variants.currentData(),
        )
