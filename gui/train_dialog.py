"""The dialog that trains an encoder on the open catalog, with a live loss curve and Cancel."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.common import Progress, TrainSettings
from gui.loss_curve import LossCurve
from gui.session import CatalogSession
from gui.workers import Job


class TrainDialog(QDialog):
    """Settings, Start, then progress and loss as the session's training job runs."""

    def __init__(self, session: CatalogSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.job: Job | None = None
        self._started = 0.0
        self.setWindowTitle("Train an encoder on this catalog")
        defaults = TrainSettings()
        self.start_from = QComboBox()
        self.start_from.addItem("The encoder in use (learns this catalog on top of what it knows)", False)
        self.start_from.addItem("Scratch (a fresh encoder)", True)
        self.steps = QSpinBox(minimum=50, maximum=100_000, singleStep=50, value=defaults.fine_tune_steps, suffix=" steps")
        self.steps.setToolTip("Each step learns from 128 photos; the time a step takes does not grow with the catalog")
        self.keep = QComboBox()
        self.keep.addItem("The better one, checked on this catalog's photos", "better")
        self.keep.addItem("The new one, whatever the check says", "new")
        self.latent = QComboBox()
        for dim in (32, 64, 128):
            self.latent.addItem(f"{dim} numbers", dim)
        self.latent.setCurrentIndex(1)
        self.size = QComboBox()
        for side in (32, 64, 96):
            self.size.addItem(f"{side} x {side} pixels", side)
        self.size.setCurrentIndex(1)
        self.start_from.currentIndexChanged.connect(self._on_start_from)
        form = QFormLayout()
        form.addRow("Start from", self.start_from)
        form.addRow("Training length", self.steps)
        form.addRow("Then use", self.keep)
        form.addRow("Embedding size", self.latent)
        form.addRow("Input size", self.size)
        self._settings_widgets = (self.start_from, self.steps, self.keep, self.latent, self.size)
        self._on_start_from()
        self.curve = LossCurve()
        self.progress = QProgressBar()
        self.status = QLabel("The encoder in use stays in use until training finishes, and after it unless the new one does better.")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.buttons = QDialogButtonBox()
        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.use_new_button = QPushButton("Use the New One Anyway")
        self.use_new_button.setToolTip("Index the catalog with the encoder just trained, though the check kept the one in use")
        self.use_new_button.setVisible(False)
        self._set_aside: Path | None = None
        for button, role in (
            (self.start_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.use_new_button, QDialogButtonBox.ButtonRole.ActionRole),
            (self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole),
            (self.close_button, QDialogButtonBox.ButtonRole.RejectRole),
        ):
            self.buttons.addButton(button, role)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.session.cancel)
        self.close_button.clicked.connect(self.reject)
        self.use_new_button.clicked.connect(self.use_new_encoder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.curve, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(600, 480)

    def _on_start_from(self) -> None:
        scratch = bool(self.start_from.currentData())
        for widget in (self.latent, self.size):  # an encoder trained further keeps its shape
            widget.setEnabled(scratch)

    def settings(self) -> TrainSettings:
        return self.session.settings_for_training(
            self.steps.value(), self.latent.currentData(), self.size.currentData(), from_scratch=bool(self.start_from.currentData())
        )

    def start(self) -> bool:
        if not self.session.train(self.settings(), keep=self.keep.currentData()):
            return False
        job = self.session.job
        assert job is not None
        self.job = job
        self._started = time.monotonic()
        self.curve.clear()
        self.use_new_button.setVisible(False)
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.cancelled.connect(lambda: self._finish("Cancelled: the previous model is still in use."))
        job.failed.connect(lambda message: self._finish(f"Failed: {message}"))
        for widget in (*self._settings_widgets, self.start_button):
            widget.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Reading photos...")
        return True

    def _on_progress(self, p: Progress) -> None:
        if p.stage == "train" and p.loss is not None:
            self.curve.total_steps = max(1, p.total)
            if p.detail.startswith("epoch"):
                self.curve.add_validation(p.done, p.loss)
            else:
                self.curve.add_train(p.done, p.loss)
            elapsed = time.monotonic() - self._started
            left = elapsed / max(p.done, 1) * (p.total - p.done)
            self.status.setText(f"Step {p.done:,} of {p.total:,} · loss {p.loss:.4f} · about {max(left, 0) / 60:.0f} min left")
        elif p.stage == "check":
            self.status.setText(f"Checking the new encoder against the one in use: {p.detail}" if p.done else "Checking the new encoder against the one in use...")
        elif p.stage in ("load", "encode", "index"):
            self.status.setText({"load": "Reading photos", "encode": "Re-indexing with the new model", "index": "Building the index"}[p.stage] + "...")
        self.progress.setMaximum(max(p.total, 1))
        self.progress.setValue(p.done)

    def _on_finished(self, result) -> None:
        self._set_aside = result.set_aside
        self.use_new_button.setVisible(result.set_aside is not None)
        self._finish(f"Done: {result.outcome[0].upper()}{result.outcome[1:]}.")

    def use_new_encoder(self) -> bool:
        """Put the encoder the check set aside to use after all (it can be undone from the Model menu)."""
        if self._set_aside is None or not self.session.load_model(self._set_aside):
            return False
        self.use_new_button.setVisible(False)
        self.status.setText("Re-indexing with the new encoder; Model › Go Back to the Previous Encoder undoes it.")
        return True

    def _finish(self, message: str) -> None:
        self.status.setText(message)
        self.cancel_button.setEnabled(False)
        for widget in (*self._settings_widgets, self.start_button):
            widget.setEnabled(True)
        self._on_start_from()
