"""Exporting a trained encoder to ONNX with the metadata that makes it self-describing."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
import torch

from core.common import ModelError
from core.similarity import CONTRACT_KEYS, CONTRACT_VERSION, FEATURES_OUTPUT
from core.storage import atomic
from core.training.backbone import FEATURES, INPUT_SIZE, PIXEL_MEAN, PIXEL_STD
from core.training.backbone_model import BackboneEncoder, FeatureAutoencoder
from core.training.model import Autoencoder

MODEL_VERSION = "lookalike-ae-2"  # foreground map in, edge orientations reconstructed, mirror-invariant, whitened
BACKBONE_MODEL_VERSION = "lookalike-backbone-1"  # EfficientNet-Lite0 on grey, GeM pooled; a feature autoencoder's latent
HEAD_PREFIX = "head/"  # a head joined onto a backbone encoder: its names, kept apart from the backbone's


def export_encoder(model: Autoencoder, path: Path, trained_on: str, tolerance: float = 1e-3) -> None:
    """Write the encoder half of `model` to `path` (atomically) and check ONNX Runtime agrees with PyTorch."""
    arch = model.arch
    metadata = {
        CONTRACT_KEYS["input_size"]: str(arch.input_size),
        CONTRACT_KEYS["model_version"]: MODEL_VERSION,
        CONTRACT_KEYS["latent_dim"]: str(arch.latent_dim),
        CONTRACT_KEYS["mean"]: json.dumps([0.0, 0.0, 0.0]),
        CONTRACT_KEYS["std"]: json.dumps([1.0, 1.0, 1.0]),
        CONTRACT_KEYS["architecture"]: json.dumps({"widths": list(arch.widths), "orientations": arch.orientations, "target_blur": arch.target_blur}),
    }
    _export(model.embedder().eval(), arch.input_size, ["embedding"], metadata, path, trained_on, tolerance)


def export_backbone_encoder(model: BackboneEncoder, path: Path, trained_on: str, tolerance: float = 1e-3) -> None:
    """Write the backbone encoder (embedding and backbone features out) to `path`, atomically, checked as above.

    Its input is scaled as the backbone's checkpoint wants, (x - 127) / 128, by the contract's mean and std.
    """
    shape = model.head.shape
    metadata = {
        CONTRACT_KEYS["input_size"]: str(shape.input_size),
        CONTRACT_KEYS["model_version"]: BACKBONE_MODEL_VERSION,
        CONTRACT_KEYS["latent_dim"]: str(shape.latent_dim),
        CONTRACT_KEYS["mean"]: json.dumps([PIXEL_MEAN] * 3),
        CONTRACT_KEYS["std"]: json.dumps([PIXEL_STD] * 3),
        CONTRACT_KEYS["architecture"]: json.dumps({"backbone": "efficientnet-lite0", "hidden": shape.hidden,
                                                   "mirror": shape.mirror}),
    }
    _export(model.eval(), shape.input_size, ["embedding", "features"], metadata, path, trained_on, tolerance)


def export_head_onto(base: bytes, head: FeatureAutoencoder, path: Path, trained_on: str, tolerance: float = 1e-3) -> None:
    """Write, atomically, the backbone encoder `base` (an ONNX file's bytes) with its feature autoencoder replaced by `head`.

    The backbone's part of `base`, photo to features, is kept node for node, and the small head
    (features to embedding, a few ONNX operators written from its weights) is joined on: a second
    instead of the whole network's export from PyTorch (15 s), and the features stay those the
    head was fitted on. Checked as above, the
    head against PyTorch on the features the new file gives, which must be `base`'s own.
    """
    try:
        model = onnx.load_from_string(base)
        outputs = [o.name for o in model.graph.output]
        if FEATURES_OUTPUT not in outputs or "image" not in [i.name for i in model.graph.input]:
            raise ModelError("the encoder in use is not a backbone encoder (no 'features' output)")
        backbone = onnx.utils.Extractor(model).extract_model(["image"], [FEATURES_OUTPUT])
    except (onnx.checker.ValidationError, ValueError, KeyError) as exc:
        raise ModelError(f"the encoder in use cannot be taken apart: {exc}") from None
    top = _head_graph(head.eval(), model)
    joined = onnx.compose.merge_models(backbone, top, io_map=[(FEATURES_OUTPUT, "features")], prefix2=HEAD_PREFIX,
                                       outputs=[HEAD_PREFIX + "embedding", FEATURES_OUTPUT])
    _rename_output(joined.graph, HEAD_PREFIX + "embedding", "embedding")
    joined.graph.output.sort(key=lambda o: ["embedding", FEATURES_OUTPUT].index(o.name))
    known = {entry.key: entry.value for entry in model.metadata_props}
    architecture = {**json.loads(known.get(CONTRACT_KEYS["architecture"], "{}")), "hidden": head.shape.hidden}
    metadata = {**known, CONTRACT_KEYS["latent_dim"]: str(head.shape.latent_dim), CONTRACT_KEYS["architecture"]: json.dumps(architecture)}
    data = _stamped(joined, metadata, trained_on)

    size = int(known.get(CONTRACT_KEYS["input_size"], INPUT_SIZE))
    probe = np.random.default_rng(0).random((5, 3, size, size), dtype=np.float32)
    embedding, features = _session(data).run(["embedding", FEATURES_OUTPUT], {"image": probe})
    if not np.array_equal(features, _session(base).run([FEATURES_OUTPUT], {"image": probe})[0]):
        raise ModelError("the new encoder's backbone features differ from the encoder in use's")
    with torch.no_grad():
        expected = head(torch.from_numpy(features)).numpy()
    _check_and_write(data, embedding, expected, path, tolerance)


def _rename_output(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.output[:] = [new if name == old else name for name in node.output]
    for output in graph.output:
        if output.name == old:
            output.name = new


def _head_graph(head: FeatureAutoencoder, like: onnx.ModelProto) -> onnx.ModelProto:
    """`head`'s forward (standardise, the encoder's linear layers and ReLUs, whitening) as an ONNX model
    of `like`'s opset and IR version: features (N, FEATURES) in, embedding out."""
    weights: list[onnx.TensorProto] = []

    def constant(name: str, tensor: torch.Tensor) -> str:
        weights.append(onnx.numpy_helper.from_array(tensor.detach().numpy().astype(np.float32), name))
        return name

    nodes = [
        onnx.helper.make_node("Sub", ["features", constant("standardise.mean", head.standardise.mean)], ["centred"]),
        onnx.helper.make_node("Div", ["centred", constant("standardise.std", head.standardise.std)], ["x0"]),
    ]
    for number, layer in enumerate(head.encode):
        x, y = f"x{number}", f"x{number + 1}"
        if isinstance(layer, torch.nn.Linear):
            nodes.append(onnx.helper.make_node("Gemm", [x, constant(f"encode.{number}.weight", layer.weight),
                                                        constant(f"encode.{number}.bias", layer.bias)], [y], transB=1))
        elif isinstance(layer, torch.nn.ReLU):
            nodes.append(onnx.helper.make_node("Relu", [x], [y]))
        else:
            raise ModelError(f"cannot write a {type(layer).__name__} layer of the feature autoencoder to ONNX")
    latent = f"x{len(head.encode)}"
    nodes += [
        onnx.helper.make_node("Sub", [latent, constant("whitening.mean", head.whitening.mean)], ["latent_centred"]),
        onnx.helper.make_node("MatMul", ["latent_centred", constant("whitening.matrix", head.whitening.matrix)], ["embedding"]),
    ]
    graph = onnx.helper.make_graph(
        nodes, "feature_autoencoder",
        [onnx.helper.make_tensor_value_info("features", onnx.TensorProto.FLOAT, ["batch", FEATURES])],
        [onnx.helper.make_tensor_value_info("embedding", onnx.TensorProto.FLOAT, ["batch", head.shape.latent_dim])],
        weights,
    )
    return onnx.helper.make_model(graph, opset_imports=like.opset_import, ir_version=like.ir_version)


