"""How long the running job has left, as a person says it: one estimate that every view of the job shows."""
from __future__ import annotations

import time
from collections import deque
from typing import Callable

from core.common import Progress

RECENT_S = 60.0  # the pace of about the last minute: a machine that gets busier shows in the estimate soon
FIRST_REPORTS = 3  # reports of a stage before its own pace is trusted (the first one also paid for starting up)


def in_words(seconds: float) -> str:
    """'about 22 minutes left', rounded as a person would say it."""
    if seconds < 45:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes <= 1:
        return "about a minute left"
    if minutes < 60:
        return f"about {minutes} minutes left"
    hours, minutes = divmod(5 * round(minutes / 5), 60)
    hour_words = "1 hour" if hours == 1 else f"{hours} hours"
    return f"about {hour_words} {minutes} minutes left" if minutes else f"about {hour_words} left"


def duration_in_words(seconds: float) -> str:
    """'about 22 minutes', for a length of time not yet begun."""
    words = in_words(seconds)
    return words[: -len(" left")]


class TimeLeft:
    """The time a job has left, from the pace of its own progress reports over the last minute.

    Before a stage has shown its own pace, `expected` (seconds a unit of that stage took when
    measured beforehand, such as a training step) stands in for it; `after` adds the seconds
    expected for the stages that follow a stage (checking a new encoder after its training).
    """

    def __init__(self, expected: dict[str, float] | None = None, after: dict[str, float] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.expected = dict(expected or {})
        self.after = dict(after or {})
        self._clock = clock
        self._stage = ""
        self._reports = 0
        self._marks: deque[tuple[float, int]] = deque()
        self._seconds: float | None = None
        self.last: Progress | None = None  # the report the estimate is of

    def update(self, p: Progress) -> None:
        """Take a progress report of the job into account."""
        now = self._clock()
        self.last = p
        if p.stage != self._stage:
            self._stage, self._reports = p.stage, 0
            self._marks.clear()
        if self._marks and p.done == self._marks[-1][1]:  # a report of the same point (a training pass's validation)
            return
        self._reports += 1
        self._marks.append((now, p.done))
        while len(self._marks) > 2 and now - self._marks[1][0] >= RECENT_S:
            self._marks.popleft()
        self._seconds = self._estimate(p)

    def _estimate(self, p: Progress) -> float | None:
        if not p.total or p.done >= p.total:
            return self.after.get(p.stage) if p.stage in self.after else None
        per_unit = self.expected.get(p.stage)
        (first_at, first_done), (last_at, last_done) = self._marks[0], self._marks[-1]
        if self._reports >= FIRST_REPORTS and last_done > first_done and last_at > first_at:
            per_unit = (last_at - first_at) / (last_done - first_done)
        if per_unit is None:  # this stage's own share unknown yet: what follows it, at least
            return self.after.get(p.stage)
        return (p.total - p.done) * per_unit + self.after.get(p.stage, 0.0)

    def seconds(self) -> float | None:
        """The estimate in seconds, or None while there is none."""
        return self._seconds

    def words(self) -> str:
        """The estimate as shown to the user ('about 22 minutes left'), or '' while there is none."""
        return in_words(self._seconds) if self._seconds is not None else ""
