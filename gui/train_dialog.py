"""The dialog that trains an encoder on the open catalog: how long it will take, its progress, and its verdict.

What it shows lives in the session (the running training, its one time-left estimate, the last
verdict), so closing the dialog loses nothing and a dialog opened again shows the same.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.common import Progress, TrainSettings
from gui.encoder_words import verdict
from gui.loss_curve import LossCurve
from gui.session import CatalogSession
from gui.time_left import duration_in_words
from gui.workers import Job

STAGES = {"load": "Reading the photos…", "check": "Checking the new encoder against the one in use…",
          "encode": "Indexing the catalog with the new encoder…", "index": "Building the index…"}


def _same_shape(a: TrainSettings, b: TrainSettings) -> bool:
    return (a.start_from_in_use, a.input_size, a.latent_dim) == (b.start_from_in_use, b.input_size, b.latent_dim)


class TrainDialog(QDialog):
    """Settings with an estimate measured on this computer, Start, then progress; the verdict when done."""

    def __init__(self, session: CatalogSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.job: Job | None = None
        self.setWindowTitle("Train an encoder on this catalog")
        defaults = TrainSettings()
        self.start_from = QComboBox()
        self.start_from.addItem("The encoder in use (learns this catalog on top of what it knows)", False)
        self.start_from.addItem("Scratch (a fresh encoder)", True)
        self.steps = QSpinBox(minimum=50, maximum=100_000, singleStep=50, value=defaults.fine_tune_steps, suffix=" steps")
        self.steps.setToolTip("Each step learns from 128 photos; the time a step takes does not grow with the catalog")
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.keep = QComboBox()
        self.keep.addItem("The better one, checked on this catalog's photos", "better")
        self.keep.addItem("The new one, whatever the check says", "new")
        self.latent = QComboBox()
        for dim, note in ((32, " (coarser, quicker)"), (64, ""), (128, " (finer, slower)")):
            self.latent.addItem(f"{dim} numbers per photo{note}", dim)
        self.latent.setCurrentIndex(1)
        self.latent.setToolTip("Embedding size (latent dimension): the numbers the encoder keeps of each photo to compare "
                               "it with others. More keep finer detail but learn slower.")
        self.size = QComboBox()
        for side in (32, 64, 96):
            self.size.addItem(f"{side} x {side} pixels", side)
        self.size.setCurrentIndex(1)
        self.size.setToolTip("Input size: the encoder sees each photo shrunk to this many pixels. Larger sees more detail, "
                             "and each step takes longer.")
        form = QFormLayout()
        form.addRow("Start from", self.start_from)
        form.addRow("Training length", self.steps)
        form.addRow("", self.estimate)
        form.addRow("Then use", self.keep)
        form.addRow("Detail kept", self.latent)
        form.addRow("Photo size while learning", self.size)
        for field in (self.latent, self.size):
            label = form.labelForField(field)
            if label is not None:
                label.setToolTip(field.toolTip())
        self._settings_widgets = (self.start_from, self.steps, self.keep, self.latent, self.size)
        self.curve = LossCurve()
        self.progress = QProgressBar()
        self.status = QLabel("The encoder in use stays in use until training finishes, and after it unless the new one does better.")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 2)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setFrameShape(QFrame.Shape.StyledPanel)
        self.verdict.setMargin(6)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.hide()
        self.buttons = QDialogButtonBox()
        self.start_button = QPushButton("Start Training")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel Training")
        self.close_button = QPushButton("Close")
        self.use_new_button = QPushButton("Use the New One Anyway")
        self.use_new_button.setToolTip("Available when a training's new encoder was kept aside because it did no better "
                                       "than the one in use: indexes the catalog with it (Model › Go Back to the Previous "
                                       "Encoder undoes it)")
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
        self.start_from.currentIndexChanged.connect(self._on_shape)
        self.latent.currentIndexChanged.connect(self._on_shape)
        self.size.currentIndexChanged.connect(self._on_shape)
        self.steps.valueChanged.connect(self._show_estimate)
        session.step_measured.connect(self._on_measured)
        session.set_aside_changed.connect(self._show_verdict)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.curve, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.verdict)
        layout.addWidget(self.buttons)
        self.resize(640, 560)
        self._measure_failed = ""
        self._line = ""
        running = session.job
        if running is not None and running.running and running.name == "training":
            self._follow(running)
        else:
            self._set_running(False)
            self._on_shape()
        self._show_verdict()

    # before training ----------------------------------------------------------------------
    def settings(self) -> TrainSettings:
        return self.session.settings_for_training(
            self.steps.value(), self.latent.currentData(), self.size.currentData(), from_scratch=bool(self.start_from.currentData())
        )

    def _on_shape(self) -> None:
        """Another kind of training chosen: its steps are timed on this computer unless they were already."""
        scratch = bool(self.start_from.currentData())
        for widget in (self.latent, self.size):  # an encoder trained further keeps its shape
            widget.setEnabled(scratch and not self._running())
        self._measure_failed = ""
        if self.session.step_seconds(self.settings()) is None and not self._running():
            self.session.measure_training(self.settings())
        self._show_estimate()

    def _on_measured(self, settings: TrainSettings, result: Any) -> None:
        if _same_shape(settings, self.settings()):
            self._measure_failed = result if isinstance(result, str) else ""
            self._show_estimate()

    def _show_estimate(self) -> None:
        """How long the chosen training will take, from steps timed on this computer as busy as it is now."""
        settings = self.settings()
        seconds = self.session.expected_training_seconds(settings)
        if self._measure_failed:
            self.estimate.setText(f"How long it takes could not be measured: {self._measure_failed}")
        elif seconds is None:
            self.estimate.setText("Timing a few steps on this computer to tell how long training takes…")
        else:
            step = self.session.step_seconds(settings) or 0.0
            self.estimate.setText(f"Takes {duration_in_words(seconds)} on this computer as busy as it is now.")
            self.estimate.setToolTip(f"A step took {step:.2f} s when timed just now; the check of the new encoder "
                                     "comes after the steps. Other programs running make it slower.")

    # training -----------------------------------------------------------------------------
    def start(self) -> bool:
        if not self.session.train(self.settings(), keep=self.keep.currentData()):
            return False
        job = self.session.job
        assert job is not None
        self.verdict.hide()
        self._follow(job)
        return True

    def _follow(self, job: Job) -> None:
        """Show the session's training job as it runs (one started here, or before this dialog opened)."""
        self.job = job
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.cancelled.connect(self._on_cancelled)
        job.failed.connect(self._on_failed)
        self._set_running(True)
        self.curve.clear(self.steps.value())
        self._line = "Reading the photos…"
        for p in self.session.training_curve:
            self._on_progress(p)
        self._show_status()

    def _on_progress(self, p: Progress) -> None:
        if p.stage == "train" and p.loss is not None:
            self.curve.total_steps = max(1, p.total)
            if p.detail.startswith("epoch"):
                self.curve.add_validation(p.done, p.loss)
            else:
                self.curve.add_train(p.done, p.loss)
            self._line = f"Step {p.done:,} of {p.total:,} · reconstruction error {p.loss:.4f}"
            self.status.setToolTip(f"Reconstruction error (loss): {p.loss:.6f}, pass {p.epoch} over the photos. "
                                   "How far the encoder's redrawing of a photo is from the photo: lower is better.")
        elif p.stage in STAGES:
            self._line = STAGES[p.stage]
        self.progress.setMaximum(max(p.total, 1))
        self.progress.setValue(p.done)
        self._show_status()

    def _show_status(self) -> None:
        """Where the training is, with the session's one time-left estimate (the status bar shows the same)."""
        words = self.session.time_left.words()
        self.status.setText(f"{self._line} · {words}" if words else self._line)

    def _on_cancelled(self) -> None:
        self._finish("Cancelled: the encoder in use is still in use.")

    def _on_failed(self, message: str) -> None:
        self._finish(f"Failed: {message}")

    def _on_finished(self, result: Any) -> None:
        self._finish("Done.")
        self._show_verdict(result)

    def _finish(self, message: str) -> None:
        self.status.setText(message)
        self.status.setToolTip("")
        self._set_running(False)
        self._on_shape()

    def _running(self) -> bool:
        return self.job is not None and self.job.running

    def _set_running(self, running: bool) -> None:
        for widget in (*self._settings_widgets, self.start_button):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.use_new_button.setEnabled(not running and self.session.set_aside() is not None)

    # after training -----------------------------------------------------------------------
    def _show_verdict(self, result: Any = None) -> None:
        """The last training's verdict (kept by the session), and the button for an encoder it set aside."""
        result = result or self.session.training
        self.use_new_button.setEnabled(not self._running() and self.session.set_aside() is not None)
        if result is None:
            return
        text = verdict(result)
        if result.set_aside is not None and self.session.set_aside_used:
            text += " Since then the new one has been put to use."
        elif self.session.set_aside() is not None:
            text += " Use the New One Anyway puts it to use."
        self.verdict.setText(text)
        self.verdict.setToolTip(result.outcome[0].upper() + result.outcome[1:] + ".")
        self.verdict.show()

    def use_new_encoder(self) -> bool:
        """Put the encoder the check set aside to use after all (it can be undone from the Model menu)."""
        if not self.session.use_set_aside():
            return False
        self.status.setText("Indexing the catalog with the new encoder; Model › Go Back to the Previous Encoder undoes it.")
        return True
