"""`bench speed`, start-up part: from launching the app to a visible grid of an indexed catalog.

The app is started as a new process (`main.py --open CATALOG --time-startup`, offscreen) so the
figure includes Python, Qt and the app's imports. Its settings go to a throwaway folder: the
user's recent catalogs are left alone. With `use`, the same process then times keystrokes in
the catalog filter and a product's query once the grid is up (`--time-use`), and its peak memory.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from core.bench.indexing import app_command


@dataclass(frozen=True)
class Keystroke:
    text: str  # what the filter holds after the keystroke
    ms: float  # its search and the grid's repaint
    shown: int  # items the grid then shows


@dataclass(frozen=True)
class Startup:
    items: int
    grid_seconds: float  # launch to the first paint of the grid with items in it
    thumbnails_seconds: float  # launch to the first screenful of thumbnails painted
    thumbnail_cache: str  # "empty" or "warm"
    loaded_seconds: float | None = None  # with use: launch to every item in the grid (a large catalog shows a first page)
    keystrokes: tuple[Keystroke, ...] = ()  # with use: typing in the filter once the app has settled
    busy_keystrokes: tuple[Keystroke, ...] = ()  # with use: typing while the re-index that opening starts runs
    settled_seconds: float | None = None  # with use: launch to that re-index's end (None: it was over before)
    query_ms: float | None = None  # with use: a click on a product to its lookalikes on screen
    peak_rss_mb: float | None = None  # with use: the app's peak resident memory by then


def _keystroke(line: str) -> Keystroke:
    """`filter "TEXT" 12.3 ms, 456 items` (or filter-busy ...) -> Keystroke."""
    text, rest = line.split(' "', 1)[1].rsplit('" ', 1)
    ms, shown = rest.split(" ms, ")
    return Keystroke(text, float(ms), int(shown.split()[0]))


def time_startup(catalog: Path, items: int, cache: str, timeout_s: float = 120, use: bool = False) -> Startup:
    """Launch the app on an indexed catalog and time, from outside, when its grid shows (and, with use, its answers)."""
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-home-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home, XDG_DATA_HOME=home, XDG_CACHE_HOME=home)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*app_command(), "--open", str(catalog), "--time-startup", *(["--time-use"] if use else [])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        marks: dict[str, float] = {}
        answers: dict[str, str] = {}
        keystrokes: dict[str, list[Keystroke]] = {"filter": [], "filter-busy": []}
        assert proc.stdout is not None
        for line in proc.stdout:
            word = line.split(" ", 1)[0]
            marks[word] = time.perf_counter() - started
            if word in keystrokes:
                keystrokes[word].append(_keystroke(line.strip()))
            answers[word] = line.split(" ", 2)[1] if " " in line else ""
            if word == ("done" if use else "thumbnails"):
                break
        try:
            _, errors = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, errors = proc.communicate()
    if "grid" not in marks or "thumbnails" not in marks or (use and "query" not in marks):
        last = errors.strip().splitlines()[-1] if errors.strip() else f"exit status {proc.returncode}"
        raise RuntimeError(f"the app did not {'answer' if 'thumbnails' in marks else 'show the catalog'}: {last}")
    if not use:
        return Startup(items, marks["grid"], marks["thumbnails"], cache)
    settled = marks.get("settled")  # like the grid, timed from outside as the line arrives
    return Startup(items, marks["grid"], marks["thumbnails"], cache, marks["loaded"], tuple(keystrokes["filter"]),
                   tuple(keystrokes["filter-busy"]), settled, float(answers["query"]), float(answers["memory"]))
