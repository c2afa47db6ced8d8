"""Embedding photos with an ONNX encoder (ONNX Runtime), batched.

The encoder contract: one input (N, 3, S, S) float and one output (N, D) float, with the
model's metadata naming S (`lookalike.input_size`), D (`lookalike.latent_dim`) and the
per-channel normalisation applied to pixels scaled to [0, 1] (`lookalike.mean`, `lookalike.std`).
Any ONNX model that follows it can be loaded, whoever trained it. A model with a fixed batch
takes its photos that many at a time; any other as many as fit in ENCODE_MEMORY_BYTES and in
RUN_SECONDS, by what one photo took when it was loaded. A model loaded on fewer threads than the
cores runs that many times side by side. A run stops soon after Ctrl+C or a cancel.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import onnxruntime as ort

from core.common import ENCODE_MEMORY_BYTES, Cancelled, CancelToken, ModelError

MAX_PHOTOS_PER_RUN = 512  # however little a photo takes, so that one run's input and output stay small
STOP_CHECK_SECONDS = 0.05  # how often a waiting run looks at its cancel token
RUN_SECONDS = 0.5  # of work a run is given at most (unless one photo takes longer), so that it stops soon when asked

CONTRACT_VERSION = "1"
FEATURES_OUTPUT = "features"  # a second output some encoders give: what their embedding is computed from
CONTRACT_KEYS = {
    "contract": "lookalike.contract",
    "input_size": "lookalike.input_size",
    "channels": "lookalike.channels",
    "model_version": "lookalike.model_version",
    "latent_dim": "lookalike.latent_dim",
    "mean": "lookalike.mean",
    "std": "lookalike.std",
    "architecture": "lookalike.architecture",
    "trained_on": "lookalike.trained_on",
    "created": "lookalike.created",
}


@dataclass(frozen=True)
class EncoderInfo:
    """What a loaded encoder is: enough to show the user and to tell embeddings apart."""

    path: str
    model_id: str
    input_size: int
    latent_dim: int
    trained_on: str
    created: str


def _model_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _vector(text: str | None, name: str) -> np.ndarray:
    if text is None:
        return np.zeros(3, np.float32) if name == "mean" else np.ones(3, np.float32)
    try:
        values = np.asarray(json.loads(text), dtype=np.float32).reshape(-1)
    except (ValueError, TypeError) as exc:
        raise ModelError(f"encoder metadata '{name}' is not a list of numbers") from exc
    if values.shape not in ((1,), (3,)):
        raise ModelError(f"encoder metadata '{name}' must have 1 or 3 values")
    return np.broadcast_to(values, (3,)).astype(np.float32)


class OnnxEncoder:
    """A loaded encoder: turns (N,S,S,3) uint8 photos into (N,D) float32 embeddings."""

    def __init__(self, path: Path, threads: int | None = None, data: bytes | None = None, memory: int = ENCODE_MEMORY_BYTES) -> None:
        """Load the model at `path` (or, given `data`, the model file's bytes, `path` naming it in messages).

        `memory`: what one run may take; it sets photos_per_run unless the model's batch is fixed.
        """
        path = Path(path)
        if data is None:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise ModelError(f"encoder model not found: {path}") from None
            except OSError as exc:
                raise ModelError(f"cannot read encoder model {path}: {exc.strerror}") from None
        self.path = path
        self.model_bytes = data
        options = ort.SessionOptions()
        threads = threads or os.cpu_count() or 1
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 4  # a failed run is said in one line (see _failure), not logged too
        # Worker threads sleep instead of spinning between calls: decoding shares the same cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own untyped errors for any malformed model
            raise ModelError(f"not a usable ONNX model: {path.name} ({str(exc).splitlines()[0][:120]})") from None
        self._runner = cf.ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="encoder run")  # see _stoppable_runs
        meta = self._session.get_modelmeta().custom_metadata_map
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1:
            raise ModelError(f"{path.name}: an encoder needs one image input and an embedding output")
        shape = inputs[0].shape
        if len(shape) != 4 or shape[1] not in (3, "3"):
            raise ModelError(f"{path.name}: input must be (N, 3, S, S), found {shape}")
        size = self._int_meta(meta, "input_size")
        if size is None:
            size = shape[2] if isinstance(shape[2], int) and shape[2] == shape[3] else None
        if size is None or size <= 0:
            raise ModelError(f"{path.name}: the model does not say its input size (metadata {CONTRACT_KEYS['input_size']})")
        for axis in (2, 3):
            if isinstance(shape[axis], int) and shape[axis] != size:
                raise ModelError(f"{path.name}: metadata says input size {size} but the graph takes {shape[axis]}")
        self._input = inputs[0].name
        self._outputs = [o.name for o in outputs]
        self._fixed = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None  # a batch the graph insists on
        self._mean = _vector(meta.get(CONTRACT_KEYS["mean"]), "mean").reshape(1, 3, 1, 1)
        self._std = _vector(meta.get(CONTRACT_KEYS["std"]), "std").reshape(1, 3, 1, 1)
        if np.any(self._std == 0):
            raise ModelError(f"{path.name}: metadata std has a zero")
        self._scale = (1.0 / (255.0 * self._std)).astype(np.float32)
        self._shift = (-self._mean / self._std).astype(np.float32)
        self.runs_at_once = 1  # until the probe has said what a photo takes
        before, started = _resident_bytes(), time.perf_counter()
        probe = self._run(np.full((1, size, size, 3), 255, np.uint8), check=False)
        self.photo_seconds = (time.perf_counter() - started) / (self._fixed or 1)  # what one photo took when loaded
        took = (_resident_bytes() - before) / (self._fixed or 1) if before is not None else 0
        photo_bytes = max(took, 12 * size * size)
        self.runs_at_once = _runs_at_once(threads, photo_bytes * ((self._fixed or 2) + 1), memory)
        self.photos_per_run = self._fixed or _photos_per_run(photo_bytes, self.photo_seconds, memory // self.runs_at_once)
        latent = self._int_meta(meta, "latent_dim")
        if latent is not None and latent != probe.shape[1]:
            raise ModelError(f"{path.name}: metadata says {latent} dimensions but the model gives {probe.shape[1]}")
        self.info = EncoderInfo(
            path=str(path),
            model_id=_model_id(data),
            input_size=int(size),
            latent_dim=int(probe.shape[1]),
            trained_on=meta.get(CONTRACT_KEYS["trained_on"], "unknown"),
            created=meta.get(CONTRACT_KEYS["created"], ""),
        )

    @staticmethod
    def _int_meta(meta: dict[str, str], key: str) -> int | None:
        text = meta.get(CONTRACT_KEYS[key])
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise ModelError(f"encoder metadata '{key}' is not a whole number: {text!r}") from None

    def _run(self, batch: np.ndarray, check: bool = True, cancel: CancelToken | None = None, output: int = 0) -> np.ndarray:
        """One run of the model on (n,S,S,3) photos (n at most photos_per_run): their (n,D) embeddings (or another output's rows)."""
        return self._runs(batch, len(batch), cancel, output, check)

    def model_input(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """What the model is given for (N,S,S,3) uint8 photos: its input, (N,3,S,S) float, normalised as its metadata says."""
        # Transposed while still one byte a pixel, then scaled into floats in one pass and shifted in
        # place: ((x/255)-mean)/std. Converting first and scaling after takes three times as long.
        pixels = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
        x = np.multiply(pixels, self._scale, dtype=np.float32)
        x += self._shift
        return {self._input: x}

    def _failure(self, exc: Exception, photos: int) -> ModelError:
        """Why a run failed, in one line: out of memory said as such, else ONNX Runtime's own reason, shortened."""
        text = str(exc)
        if "Failed to allocate memory" in text or "bad_alloc" in text or "bad allocation" in text:
            what = "one photo" if photos == 1 else f"{photos} photos at once"
            return ModelError(f"{self.path.name} needs more memory than this computer can give it for {what}")
        reason = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
        reason = " ".join(reason.rpartition("Status Message: ")[2].split())  # after what ORT says of every failed node
        return ModelError(f"{self.path.name} failed to run: {reason if len(reason) <= 200 else reason[:199] + '…'}")

    @property
    def input_size(self) -> int:
        return self.info.input_size

    def embed(self, batch: np.ndarray, chunk: int | None = None, cancel: CancelToken | None = None) -> np.ndarray:
        """(N,S,S,3) uint8 -> (N,D) float32 raw embeddings, photos_per_run (or fewer, `chunk`) photos a run.

        `cancel` (and Ctrl+C) stops the run under way within moments: Cancelled (KeyboardInterrupt).
        """
        if len(batch) == 0:
            return np.zeros((0, self.info.latent_dim), np.float32)
        return self._runs(batch, min(chunk or self.photos_per_run, self.photos_per_run), cancel)

    @property
    def has_features(self) -> bool:
        """Whether the model also gives the backbone features its embedding is made from (an output named 'features')."""
        return FEATURES_OUTPUT in self._outputs

    def features(self, batch: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        """(N,S,S,3) uint8 -> (N,F) float32: the model's 'features' output (see has_features), which training reads."""
        if not self.has_features:
            raise ModelError(f"{self.path.name} gives no features to train on")
        if len(batch) == 0:
            return np.zeros((0, 0), np.float32)
        return self._runs(batch, self.photos_per_run, cancel, self._outputs.index(FEATURES_OUTPUT))

    def _runs(self, batch: np.ndarray, step: int, cancel: CancelToken | None, output: int = 0, check: bool = True) -> np.ndarray:
        """Output number `output` for (N,S,S,3) photos, `step` photos a run, runs_at_once runs going at a time
        (the next run's input is made while they go)."""
        if check and (batch.ndim != 4 or batch.shape[1:] != (self.info.input_size, self.info.input_size, 3)):
            raise ModelError(f"expected (N,{self.info.input_size},{self.info.input_size},3) images, got {batch.shape}")
        parts = [batch[i : i + step] for i in range(0, len(batch), step)]
        feeds = (self.model_input(self._filled(part)) for part in parts)
        try:
            outs = _stoppable_runs(self._runner, self._session, feeds, cancel, output, self.runs_at_once)
        except Cancelled:
            raise
        except Exception as exc:  # a graph that fails at run time breaks the contract
            raise self._failure(exc, len(parts[0])) from None
        return np.concatenate([self._checked(out, part, check, output) for out, part in zip(outs, parts)])

    def _filled(self, photos: np.ndarray) -> np.ndarray:
        """The photos, a fixed batch filled up with copies of the last one."""
        if self._fixed is None or len(photos) >= self._fixed:
            return photos
        return np.concatenate([photos, np.repeat(photos[-1:], self._fixed - len(photos), axis=0)])

    def _checked(self, out: np.ndarray, photos: np.ndarray, check: bool, output: int) -> np.ndarray:
        """A run's rows for `photos`, once they are one row a photo given (of the embedding's length)."""
        out, given = np.asarray(out, dtype=np.float32), max(len(photos), self._fixed or 0)  # as many as `_filled` gave
        if out.ndim != 2 or out.shape[0] != given or (check and output == 0 and out.shape[1] != self.info.latent_dim):
            what = "one photo" if given == 1 else f"{given} photos"
            raise ModelError(f"{self.path.name}: an encoder must give one row per photo, (N, D); for {what} it gave shape {out.shape}")
        return out[: len(photos)]


def _photos_per_run(photo_bytes: float, photo_seconds: float, memory: int) -> int:
    """Photos a run takes: as many as fit in `memory` and in RUN_SECONDS, as one photo took them (at least one).

    ONNX Runtime's memory arena keeps what one photo took beside what a run of more takes; and a
    run stops between two operators only, which take longer the more photos they hold.
    """
    fit = memory // photo_bytes - 1
    return int(np.clip(min(fit, RUN_SECONDS / max(photo_seconds, 1e-6)), 1, MAX_PHOTOS_PER_RUN))


def _runs_at_once(threads: int, run_bytes: int, memory: int) -> int:
    """Runs of a model on `threads` threads that go side by side: as many as the cores hold (on one thread,
    two runs keep two cores busy with no thread of a run waiting for the other), while each run's share
    of `memory` still holds `run_bytes`: two photos (or a fixed batch) beside the one ONNX Runtime keeps."""
    return int(np.clip(memory // max(run_bytes, 1), 1, max(1, (os.cpu_count() or 1) // threads)))


def _stoppable_runs(
    runner: cf.Executor, session: ort.InferenceSession, feeds: Iterator[dict[str, np.ndarray]], cancel: CancelToken | None,
    output: int = 0, at_once: int = 1,
) -> list[np.ndarray]:
    """Output number `output` of session.run for each of `feeds`, in order, `at_once` runs going at a time in
    `runner` while this thread waits (and takes the next feed), so that the runs stop within moments.

    Python sees Ctrl+C only in a thread running Python; ONNX Runtime stops a run (RunOptions.terminate)
    between two operators of the graph.
    """
    # One set of options for all the runs: its terminate flag stops every run given it, even one that
    # Ctrl+C catches between being started and being counted here.
    options = ort.RunOptions()
    going: collections.deque[cf.Future] = collections.deque()
    results = []

    def start_next() -> None:
        feed = next(feeds, None)
        if feed is not None:
            going.append(runner.submit(session.run, None, feed, options))

    try:
        for _ in range(at_once):
            start_next()
        while going:
            while not cf.wait([going[0]], STOP_CHECK_SECONDS).done:
                if cancel is not None and cancel.cancelled:
                    options.terminate = True
            try:
                results.append(going[0].result()[output])
            except Exception:
                if options.terminate:
                    raise Cancelled() from None
                raise
            going.popleft()
            start_next()
        return results
    except BaseException:  # failed, cancelled or Ctrl+C while waiting: no run goes on after this thread
        options.terminate = True
        cf.wait(going)
        raise


def _resident_bytes() -> int | None:
    """This process's resident memory, or None where the system does not say (read from /proc on Linux)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def embedding_problem(vectors: np.ndarray) -> str | None:
    """Why a batch of embeddings of different photos is unusable for search (None if it is fine).

    Search ranks by the angle between embeddings, so a model whose numbers are not finite,
    that gives no numbers, only zeros, or the same embedding whatever the photo, would make
    every score 0 or NaN: that is refused rather than indexed.
    """
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        return f"it gives no numbers per photo (output shape {tuple(vectors.shape)})"
    if not np.isfinite(vectors).all():
        return "it gives NaN or infinite numbers"
    norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
    if (norms <= 1e-12).any():
        return "it gives all-zero embeddings"
    if len(vectors) > 1:
        unit = vectors / norms[:, None]
        if float(np.abs(unit - unit[0]).max()) <= 1e-6:
            return "it gives the same embedding for every photo"
    return None


def probe_pictures(size: int) -> np.ndarray:
    """(4, size, size, 3) uint8 plainly different product-like shapes on white, to try a model on."""
    from PIL import Image, ImageDraw

    pictures = []
    s = size
    for shape, colour in (("disc", (200, 40, 40)), ("bar", (30, 120, 200)), ("wedge", (40, 40, 40)), ("ring", (20, 150, 60))):
        image = Image.new("RGB", (s, s), "white")
        draw = ImageDraw.Draw(image)
        if shape == "disc":
            draw.ellipse((s * 0.2, s * 0.2, s * 0.8, s * 0.8), fill=colour)
        elif shape == "bar":
            draw.rectangle((s * 0.4, s * 0.05, s * 0.6, s * 0.95), fill=colour)
        elif shape == "wedge":
            draw.polygon([(s * 0.1, s * 0.9), (s * 0.9, s * 0.9), (s * 0.5, s * 0.1)], fill=colour)
        else:
            draw.ellipse((s * 0.1, s * 0.3, s * 0.9, s * 0.7), outline=colour, width=max(1, s // 12))
        pictures.append(np.asarray(image))
    return np.stack(pictures)


def check_encoder(encoder: OnnxEncoder, photos: np.ndarray | None = None, cancel: CancelToken | None = None) -> None:
    """Refuse (ModelError) an encoder whose embeddings of a few different photos are unusable.

    `photos` are (N, S, S, 3) uint8 pictures from the catalog at the encoder's input size;
    four drawn shapes are always added, so that a catalog of one photo can be checked too.
    """
    pictures = probe_pictures(encoder.input_size)
    if photos is not None and len(photos):
        pictures = np.concatenate([pictures, photos])
    trouble = embedding_problem(encoder.embed(pictures, cancel=cancel))
    if trouble is not None:
        raise ModelError(f"{Path(encoder.info.path).name} is not a usable encoder: {trouble}")
