"""The dialog that trains an encoder on the open catalog, with a live loss curve and Cancel."""
from __future__ import annotations

import time

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
        self.epochs = QSpinBox(minimum=1, maximum=500, value=defaults.epochs)
        self.latent = QComboBox()
        for dim in (32, 64, 128):
            self.latent.addItem(f"{dim} numbers", dim)
        self.latent.setCurrentIndex(1)
        self.size = QComboBox()
        for side in (32, 64, 96):
            self.size.addItem(f"{side} x {side} pixels", side)
        self.size.setCurrentIndex(1)
        form = QFormLayout()
        form.addRow("Epochs", self.epochs)
        form.addRow("Embedding size", self.latent)
        form.addRow("Input size", self.size)
        self.curve = LossCurve()
        self.progress = QProgressBar()
        self.status = QLabel("The model in use stays in use until training finishes.")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        for button, role in (
            (self.start_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole),
            (self.close_button, QDialogButtonBox.ButtonRole.RejectRole),
        ):
            self.buttons.addButton(button, role)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.session.cancel)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.curve, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 440)

    def settings(self) -> TrainSettings:
        return self.session.settings_for_training(self.epochs.value(), self.latent.currentData(), self.size.currentData())

    def start(self) -> bool:
        if not self.session.train(self.settings()):
            return False
        job = self.session.job
        assert job is not None
        self.job = job
        self._started = time.monotonic()
        self.curve.clear()
        job.progress.connect(self._on_progress)
        job.finished.connect(lambda result: self._finish(f"Done: best epoch {result.best_epoch}; the new model is in use."))
        job.cancelled.connect(lambda: self._finish("Cancelled: the previous model is still in use."))
        job.failed.connect(lambda message: self._finish(f"Failed: {message}"))
        for widget in (self.epochs, self.latent, self.size, self.start_button):
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
            self.status.setText(f"Epoch {p.epoch} · loss {p.loss:.4f} · about {left / 60:.0f} min left")
        elif p.stage in ("load", "encode", "index"):
            self.status.setText({"load": "Reading photos", "encode": "Re-indexing with the new model", "index": "Building the index"}[p.stage] + "...")
        self.progress.setMaximum(max(p.total, 1))
        self.progress.setValue(p.done)

    def _finish(self, message: str) -> None:
        self.status.setText(message)
        self.cancel_button.setEnabled(False)
        for widget in (self.epochs, self.latent, self.size, self.start_button):
            widget.setEnabled(True)
