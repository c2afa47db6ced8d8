"""The one time-left estimate: from a job's own pace, said as a person says it."""
from __future__ import annotations

import pytest

from core.common import Progress
from gui.time_left import TimeLeft, duration_in_words, in_words


@pytest.mark.parametrize(("seconds", "words"), [
    (10, "less than a minute left"),
    (70, "about a minute left"),
    (22 * 60 + 43, "about 23 minutes left"),
    (44 * 60, "about 44 minutes left"),
    (60 * 60, "about 1 hour left"),
    (70 * 60 + 20, "about 1 hour 10 minutes left"),
    (3 * 3600 + 2 * 60, "about 3 hours left"),
])
def test_time_left_in_words(seconds, words):
    assert in_words(seconds) == words


def test_a_length_not_begun_has_no_left():
    assert duration_in_words(22 * 60) == "about 22 minutes"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_pace_of_the_stage_replaces_the_one_measured_before_after_a_few_reports():
    clock = Clock()
    left = TimeLeft({"train": 2.0}, {"load": 600 * 2.0 + 30, "train": 30}, clock=clock)
    left.update(Progress("load", 100, 400))
    assert left.seconds() == pytest.approx(1230), "reading photos: the training ahead, from the steps timed before"
    clock.now = 10.0
    left.update(Progress("train", 1, 600))
    assert left.seconds() == pytest.approx(599 * 2.0 + 30), "one report is no pace yet"
    for step in range(2, 6):  # the machine got busier: 4 s a step
        clock.now += 4.0
        left.update(Progress("train", step, 600))
    assert left.seconds() == pytest.approx(595 * 4.0 + 30)
    assert left.words() == "about 40 minutes left"


def test_a_validation_report_of_the_same_step_changes_nothing():
    clock = Clock()
    left = TimeLeft(clock=clock)
    for step in range(1, 5):
        clock.now = step * 1.0
        left.update(Progress("train", step, 100))
    before = left.seconds()
    clock.now = 30.0
    left.update(Progress("train", 4, 100, detail="epoch 1 validation loss 0.1", loss=0.1))
    assert left.seconds() == before == pytest.approx(96.0)


def test_the_pace_is_of_the_last_minute():
    clock = Clock()
    left = TimeLeft(clock=clock)
    for step in range(1, 31):  # 1 s a step for half a minute
        clock.now = float(step)
        left.update(Progress("train", step, 1000))
    for step in range(31, 131):  # then 3 s a step for five minutes
        clock.now += 3.0
        left.update(Progress("train", step, 1000))
    assert left.seconds() == pytest.approx(870 * 3.0, rel=0.03)


def test_no_estimate_without_a_pace_or_a_total():
    left = TimeLeft()
    left.update(Progress("scan", 10, 0))
    assert left.seconds() is None and left.words() == ""
