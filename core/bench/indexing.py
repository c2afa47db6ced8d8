"""`bench speed`, indexing part: images/s end to end, memory, and incremental re-indexing.

Lookalike's indexing (scan, JPEG draft decoding in a thread pool, batched ONNX Runtime
encoding overlapped with decoding, Annoy build) is timed beside a naive reference measured in
the same run: open each photo, decode it in full, resize it, one inference call per photo.
"""
from __future__ import annotations

import concurrent.futures as cf
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.bench.catalogs import PhotoSpec, photo_path, render_photo
from core.common import DEFAULT_ENCODER, IndexSettings
from core.similarity import OnnxEncoder, index_catalog
from core.storage import Workspace

MAIN = Path(__file__).resolve().parents[2] / "main.py"
NAIVE_METHOD = "naive reference"
INDEX_METHOD = "Lookalike index"
DECODE_METHOD = "plain decode"
ENCODE_METHOD = "plain encode"
LIMIT_METHOD = "limit"


@dataclass(frozen=True)
class Throughput:
    photos: str  # what was indexed, e.g. "1080x1440 JPEG"
    method: str
    images: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0


def naive_reference(catalog: Path, paths: list[str], encoder: Path = DEFAULT_ENCODER) -> float:
    """Seconds to embed `paths` the seed's way: full decode, resize, one inference call each."""
    model = OnnxEncoder(encoder)
    side = model.input_size

    def embed_one(relative: str) -> None:
        with Image.open(catalog / relative) as image:
            pixels = np.asarray(image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR))
        model.embed(pixels[None])

    # A few photos first, untimed: the first large decodes in a process are slower (the
    # allocator maps fresh memory for each) and a long naive run would not pay that.
    for relative in paths[:10]:
        embed_one(relative)
    started = time.perf_counter()
    for relative in paths:
        embed_one(relative)
    return time.perf_counter() - started


def decode_limit_seconds(catalog: Path, paths: list[str], threads: int, encoder: Path = DEFAULT_ENCODER) -> float:
    """Seconds to only decode `paths`, the plainest way: Pillow's JPEG draft to the encoder's input size, as RGB,
    on `threads` threads; nothing else (no square, no frame print, no check).
    """
    side = OnnxEncoder(encoder).input_size

    def decode(relative: str) -> None:
        with Image.open(catalog / relative) as image:
            image.draft("RGB", (side, side))
            image.convert("RGB").load()

    with cf.ThreadPoolExecutor(threads) as pool:
        list(pool.map(decode, paths[:10]))
        started = time.perf_counter()
        for _ in pool.map(decode, paths):
            pass
        return time.perf_counter() - started


def encode_limit_seconds(count: int, encoder: Path = DEFAULT_ENCODER) -> float:
    """Seconds for the ONNX encoder alone to embed `count` photos, in its own batches, on all the cores."""
    model = OnnxEncoder(encoder)
    side = model.input_size
    photos = np.random.default_rng(0).integers(0, 256, (min(count, 256), side, side, 3), dtype=np.uint8)
    model.embed(photos[: model.photos_per_run])
    started = time.perf_counter()
    done = 0
    while done < count:
        done += len(model.embed(photos[: count - done]))
    return time.perf_counter() - started


def full_index_seconds(catalog: Path, workspace: Path) -> float:
    """Seconds for a first, full index of `catalog` into a fresh `workspace` (scan to Annoy)."""
    shutil.rmtree(workspace, ignore_errors=True)
    started = time.perf_counter()
    index_catalog(Workspace.locate(catalog, workspace))
    return time.perf_counter() - started