def _traced(module: torch.nn.Module, example: tuple[int, ...], inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
    """`module` exported to ONNX by PyTorch, its first axis (the batch) left free."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        program = torch.onnx.export(
            module,
            (torch.rand(*example),),
            dynamo=True,
            input_names=inputs,
            output_names=outputs,
            dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=65536)},),
            verbose=False,
        )
    return program.model_proto


def _stamped(proto: onnx.ModelProto, metadata: dict[str, str], trained_on: str) -> bytes:
    """The model's bytes with the contract's metadata, `metadata` and where and when it was trained."""
    metadata = {
        CONTRACT_KEYS["contract"]: CONTRACT_VERSION,
        CONTRACT_KEYS["channels"]: "3",
        **metadata,
        CONTRACT_KEYS["trained_on"]: trained_on,
        CONTRACT_KEYS["created"]: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def _session(data: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def _check_and_write(data: bytes, actual: np.ndarray, expected: np.ndarray, path: Path, tolerance: float) -> None:
    """Write the model `data` to `path`, atomically, once ONNX Runtime's `actual` output agrees with PyTorch's `expected`."""
    error = float(np.max(np.abs(actual - expected)))
    if error > tolerance * max(1.0, float(np.max(np.abs(expected)))):
        raise ModelError(f"exported encoder disagrees with PyTorch (max difference {error:.2g})")
    onnx.checker.check_model(onnx.load_from_string(data))
    atomic.write_bytes(path, data)


def _export(encoder: torch.nn.Module, size: int, outputs: list[str], metadata: dict[str, str], path: Path, trained_on: str,
            tolerance: float) -> None:
    data = _stamped(_traced(encoder, (2, 3, size, size), ["image"], outputs), metadata, trained_on)
    probe = torch.rand(5, 3, size, size)
    with torch.no_grad():
        expected = encoder(probe)
        expected = (expected[0] if isinstance(expected, tuple) else expected).numpy()
    actual = _session(data).run(None, {"image": probe.numpy()})[0]
    _check_and_write(data, actual, expected, path, tolerance)
