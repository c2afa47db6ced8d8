"""Fault points: named steps in every write where a test can stop the process mid-way.

Each write step that matters (an atomic file replace, a database commit, an index file
saved) calls `point(name)`. Normally that costs one check. With `LOOKALIKE_FAULT_TRACE`
naming a file, every point reached is appended to it, so a test learns the steps of a run;
with `LOOKALIKE_FAULT` set to `N:MODE` (the Nth point reached, counting from 1) or
`NAME:MODE` (the first point whose name contains NAME; `NAME#K:MODE`, the Kth), the process is
stopped there:

- `kill`: SIGKILL, as a crash or a power cut would (nothing after it runs);
- `interrupt`: KeyboardInterrupt, as Ctrl+C would;
- `full`: the write fails as on a full disk (OSError ENOSPC);
- `cancel`: the job's cancel token fires (core.common.errors.Cancelled), as the Cancel button would.

`arm()` and `tracing()` do the same inside a process, for tests that drive the real window.
"""
from __future__ import annotations

import contextlib
import errno
import os
import signal
from dataclasses import dataclass
from typing import Iterator

from core.common.errors import Cancelled

FAULT_ENV = "LOOKALIKE_FAULT"
TRACE_ENV = "LOOKALIKE_FAULT_TRACE"
MODES = ("kill", "interrupt", "full", "cancel")


@dataclass
class _Plan:
    target: str  # a 1-based count, or part of a point's name (with "#K", its Kth point)
    mode: str
    reached: int = 0  # points reached
    matched: int = 0  # points reached whose name has the target in it
    fired: bool = False

    @property
    def needle(self) -> str:
        return self.target.rpartition("#")[0] if self._nth_given else self.target

    @property
    def nth(self) -> int:
        return int(self.target.rpartition("#")[2]) if self._nth_given else 1

    @property
    def _nth_given(self) -> bool:
        head, mark, tail = self.target.rpartition("#")
        return bool(mark and head and tail.isdigit() and int(tail) > 0)


def _parse(text: str | None) -> _Plan | None:
    if not text:
        return None
    target, _, mode = text.rpartition(":")
    if not target or mode not in MODES:
        raise ValueError(f"{FAULT_ENV} must be N:MODE or NAME:MODE with MODE one of {', '.join(MODES)}, not {text!r}")
    return _Plan(target, mode)


_plan = _parse(os.environ.get(FAULT_ENV))
_trace = os.environ.get(TRACE_ENV) or None


def point(name: str) -> None:
    """A write step: recorded when tracing, and where an armed fault stops the process."""
    plan = _plan
    if plan is None and _trace is None:
        return
    if _trace is not None:
        with open(_trace, "a", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(name + "\n")
    if plan is None or plan.fired:
        return
    plan.reached += 1
    if plan.target.isdigit():
        if plan.reached != int(plan.target):
            return
    else:
        if plan.needle not in name:
            return
        plan.matched += 1
        if plan.matched != plan.nth:
            return
    plan.fired = True
    _fire(plan.mode, name)


def _fire(mode: str, name: str) -> None:
    if mode == "kill":
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(137)
    if mode == "interrupt":
        raise KeyboardInterrupt
    if mode == "cancel":
        raise Cancelled()
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)


@contextlib.contextmanager
def arm(target: str | int, mode: str) -> Iterator[None]:
    """Within the block, stop at the point `target` (a count, part of a name, or "name#K") with `mode`."""
    global _plan
    previous = _plan
    _plan = _parse(f"{target}:{mode}")
    try:
        yield
    finally:
        _plan = previous


@contextlib.contextmanager
def tracing(path: "os.PathLike[str] | str") -> Iterator[None]:
    """Within the block, append every point reached to the file at `path` (as LOOKALIKE_FAULT_TRACE does)."""
    global _trace
    previous = _trace
    _trace = os.fspath(path)
    try:
        yield
    finally:
        _trace = previous


def fired() -> bool:
    """Whether the armed fault has gone off (for tests that arm one in-process)."""
    return _plan is not None and _plan.fired