def compare_throughput(catalog: Path, paths: list[str], label: str, naive_count: int, repeats: int = 3) -> list[Throughput]:
    """The naive reference on the first naive_count photos, then Lookalike on all of them, beside the decode limit.

    Every photo is read once first, so that all run from the page cache: otherwise whichever
    runs first pays for the disk. Lookalike and the decode limit are timed `repeats` times in
    turn, each one's median kept: a single run of a few hundred photos varies by several percent.
    """
    for relative in paths:
        (catalog / relative).read_bytes()
    naive = naive_reference(catalog, paths[:naive_count])
    threads = IndexSettings().decode_threads
    ours, decoding, encoding = [], [], []
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-ws-") as tmp:
        for _ in range(repeats):
            ours.append(full_index_seconds(catalog, Path(tmp) / "ws"))
            decoding.append(decode_limit_seconds(catalog, paths, threads))
            encoding.append(encode_limit_seconds(len(paths)))
    runs = f", median of {repeats}" if repeats > 1 else ""
    decode, encode = statistics.median(decoding), statistics.median(encoding)
    return [
        Throughput(label, f"{NAIVE_METHOD} (full decode, resize, one inference per photo)", min(naive_count, len(paths)), naive),
        Throughput(label, f"{INDEX_METHOD} (scan, draft decode x{threads} threads, batched encode, Annoy{runs})", len(paths), statistics.median(ours)),
        Throughput(label, f"{DECODE_METHOD} (Pillow draft to the input size x{threads} threads, nothing else{runs})", len(paths), decode),
        Throughput(label, f"{ENCODE_METHOD} (the ONNX encoder alone, its batches{runs})", len(paths), encode),
        Throughput(label, f"{LIMIT_METHOD} (decode and encode sharing the cores: 1 / (1/decode + 1/encode))", len(paths), decode + encode),
    ]


@dataclass(frozen=True)
class Incremental:
    items: int
    changed: int
    full_seconds: float
    incremental_seconds: float

    @property
    def share(self) -> float:
        return self.incremental_seconds / self.full_seconds


def change_photos(catalog: Path, indexes: list[int], spec: PhotoSpec, seed: int) -> None:
    """Replace these photos with different products (new content, new mtime)."""
    for index in indexes:
        render_photo(index, spec, seed).save(catalog / photo_path(index), format="JPEG", quality=spec.quality)


def incremental_reindex(catalog: Path, count: int, spec: PhotoSpec, share: float = 0.01) -> Incremental:
    """A full index of the catalog, then 1% of its photos changed and indexed again."""
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-ws-") as tmp:
        workspace = Path(tmp) / "ws"
        full = full_index_seconds(catalog, workspace)
        changed = np.random.default_rng(7).choice(count, max(1, int(count * share)), replace=False).tolist()
        change_photos(catalog, changed, spec, seed=1)
        started = time.perf_counter()
        report = index_catalog(Workspace.locate(catalog, workspace))
        again = time.perf_counter() - started
        change_photos(catalog, changed, spec, seed=0)  # leave the catalog as it was made
    if report.encoded != len(changed):
        raise RuntimeError(f"re-index encoded {report.encoded} photos, expected {len(changed)}")
    return Incremental(count, len(changed), full, again)


@dataclass(frozen=True)
class Memory:
    items: int
    peak_rss_mb: float
    seconds: float


def app_command() -> list[str]:
    """How to start this Lookalike as a new process: the frozen app, or Python on main.py."""
    return [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, str(MAIN)]


def _high_water_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def indexing_memory(catalog: Path, workspace: Path, items: int) -> Memory:
    """Peak resident memory of `main.py index` as its own process, indexing the catalog from scratch.

    Read from the process's own high-water mark while it runs: its rusage would also count
    the memory of this (forking) benchmark process, which by then holds a million vectors.
    """
    shutil.rmtree(workspace, ignore_errors=True)
    peak = 0.0
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen([*app_command(), "index", str(catalog), "--workspace", str(workspace)], stdout=subprocess.DEVNULL, stderr=errors)
        while proc.poll() is None:
            peak = max(peak, _high_water_mb(proc.pid) or 0.0)
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        errors.seek(0)
        lines = errors.read().decode(errors="replace").strip().splitlines()
    if proc.returncode != 0:
        raise RuntimeError(f"indexing {items:,} photos failed: {lines[-1] if lines else proc.returncode}")
    return Memory(items, peak, seconds)
