"""Real ONNX encoders (32 px input) that are awkward in one way each: shape, fixed batch, memory, speed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIDE = 32
PIXELS = 3 * SIDE * SIDE


def _save(path: Path, nodes: list, consts: dict[str, np.ndarray], batch: int | str, output: list) -> Path:
    graph = helper.make_graph(
        nodes,
        path.stem,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 3, SIDE, SIDE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, output)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"lookalike.input_size": str(SIDE)})
    onnx.save(model, str(path))
    return path


def _projection(dims: int) -> np.ndarray:
    return (np.random.default_rng(7).standard_normal((PIXELS, dims)) / np.sqrt(PIXELS)).astype(np.float32)


def projection(path: Path, batch: int | str = "N", dims: int = 16) -> Path:
    """A random projection of the pixels: a sound encoder, with a fixed batch when `batch` is a number."""
    nodes = [helper.make_node("Flatten", ["image"], ["flat"]), helper.make_node("MatMul", ["flat", "w"], ["embedding"])]
    return _save(path, nodes, {"w": _projection(dims)}, batch, [batch, dims])


def one_row(path: Path, dims: int = 16) -> Path:
    """Takes any number of photos and gives one row, (1, D), their mean projection."""
    nodes = [
        helper.make_node("Flatten", ["image"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["each"]),
        helper.make_node("ReduceMean", ["each"], ["embedding"], axes=[0], keepdims=1),
    ]
    return _save(path, nodes, {"w": _projection(dims)}, "N", [1, dims])


def transposed(path: Path, dims: int = 16) -> Path:
    """Gives (D, N): a column per photo."""
    nodes = [
        helper.make_node("Flatten", ["image"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["each"]),
        helper.make_node("Transpose", ["each"], ["embedding"], perm=[1, 0]),
    ]
    return _save(path, nodes, {"w": _projection(dims)}, "N", [dims, "N"])


def wide(path: Path, megabytes: float) -> Path:
    """Spreads each photo over `megabytes` of activations (an Expand), then gives its pixels back, (N, 3072)."""
    rows = max(1, int(megabytes * 2**20) // (PIXELS * 4))
    nodes = [
        helper.make_node("Reshape", ["image", "rows"], ["r"]),
        helper.make_node("Expand", ["r", "to"], ["spread"]),
        helper.make_node("Slice", ["spread", "last", "end", "axis"], ["s"]),
        helper.make_node("Reshape", ["s", "flat"], ["embedding"]),
    ]
    consts = {
        "rows": np.array([-1, 1, PIXELS], np.int64),
        "to": np.array([1, rows, 1], np.int64),
        "last": np.array([rows - 1], np.int64),
        "end": np.array([rows], np.int64),
        "axis": np.array([1], np.int64),
        "flat": np.array([-1, PIXELS], np.int64),
    }
    return _save(path, nodes, consts, "N", ["N", PIXELS])


def slow(path: Path, layers: int) -> Path:
    """Each photo tiled to (1023, 1024) and put through `layers` 1024x1024 MatMuls, a few tens of ms each."""
    weight = (np.random.default_rng(3).standard_normal((1024, 1024)) / 32).astype(np.float32)
    nodes = [helper.make_node("Reshape", ["image", "rows"], ["r"]), helper.make_node("Tile", ["r", "times"], ["h0"])]
    nodes += [helper.make_node("MatMul", [f"h{i}", "w"], [f"h{i + 1}"]) for i in range(layers)]
    nodes.append(helper.make_node("ReduceMean", [f"h{layers}"], ["embedding"], axes=[1], keepdims=0))
    consts = {"rows": np.array([-1, 3, 1024], np.int64), "times": np.array([1, 341, 1], np.int64), "w": weight}
    return _save(path, nodes, consts, "N", ["N", 1024])
