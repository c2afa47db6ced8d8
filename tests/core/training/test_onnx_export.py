import numpy as np
import onnx
import onnxruntime as ort
import torch

from core.similarity.encoder import CONTRACT_KEYS
from core.training.model import Architecture, Autoencoder
from core.training.onnx_export import export_encoder


def test_export_writes_a_self_describing_model_that_matches_pytorch(tmp_path):
    torch.manual_seed(1)
    model = Autoencoder(Architecture(input_size=32, latent_dim=10, widths=(8, 16))).eval()
    out = tmp_path / "sub" / "enc.onnx"
    export_encoder(model, out, trained_on="unit test")
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta[CONTRACT_KEYS["input_size"]] == "32"
    assert meta[CONTRACT_KEYS["latent_dim"]] == "10"
    assert meta[CONTRACT_KEYS["trained_on"]] == "unit test"
    assert meta[CONTRACT_KEYS["channels"]] == "3" and meta[CONTRACT_KEYS["model_version"]]
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = torch.rand(7, 3, 32, 32)
    with torch.no_grad():
        expected = (model.encoder(x) + model.encoder(x.flip(3))).numpy()
    actual = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert actual.shape == (7, 10)
    np.testing.assert_allclose(actual, expected, atol=1e-4)
    mirrored = session.run(None, {session.get_inputs()[0].name: x.flip(3).numpy()})[0]
    np.testing.assert_allclose(mirrored, actual, atol=1e-4)  # a product facing the other way is the same product
    assert [p.name for p in tmp_path.joinpath("sub").iterdir()] == ["enc.onnx"]
