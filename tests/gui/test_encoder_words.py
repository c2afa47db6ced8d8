"""The encoder in use and a training's verdict, in a merchandiser's words."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.common import DEFAULT_ENCODER
from core.similarity import EncoderInfo
from core.training.compare import Comparison
from gui.encoder_words import encoder_line, encoder_tooltip, local_time, verdict


@pytest.fixture
def in_kolkata(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+5:30
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def info(path: str, trained_on: str, created: str = "2026-12-07T08:35:00+00:00", model_id: str = "0123456789abcdef") -> EncoderInfo:
    return EncoderInfo(path, model_id, 64, 64, trained_on, created)


def test_times_are_local_and_without_the_year_of_this_year(in_kolkata):
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc)
    assert local_time("2026-12-07T08:35:00+00:00", now) == "7 Dec at 14:05"
    assert local_time("2025-11-30T20:00:00+00:00", now) == "1 Dec 2025 at 01:30"
    assert local_time("not a time", now) == ""


def test_the_built_in_small_encoder_by_its_id_wherever_its_copy_is(in_kolkata, tmp_path):
    from core.common import SMALL_ENCODER
    from core.similarity import OnnxEncoder

    small = OnnxEncoder(SMALL_ENCODER).info
    copy = info(str(tmp_path / "encoder-2.onnx"), small.trained_on, model_id=small.model_id)
    assert encoder_line(copy, "2026-12-07T08:37:00+00:00", "catalog") == "Built-in small encoder · index built 7 Dec at 14:07"
    other = info(str(tmp_path / "encoder-3.onnx"), small.trained_on)
    assert encoder_line(other, "", "catalog").startswith("Encoder trained on ")


def test_the_built_in_encoder(in_kolkata):
    built_in = info(str(DEFAULT_ENCODER), "60000 recoloured Fashion-MNIST items + 12000 rendered demo products")
    line = encoder_line(built_in, "2026-12-07T08:37:00+00:00", "catalog")
    assert line.startswith("Built-in encoder · index built ") and line.endswith(" at 14:07")
    tip = encoder_tooltip(built_in)
    assert "0123456789abcdef" in tip and "Fashion-MNIST" in tip and "64 numbers per photo" in tip


def test_an_encoder_trained_on_this_catalog_or_another(in_kolkata, tmp_path):
    trained = info(str(tmp_path / "encoder-1.onnx"), "catalog catalog (1000 images, from the encoder in use)")
    assert encoder_line(trained, "", "catalog").startswith("Trained on this catalog (1,000 photos) on ")
    assert encoder_line(trained, "", "catalog").endswith(" at 14:05 · not indexed yet")
    assert encoder_line(trained, "", "shoes").startswith("Trained on the catalog “catalog” (1,000 photos) on ")
    other = info(str(tmp_path / "encoder-2.onnx"), "tests", created="")
    assert encoder_line(other, "", "catalog") == "Encoder trained on tests · not indexed yet"


def result(check: Comparison | None, put_to_use: bool = False, set_aside: Path | None = None) -> SimpleNamespace:
    return SimpleNamespace(check=check, put_to_use=put_to_use, set_aside=set_aside, model_path=Path("/x/new.onnx"))


def test_the_verdict_says_which_encoder_is_better_and_by_how_much(tmp_path):
    better = verdict(result(Comparison(0.64, 0.58, 400), put_to_use=True))
    assert better == ("The new encoder is in use. The new encoder is better by 6 points: it keeps 64% of a photo's "
                      "lookalikes when the photo is retaken a little differently, the one in use 58% (checked on 400 photos).")
    worse = verdict(result(Comparison(0.55, 0.58, 2811), set_aside=tmp_path / "last-trained.onnx"))
    assert worse.startswith("The encoder in use stays. The new encoder is worse by 3 points: it keeps 55%")
    assert "(checked on 2,811 photos)" in worse
    few = verdict(result(Comparison(0.9, 0.5, 30), set_aside=tmp_path / "last-trained.onnx"))
    assert few == "The encoder in use stays. 30 photos are too few to tell which encoder is better (the check needs 100)."
