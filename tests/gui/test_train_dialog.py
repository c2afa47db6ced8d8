"""The training dialog in the real window, offscreen: real key and mouse events, a real (small) training."""
from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from core.common import DEFAULT_ENCODER, TrainSettings
from core.similarity import OnnxEncoder
from gui.main_window import MainWindow
from gui.train_dialog import TrainDialog

WAIT = 300_000  # a busy two-core machine trains a few steps, checks and indexes in minutes at worst
LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
# Small batches, a short warm-up: a training of a few steps takes seconds, its check and indexing as a real one.
SMALL = replace(TrainSettings(), batch_size=8, warmup_steps=2)


@pytest.fixture
def opened(qtbot, window: MainWindow, demo_source: Path, tmp_path: Path) -> MainWindow:
    """The window on a demo catalog of 30 photos, indexed with the built-in encoder, trainable in seconds."""
    catalog = tmp_path / "catalog"
    shutil.copytree(demo_source, catalog)
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
        assert window.open_catalog(catalog)
    window.session.train_defaults = SMALL
    return window


def wait_active(widget: QWidget) -> None:
    widget.activateWindow()  # offscreen there is no window manager to make it active
    for _ in range(500):
        if widget.isActiveWindow():
            return
        QTest.qWait(10)
    raise AssertionError(f"{widget} never became active")


def open_dialog(qtbot, window: MainWindow) -> TrainDialog:
    """Model › Train on Catalog…, by its shortcut Ctrl+T."""
    wait_active(window)
    QTest.keyClick(window, Qt.Key.Key_T, CTRL)
    dialog = window.train_dialog
    qtbot.waitExposed(dialog)
    return dialog


def click(button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), f"{button.text()} cannot be clicked"
    QTest.mouseClick(button, LEFT)


def choose_steps(dialog: TrainDialog, steps: int) -> None:
    """Type a training length into the steps box (its lower limit lowered: a test trains for seconds, not minutes)."""
    dialog.steps.setMinimum(1)
    edit = dialog.steps.lineEdit()
    QTest.mouseClick(edit, LEFT)
    QTest.keyClick(edit, Qt.Key.Key_A, CTRL)
    QTest.keyClicks(edit, str(steps))
    QTest.keyClick(edit, Qt.Key.Key_Tab)
    assert dialog.steps.value() == steps


def wait_measured(qtbot, dialog: TrainDialog) -> None:
    qtbot.waitUntil(lambda: dialog.estimate.text().startswith("Takes "), timeout=WAIT)


def banner_button(window: MainWindow, text: str) -> QPushButton:
    found = [b for b in window.banner.buttons if b.text() == text]
    assert found, f"no {text!r} in the banner: {[b.text() for b in window.banner.buttons]}"
    return found[0]


def test_training_with_the_dialog_closed_keeps_its_verdict_and_the_encoder_set_aside_can_be_used(qtbot, opened, tmp_path):
    """One training: one time-left figure in the dialog and the status bar alike; the verdict in the window
    when the training ends with the dialog closed, and in the dialog opened again; Use the New One Anyway
    disabled until then, and then it puts the encoder set aside to use."""
    window = opened
    ws = window.session.ws
    in_use = ws.encoder_in_use().read_bytes()
    dialog = open_dialog(qtbot, window)
    assert dialog.use_new_button.isVisible() and not dialog.use_new_button.isEnabled(), "nothing to use before a training"
    QTest.mouseClick(dialog.use_new_button, LEFT)
    assert ws.encoder_in_use().read_bytes() == in_use and not window.session.busy()
    assert not dialog.verdict.isVisible()
    wait_measured(qtbot, dialog)
    assert "on this computer as busy as it is now" in dialog.estimate.text()
    assert "A step took" in dialog.estimate.toolTip()
    choose_steps(dialog, 4)
    seen: list[tuple[str, str]] = []

    def compare(p) -> None:  # connected after the window and the dialog: both have shown this report
        if p.stage == "train" and dialog.isVisible():
            seen.append((dialog.status.text(), window.progress_label.text()))

    with qtbot.waitSignal(window.session.trained, timeout=WAIT) as blocker:
        click(dialog.start_button)
        assert not dialog.use_new_button.isEnabled(), "not while training"
        window.session.job.progress.connect(compare)
        qtbot.waitUntil(lambda: len(seen) >= 2, timeout=WAIT)
        click(dialog.close_button)
        assert not dialog.isVisible() and window.session.busy(), "closing the dialog leaves the training running"
    for in_dialog, in_status_bar in seen:
        words = in_dialog.split(" · ")[-1]
        assert words.endswith(" left") and (words.startswith("about ") or words == "less than a minute left"), in_dialog
        assert in_status_bar.endswith(" · " + words), (in_dialog, in_status_bar)
        assert in_status_bar.count(" left") == 1 and ":" not in in_status_bar, in_status_bar

    result = blocker.args[0]
    assert result.set_aside is not None and not result.put_to_use, "30 photos are too few for the check: the one in use stays"
    assert ws.encoder_in_use().read_bytes() == in_use
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT)
    assert window.banner.label.text().startswith("Training done. The encoder in use stays. 30 photos are too few to tell")
    assert banner_button(window, "Use the New One Anyway").isEnabled()
    assert window.grab().save(str(tmp_path / "window-verdict.png"))

    again = open_dialog(qtbot, window)
    assert again is not dialog
    assert again.verdict.isVisible()
    assert again.verdict.text() == ("The encoder in use stays. 30 photos are too few to tell which encoder is better "
                                    "(the check needs 100). Use the New One Anyway puts it to use.")
    assert again.start_button.isEnabled() and not again.cancel_button.isEnabled()
    aside = Path(result.set_aside).read_bytes()
    with qtbot.waitSignal(window.session.indexed, timeout=WAIT) as indexed:
        click(again.use_new_button)
    assert indexed.args[0].encoded == 30
    assert ws.encoder_in_use().read_bytes() == aside, "the encoder set aside is the one in use now"
    assert not again.use_new_button.isEnabled()
    assert again.verdict.text().endswith("Since then the new one has been put to use.")
    assert again.grab().save(str(tmp_path / "train-dialog.png"))
    qtbot.waitUntil(window.previous_model_action.isEnabled, timeout=WAIT)
    qtbot.waitUntil(lambda: window.model_label.text().startswith("Trained on this catalog (30 photos) on "), timeout=WAIT)


