"""What the offscreen platform cannot do, done on a real X server: every test of tests/gui/*_on_x.py.

Qt's offscreen platform cannot drag (its QDrag.exec gives up at once), has no real clipboard owner
and no window manager's screen. Each test of a `*_on_x.py` file runs in a pytest of its own on
Xvfb with the xcb platform, so one journey's window, clipboard and held keys never meet another's.
The events are real input: QTest's mouse and key events on the shown widgets, or xdotool's.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def _journeys() -> list[tuple[str, str]]:
    found = []
    for path in sorted(HERE.glob("*_on_x.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.append((path.name, node.name))
    return found


JOURNEYS = _journeys()


def test_journeys_are_found():
    assert len({name for name, _ in JOURNEYS}) >= 1 and len(JOURNEYS) >= 3


@pytest.mark.parametrize(("module", "journey"), JOURNEYS, ids=[f"{m[:-3]}::{j}" for m, j in JOURNEYS])
def test_on_a_real_x_server(module, journey, x_display, tmp_path):
    """Screenshots go to LOOKALIKE_SCREENSHOTS if set (to be looked at), else beside the run."""
    shots = os.environ.get("LOOKALIKE_SCREENSHOTS") or str(tmp_path / "screenshots")
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "LOOKALIKE_SCREENSHOTS": shots}
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"), f"{HERE / module}::{journey}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    last = result.stdout.splitlines()[-1]
    assert " passed" in last and "skipped" not in last, result.stdout[-2000:]
