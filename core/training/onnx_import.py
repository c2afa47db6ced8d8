"""Reading an encoder Lookalike exported back into PyTorch, so training can start from the one in use.

The export folds each batch normalisation into the convolution before it, so a convolution
comes back with the folded weights and the normalisation as a pass-through holding the folded
bias (kept frozen while fine-tuning: the encoder then starts exactly as the one in use). The
decoder is not in the file; it starts fresh.
"""
from __future__ import annotations

import json
from pathlib import Path

import onnx
import torch
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from core.training.model import Architecture, Autoencoder


def load_autoencoder(path: Path) -> Autoencoder | None:
    """An autoencoder whose encoder and whitening are the file's, or None when the file is no Lookalike encoder."""
    try:
        model = onnx.load(str(path))
        meta = {p.key: p.value for p in model.metadata_props}
        shape = json.loads(meta.get("lookalike.architecture", "{}"))
        arch = Architecture(
            input_size=int(meta["lookalike.input_size"]),
            latent_dim=int(meta["lookalike.latent_dim"]),
            widths=tuple(int(w) for w in shape["widths"]),
            orientations=int(shape.get("orientations", Architecture.orientations)),
            target_blur=int(shape.get("target_blur", Architecture.target_blur)),
        )
    except (OSError, ValueError, KeyError, TypeError, DecodeError):
        return None
    weights = {init.name: torch.from_numpy(numpy_helper.to_array(init).copy()) for init in model.graph.initializer}
    convs = [node for node in model.graph.node if node.op_type == "Conv"]  # the encoder's, in order
    gemms = [node for node in model.graph.node if node.op_type == "Gemm"]
    autoencoder = Autoencoder(arch)
    encoder = autoencoder.encoder
    if len(convs) != len(encoder.features) or len(gemms) != 1:
        return None
    wanted: list[tuple[torch.Tensor, torch.Tensor | None]] = []
    for conv_node, block in zip(convs, encoder.features):
        conv, norm = block[0], block[1]
        bias = weights.get(conv_node.input[2]) if len(conv_node.input) > 2 else torch.zeros_like(norm.bias)
        wanted += [(conv.weight, weights.get(conv_node.input[1])), (norm.bias, bias)]
    gemm = gemms[0]
    wanted += [
        (encoder.project.weight, weights.get(gemm.input[1])),
        (encoder.project.bias, weights.get(gemm.input[2]) if len(gemm.input) > 2 else None),
        (autoencoder.whitening.mean, weights.get("1.mean", torch.zeros(arch.latent_dim))),
        (autoencoder.whitening.matrix, weights.get("1.matrix")),
    ]
    if any(value is None or value.shape != tensor.shape for tensor, value in wanted):
        return None
    with torch.no_grad():
        for tensor, value in wanted:
            tensor.copy_(value)
        for block in encoder.features:
            norm = block[1]
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0)
            norm.weight.fill_(1.0)
            norm.eps = 0.0
    return autoencoder.eval()
