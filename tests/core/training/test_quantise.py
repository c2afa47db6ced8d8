"""The backbone's convolutions quantised to 8 bits: close to the float encoder, the rest left float, repeatable."""
import json

import numpy as np
import onnx
import torch

from core.catalog import fit_square
from core.demo import CATEGORIES, render_product
from core.similarity import CONTRACT_KEYS, OnnxEncoder
from core.training.model import Architecture, Autoencoder
from core.training.onnx_export import export_encoder
from core.training.quantise import quantise_backbone


def demo_photos(count: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([fit_square(render_product(CATEGORIES[i % len(CATEGORIES)], rng), size) for i in range(count)])


def test_a_quantised_encoder_embeds_as_the_float_one_does_keeps_its_head_float_and_is_made_the_same_twice(tmp_path):
    torch.manual_seed(2)
    floating = tmp_path / "float.onnx"
    export_encoder(Autoencoder(Architecture(input_size=32, latent_dim=10, widths=(8, 16))).eval(), floating, trained_on="unit test")
    calibration = demo_photos(48, 32, seed=1)
    first, second = tmp_path / "int8.onnx", tmp_path / "again.onnx"
    quantise_backbone(floating, calibration, first)
    quantise_backbone(floating, calibration, second)
    assert first.read_bytes() == second.read_bytes()

    graph = onnx.load(str(first)).graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    stored_int8 = [n for n in graph.node if n.op_type == "DequantizeLinear" and n.input[0] in weights
                   and weights[n.input[0]].data_type == onnx.TensorProto.INT8]
    assert len(stored_int8) == 2  # both convolutions' weights
    head = [n for n in graph.node if n.op_type in ("Gemm", "MatMul")]
    assert head and all(weights[name].data_type == onnx.TensorProto.FLOAT for n in head for name in n.input if name in weights)

    photos = demo_photos(24, 32, seed=2)  # not the calibration photos
    a, b = OnnxEncoder(floating).embed(photos), OnnxEncoder(first).embed(photos)
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    print(f"cosine float against int8: mean {cosine.mean():.4f}, least {cosine.min():.4f}")
    assert cosine.mean() > 0.98 and cosine.min() > 0.9, cosine
    meta = {p.key: p.value for p in onnx.load(str(first)).metadata_props}
    assert json.loads(meta[CONTRACT_KEYS["architecture"]])["backbone_weights"] == "int8"
    assert meta[CONTRACT_KEYS["trained_on"]] == "unit test"
