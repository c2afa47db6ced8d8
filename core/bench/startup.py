"""`bench speed`, start-up part: from launching the app to a visible grid of an indexed catalog.

The app is started as a new process (`main.py --open CATALOG --time-startup`, offscreen) so the
figure includes Python, Qt and the app's imports. Its settings go to a throwaway folder: the
user's recent catalogs are left alone.
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
class Startup:
    items: int
    grid_seconds: float  # launch to the first paint of the grid with items in it
    thumbnails_seconds: float  # launch to the first screenful of thumbnails painted
    thumbnail_cache: str  # "empty" or "warm"


def time_startup(catalog: Path, items: int, cache: str, timeout_s: float = 120) -> Startup:
    """Launch the app on an indexed catalog and time, from outside, when its grid shows."""
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-home-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home, XDG_DATA_HOME=home, XDG_CACHE_HOME=home)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*app_command(), "--open", str(catalog), "--time-startup"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        marks: dict[str, float] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            word = line.split(" ", 1)[0]
            marks[word] = time.perf_counter() - started
            if word == "thumbnails":
                break
        try:
            _, errors = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, errors = proc.communicate()
    if "grid" not in marks or "thumbnails" not in marks:
        last = errors.strip().splitlines()[-1] if errors.strip() else f"exit status {proc.returncode}"
        raise RuntimeError(f"the app did not show the catalog: {last}")
    return Startup(items, marks["grid"], marks["thumbnails"], cache)
