"""The backbone's convolutions in 8-bit integers (ONNX Runtime's static quantisation).

Measured on the 2,811 studio photos of BENCHMARKS.md: the encoder runs about twice as fast on two
cores (VNNI), and precision at 10 by article type goes from 0.767 to 0.764. Everything from the
photo to the backbone's last convolution is quantised: its convolutions, their ReLU6 clips (folded
into the convolutions, whose outputs are then quantised over the clipped range, not the raw one)
and the residual additions. The grey conversion before it and the pooling and feature autoencoder
after it stay in floating point, so `train` reads float features and joins a float head on.

Activations are unsigned, weights signed per output channel, ranges from the plain minimum and
maximum seen on the calibration photos (with these, ONNX Runtime runs every convolution as an
integer one; signed activations made 14 of them fall back to float). The same photos give the same
file, byte for byte.
"""
from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import onnx

from core.similarity import CONTRACT_KEYS, OnnxEncoder
from core.storage import atomic

QUANTISED_OPS = ("Conv", "Clip", "Add")
CALIBRATION_BATCH = 16


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """ONNX Runtime's quantiser logs advice as warnings of the root logger: not the user's concern."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def quantise_backbone(model: Path, photos: np.ndarray, out: Path) -> None:
    """Write to `out` the encoder at `model` with its backbone quantised, ranges calibrated on (N,S,S,3) uint8 `photos`.

    The backbone is what comes before and up to the graph's last convolution; the nodes after it
    are left as they are.
    """
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    encoder = OnnxEncoder(model)
    graph = onnx.load(str(model)).graph
    last_conv = max(i for i, node in enumerate(graph.node) if node.op_type == "Conv")
    after = [node.name for node in graph.node[last_conv + 1 :]]
    batches = [encoder.model_input(photos[i : i + CALIBRATION_BATCH]) for i in range(0, len(photos), CALIBRATION_BATCH)]

    class Photos(CalibrationDataReader):
        def __init__(self) -> None:
            self.left = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.left, None)

        def rewind(self) -> None:
            self.left = iter(batches)

    with tempfile.TemporaryDirectory(prefix="lookalike-quantise-") as tmp, _quiet():
        quantised = Path(tmp) / "quantised.onnx"
        quantize_static(
            str(model), str(quantised), Photos(),
            quant_format=QuantFormat.QDQ, op_types_to_quantize=list(QUANTISED_OPS), nodes_to_exclude=after,
            per_channel=True, reduce_range=False, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
        result = onnx.load(str(quantised))
    for entry in result.metadata_props:  # said in the encoder's architecture, which train carries over
        if entry.key == CONTRACT_KEYS["architecture"]:
            entry.value = json.dumps({**json.loads(entry.value), "backbone_weights": "int8"})
    atomic.write_bytes(out, result.SerializeToString())