def test_a_dialog_opened_again_during_training_follows_it(qtbot, opened):
    window = opened
    dialog = open_dialog(qtbot, window)
    wait_measured(qtbot, dialog)
    choose_steps(dialog, 200)
    click(dialog.start_button)
    qtbot.waitUntil(lambda: len(window.session.training_curve) >= 3, timeout=WAIT)
    click(dialog.close_button)
    again = open_dialog(qtbot, window)
    assert not again.start_button.isEnabled() and again.cancel_button.isEnabled()
    assert len(again.curve.train) >= 3, "the curve so far is drawn again"
    assert again.status.text().startswith("Step ") and again.status.text().endswith(" left")
    assert "reconstruction error" in again.status.text() and "Reconstruction error (loss)" in again.status.toolTip()
    job = window.session.job
    with qtbot.waitSignals([job.cancelled, job.done], timeout=WAIT):  # done: the last it says, before the window goes
        click(again.cancel_button)
    qtbot.waitUntil(lambda: again.status.text().startswith("Cancelled"), timeout=WAIT)
    assert again.start_button.isEnabled() and not again.use_new_button.isEnabled()
    assert not again.verdict.isVisible()


def test_the_status_bar_names_the_encoder_in_plain_words_in_local_time(qtbot, opened, monkeypatch):
    window = opened
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+5:30, no summer time
    time.tzset()
    try:
        wait_active(window)
        with qtbot.waitSignal(window.session.indexed, timeout=WAIT):
            QTest.keyClick(window, Qt.Key.Key_F5)  # Re-index: the label is written again, in this time zone
        qtbot.waitUntil(lambda: "index built" in window.model_label.text(), timeout=WAIT)
        text = window.model_label.text()
        built = window.session.store.get_meta("indexed_at")
    finally:
        monkeypatch.undo()
        time.tzset()
    from datetime import datetime, timedelta

    local = datetime.fromisoformat(built) + timedelta(hours=5, minutes=30)
    assert text == f"Built-in encoder · index built {local.day} {local:%b} at {local:%H:%M}"
    model_id = OnnxEncoder(DEFAULT_ENCODER).info.model_id
    assert "UTC" not in text and model_id not in text and "Fashion-MNIST" not in text
    tooltip = window.model_label.toolTip()
    assert model_id in tooltip and "Fashion-MNIST" in tooltip and "512 numbers per photo, from 224 x 224 pixels" in tooltip


def test_the_dialog_speaks_plainly_and_keeps_the_expert_words_in_tooltips(qtbot, opened):
    window = opened
    dialog = open_dialog(qtbot, window)
    form = dialog.layout().itemAt(0).layout()
    labels = [form.labelForField(w).text() for w in (dialog.latent, dialog.size)]
    assert labels == ["Detail kept", "Photo size while learning"]
    assert dialog.latent.currentText() == "64 numbers per photo"
    assert "Embedding size" in dialog.latent.toolTip() and "Input size" in dialog.size.toolTip()
    assert "Reconstruction error (loss)" in dialog.curve.toolTip()
    everything = " ".join(w.text() for w in dialog.findChildren(QPushButton)) + " " + dialog.estimate.text()
    assert "Embedding" not in everything and "Loss" not in everything
    assert not dialog.use_new_button.isEnabled()


def test_the_estimate_before_training_follows_the_length_chosen(qtbot, opened):
    window = opened
    dialog = open_dialog(qtbot, window)
    wait_measured(qtbot, dialog)
    session = window.session
    step = session.step_seconds(dialog.settings())
    assert step is not None and step > 0
    short = session.expected_training_seconds(dialog.settings())
    QTest.keyClick(dialog.steps.lineEdit(), Qt.Key.Key_PageUp)  # ten steps of 50 more
    longer = session.expected_training_seconds(dialog.settings())
    assert dialog.steps.value() == 1100
    assert longer == pytest.approx(short + 500 * step)
    QApplication.processEvents()
