"""Encoders that are awkward to run, met through `index --model` on a copy of the curated catalog.

A model that does not give a row per photo, or cannot get memory for one photo, is refused in
one line before it replaces anything; one with a fixed batch or a hunger for memory is run as
it can be; a slow one stops within two seconds of Ctrl+C. The models are real ONNX graphs
(tests/encoder_graphs.py).
"""
from __future__ import annotations

import contextlib
import functools
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.common import ENCODE_MEMORY_BYTES
from core.demo import write_demo_catalog
from core.similarity.encoder import OnnxEncoder
from core.storage.index_state import read_state
from core.storage.store import CatalogStore
from core.storage.workspace import Workspace
from tests import encoder_graphs
from tests.reliability.conftest import (
    ROOT,
    Curated,
    assert_index_matches_items,
    assert_queries_answer,
    assert_whole,
    curation_of,
    run_cli,
)
from tests.reliability.test_defects import files_of, one_line, snapshot


def _kept(folder: Path) -> dict[str, bytes]:
    """The workspace's files but its database (which a run opens, and may checkpoint)."""
    return {k: v for k, v in files_of(folder).items() if not k.endswith(("-wal", "-shm", ".sqlite"))}


@pytest.mark.parametrize("build, words", [
    (encoder_graphs.transposed, "for one photo it gave shape (16, 1)"),
    (encoder_graphs.one_row, "photos it gave shape (1, 16)"),
    (functools.partial(encoder_graphs.wide, megabytes=2**28), "needs more memory than this computer can give it for one photo"),
], ids=["(D, N)", "(1, D)", "256 TB a photo"])
def test_an_encoder_that_cannot_be_run_is_refused_in_one_line_and_changes_nothing(curated: Curated, tmp_path: Path, build, words):
    decided, items = snapshot(curated)
    before = _kept(curated.ws.root)
    model = build(tmp_path / "awkward.onnx")
    result = run_cli("index", curated.catalog, "--model", model)
    one_line(result, "awkward.onnx", words)
    assert _kept(curated.ws.root) == before
    assert_whole(curated.ws, decided, items)


@pytest.mark.parametrize("batch", [1, 3])
def test_an_encoder_with_a_fixed_batch_indexes_the_catalog(curated: Curated, tmp_path: Path, batch):
    decided = curation_of(curated.ws)
    model = encoder_graphs.projection(tmp_path / "fixed.onnx", batch=batch)
    result = run_cli("index", curated.catalog, "--model", model)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "40 images: 40 encoded" in result.stdout
    with CatalogStore(curated.ws.database) as store:
        assert read_state(store).model_id == OnnxEncoder(model).info.model_id
    assert curation_of(curated.ws) == decided
    assert_index_matches_items(curated.ws)
    assert_queries_answer(curated.ws)


def _peak_of(folder: Path, *args: object) -> tuple[subprocess.CompletedProcess, int]:
    """`python main.py ARGS` run to its end, and the most memory it held (bytes resident)."""
    with open(folder / "out.txt", "w+") as out, open(folder / "err.txt", "w+") as err:
        child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, args)], stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own peak (kilobytes on Linux)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        return subprocess.CompletedProcess(args, child.returncode, out.read(), err.read()), usage.ru_maxrss * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory of a child as Linux reports it")
def test_an_encoder_needing_300_mb_a_photo_indexes_within_the_memory_budget(tmp_path: Path):
    catalog = tmp_path / "catalog"
    write_demo_catalog(catalog, count=6, seed=2)
    light, light_peak = _peak_of(tmp_path, "index", catalog, "--model", encoder_graphs.wide(tmp_path / "light.onnx", 1))
    assert light.returncode == 0, light.stderr
    run, peak = _peak_of(tmp_path, "index", catalog, "--model", encoder_graphs.wide(tmp_path / "hungry.onnx", 300))
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "6 images: 6 encoded" in run.stdout
    # the 10 probe photos in one run would take 3.1 GB; a batch of 128 photos, 38 GB
    assert peak - light_peak < ENCODE_MEMORY_BYTES, (peak - light_peak) / 2**20
    assert_queries_answer(Workspace.locate(catalog))


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_until(terminal: int, child: subprocess.Popen, text: str, timeout: float) -> str:
    """What the child wrote to its terminal up to `text`."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert child.poll() is None, f"index ended before {text!r}: {seen}"
        assert time.monotonic() < deadline, f"no {text!r} after {timeout} s: {seen}"
        if select.select([terminal], [], [], 0.1)[0]:
            seen += os.read(terminal, 4096).decode(errors="replace")
    return seen


def _read_rest(terminal: int) -> str:
    rest = b""
    with contextlib.suppress(OSError):  # EIO once the child has closed its side
        while select.select([terminal], [], [], 1)[0] and (chunk := os.read(terminal, 4096)):
            rest += chunk
    return rest.decode(errors="replace")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a terminal, and the CPU time of a child, as Linux gives them")
@pytest.mark.parametrize("layers, stage", [(40, "scan"), (5, "encode")], ids=["probing a new model", "encoding a batch"])
def test_ctrl_c_stops_index_with_a_slow_encoder_within_two_seconds(curated: Curated, tmp_path: Path, layers, stage):
    """After `stage` shows on the terminal, the run under way takes many seconds: 12 probe photos, or a batch of 40."""
    decided, items = snapshot(curated)
    before = _kept(curated.ws.root)
    model = encoder_graphs.slow(tmp_path / "slow.onnx", layers)
    terminal, child_side = pty.openpty()
    # Ctrl+C as a terminal gives it: whatever the test process inherited, the child starts with SIGINT's
    # default (a child that inherits SIGINT ignored keeps ignoring it, and Python never raises KeyboardInterrupt).
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "index", str(curated.catalog), "--model", str(model)],
                             stdout=subprocess.PIPE, stderr=child_side,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(child_side)
    try:
        _read_until(terminal, child, f"{stage}:", timeout=120)
        busy = _cpu_seconds(child.pid) + 0.5  # into the run of the model: decoding a few photos takes less
        while _cpu_seconds(child.pid) < busy:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(0.02)
            assert child.returncode is None, _read_rest(terminal)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
        stopped = time.monotonic() - sent
        said = _read_rest(terminal)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        os.close(terminal)
    assert stopped < 2.0, (stopped, child.returncode, said[-300:])
    assert child.returncode == 130 and "lookalike: interrupted" in said and "Traceback" not in said, said
    assert _kept(curated.ws.root) == before
    assert_whole(curated.ws, decided, items)
