"""The dialog that sets the rules for making every product's list."""
from __future__ import annotations

from typing import Mapping

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.lists import LIST_KINDS, Rules

CATEGORY_CHOICES = (("any", "Any category"), ("same", "Same category only"), ("other", "Other categories only (complete the look)"))
VARIANT_CHOICES = (("apart", "Leave out the product's own, one of any other design"), ("include", "Show them like any product"))
GROUP_CHOICES = (("none", "Nothing"), ("sku-prefix", "Same SKU prefix"), ("base-name", "Same file base name"))


class ListsDialog(QDialog):
    """k, minimum similarity, category and product-group rules, and which list to fill.

    It opens on the rules the catalog's lists of that kind were last made with (`remembered`, by
    kind), and turns to another kind's when that list is chosen; a kind never made starts from
    the defaults and the colour weight on screen. Named presets (the user's, in `presets`) set every
    rule but the kind; one saved here is in `presets` when the dialog closes, made or not.
    """

    def __init__(self, kind: str, colour_weight: float = 0.0, parent: QWidget | None = None,
                 remembered: Mapping[str, Rules] | None = None, presets: Mapping[str, Rules] | None = None) -> None:
        super().__init__(parent)
        self._remembered = dict(remembered or {})
        self.presets = dict(presets or {})
        self._colour_weight = colour_weight
        self._photos = Rules().photos  # not asked here: kept as the lists were made
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
        self.variants.setToolTip("Colourways of one design, as Catalog › Find Duplicates found them and you confirmed them (Same Design)")
        self.colour_weight = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.1, decimals=2, value=colour_weight)
        self.colour_weight.setToolTip("0 matches by shape alone; higher weighs colour in, among products of a like shape")
        self.kind = QComboBox()
        for value in LIST_KINDS:
            self.kind.addItem(value.capitalize(), value)
        self.kind.setCurrentIndex(LIST_KINDS.index(kind))
        self.show_rules(self._rules_for(kind))
        self.kind.currentIndexChanged.connect(lambda _: self.show_rules(self._rules_for(self.kind.currentData())))
        self.preset = QComboBox()
        self.preset.setToolTip("Rules saved under a name, for any catalog")
        self._list_presets()
        self.preset.activated.connect(self._use_preset)
        self.save_preset_button = QPushButton("Save as Preset…")
        self.save_preset_button.clicked.connect(self._save_preset)
        preset_row = QHBoxLayout()
        preset_row.addWidget(self.preset, 1)
        preset_row.addWidget(self.save_preset_button)
        form = QFormLayout(self)
        form.addRow("Preset", preset_row)
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

    def _list_presets(self, chosen: str | None = None) -> None:
        self.preset.clear()
        self.preset.addItem("As the lists were last made" if self._remembered else "None chosen", None)
        for name in sorted(self.presets, key=str.casefold):
            self.preset.addItem(name, name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(chosen)) if chosen else 0)

    def _use_preset(self, index: int) -> None:
        name = self.preset.itemData(index)
        self.show_rules(self.presets[name] if name in self.presets else self._rules_for(self.kind.currentData()))

    def _save_preset(self) -> None:
        name, ok = QInputDialog.getText(self, "Save as preset", "A name for these rules:", text=self.preset.currentData() or "")
        name = name.strip()
        if ok and name:
            self.presets[name] = self.rules()
            self._list_presets(name)

    def _rules_for(self, kind: str) -> Rules:
        return self._remembered.get(kind) or Rules(kind=kind, colour_weight=self._colour_weight)

    def show_rules(self, rules: Rules) -> None:
        """Set every field to `rules` but the kind, which stays as chosen."""
        self.k.setValue(rules.k)
        self.min_score.setValue(rules.min_score)
        for combo, value in ((self.category, rules.category), (self.group, rules.group), (self.variants, rules.variants)):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self.sku_prefix.setValue(rules.sku_prefix)
        self.colour_weight.setValue(rules.colour_weight)
        self._photos = rules.photos

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
            photos=self._photos,
        )
