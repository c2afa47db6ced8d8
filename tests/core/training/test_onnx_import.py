import numpy as np
import torch

from core.similarity.encoder import OnnxEncoder
from core.training.onnx_import import load_autoencoder
from core.training.train import to_tensor
from tests.conftest import rgb_array


def _torch_embeddings(model, squares: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.embedder()(to_tensor(squares)).numpy()


def test_an_exported_encoder_reads_back_as_the_same_function(small_encoder):
    from core.common.config import SMALL_ENCODER

    for path in (SMALL_ENCODER, small_encoder):
        model = load_autoencoder(path)
        assert model is not None
        squares = rgb_array(6, model.arch.input_size, seed=4)
        np.testing.assert_allclose(_torch_embeddings(model, squares), OnnxEncoder(path).embed(squares), atol=1e-4)


def test_its_shape_comes_from_the_file(small_encoder):
    model = load_autoencoder(small_encoder)
    info = OnnxEncoder(small_encoder).info
    assert (model.arch.input_size, model.arch.latent_dim) == (info.input_size, info.latent_dim) == (32, 16)
    assert model.arch.widths == (8, 16)


def test_a_file_that_is_no_lookalike_encoder_gives_none(tmp_path, default_encoder):
    garbage = tmp_path / "x.onnx"
    garbage.write_bytes(b"\x00not a model" * 10)
    assert load_autoencoder(garbage) is None
    assert load_autoencoder(default_encoder) is None  # the backbone encoder is refitted its own way, not read back
    assert load_autoencoder(tmp_path / "missing.onnx") is None
