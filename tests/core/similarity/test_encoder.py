import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from core.common.errors import ModelError
from core.similarity.encoder import CONTRACT_KEYS, OnnxEncoder, normalise
from tests.conftest import SMALL_INPUT, rgb_array


def test_loads_contract_and_embeds_in_batches(small_encoder):
    enc = OnnxEncoder(small_encoder, threads=1)
    assert enc.info.input_size == SMALL_INPUT
    assert enc.info.latent_dim == 16
    assert enc.info.trained_on == "tests"
    batch = rgb_array(10, SMALL_INPUT)
    whole = enc.embed(batch)
    parts = np.concatenate([enc.embed(batch[:3]), enc.embed(batch[3:])])
    assert whole.shape == (10, 16) and whole.dtype == np.float32
    np.testing.assert_allclose(whole, parts, atol=1e-5)
    assert enc.embed(batch[:0]).shape == (0, 16)


def test_model_id_follows_file_content(small_encoder, tmp_path):
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(small_encoder.read_bytes())
    assert OnnxEncoder(copy).info.model_id == OnnxEncoder(small_encoder).info.model_id


def test_wrong_image_size_is_refused(small_encoder):
    with pytest.raises(ModelError):
        OnnxEncoder(small_encoder).embed(rgb_array(2, SMALL_INPUT + 4))


def test_missing_and_corrupt_models_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        OnnxEncoder(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf at all" * 10)
    with pytest.raises(ModelError, match="not a usable ONNX model"):
        OnnxEncoder(bad)


def _graph_model(path, in_shape, out_dims, meta=None):
    """A tiny real ONNX model: global average pool + flatten, with the given input shape."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_dims)
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"]), helper.make_node("Flatten", ["p"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    for k, v in (meta or {}).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def test_foreign_model_following_the_contract_loads(tmp_path):
    path = _graph_model(tmp_path / "pool.onnx", ["N", 3, 24, 24], ["N", 3])
    enc = OnnxEncoder(path)
    assert enc.info.input_size == 24 and enc.info.latent_dim == 3
    white = np.full((1, 24, 24, 3), 255, np.uint8)
    np.testing.assert_allclose(enc.embed(white), [[1.0, 1.0, 1.0]], atol=1e-6)


def test_incompatible_models_are_refused_with_a_reason(tmp_path):
    grey = _graph_model(tmp_path / "grey.onnx", ["N", 1, 28, 28], ["N", 1])
    with pytest.raises(ModelError, match=r"input must be \(N, 3, S, S\)"):
        OnnxEncoder(grey)
    unsized = _graph_model(tmp_path / "unsized.onnx", ["N", 3, "H", "W"], ["N", 3])
    with pytest.raises(ModelError, match="input size"):
        OnnxEncoder(unsized)
    liar = _graph_model(tmp_path / "liar.onnx", ["N", 3, 24, 24], ["N", 3], {CONTRACT_KEYS["latent_dim"]: "64"})
    with pytest.raises(ModelError, match="64 dimensions"):
        OnnxEncoder(liar)


def test_normalise_gives_unit_rows_and_keeps_zero_rows():
    v = normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(v, [[0.6, 0.8], [0.0, 0.0]])
