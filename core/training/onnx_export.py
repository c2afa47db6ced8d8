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
import onnxruntime as ort
import torch

from core.common import ModelError
from core.similarity import CONTRACT_KEYS, CONTRACT_VERSION
from core.storage import atomic
from core.training.backbone import PIXEL_MEAN, PIXEL_STD
from core.training.backbone_model import BackboneEncoder
from core.training.model import Autoencoder

MODEL_VERSION = "lookalike-ae-2"  # foreground map in, edge orientations reconstructed, mirror-invariant, whitened
BACKBONE_MODEL_VERSION = "lookalike-backbone-1"  # EfficientNet-Lite0 on grey, GeM pooled; a feature autoencoder's latent


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


def _export(encoder: torch.nn.Module, size: int, outputs: list[str], metadata: dict[str, str], path: Path, trained_on: str,
            tolerance: float) -> None:
    example = torch.rand(2, 3, size, size)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        program = torch.onnx.export(
            encoder,
            (example,),
            dynamo=True,
            input_names=["image"],
            output_names=outputs,
            dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=65536)},),
            verbose=False,
        )
    proto = program.model_proto
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
    buffer.write(proto.SerializeToString())
    data = buffer.getvalue()

    probe = torch.rand(5, 3, size, size)
    with torch.no_grad():
        expected = encoder(probe)
        expected = (expected[0] if isinstance(expected, tuple) else expected).numpy()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    actual = session.run(None, {"image": probe.numpy()})[0]
    error = float(np.max(np.abs(actual - expected)))
    if error > tolerance * max(1.0, float(np.max(np.abs(expected)))):
        raise ModelError(f"exported encoder disagrees with PyTorch (max difference {error:.2g})")
    onnx.checker.check_model(onnx.load_from_string(data))
    atomic.write_bytes(path, data)
