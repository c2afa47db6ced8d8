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


def test_a_head_joined_onto_a_backbone_encoder_keeps_its_features_and_embeds_as_pytorch_does(tmp_path, default_encoder):
    import pytest

    from core.common import ModelError
    from core.similarity import OnnxEncoder
    from core.training.backbone_model import FeatureAutoencoder, HeadShape
    from core.training.onnx_export import export_head_onto

    torch.manual_seed(3)
    head = FeatureAutoencoder(HeadShape(hidden=64, latent_dim=24)).eval()
    with torch.no_grad():  # weights a training would have moved away from the defaults
        head.standardise.mean.uniform_(0, 1)
        head.standardise.std.uniform_(0.5, 2)
        head.whitening.mean.normal_()
        head.whitening.matrix.normal_()
    out = tmp_path / "joined.onnx"
    export_head_onto(default_encoder.read_bytes(), head, out, trained_on="unit test")

    photos = np.random.default_rng(4).integers(0, 256, (6, 224, 224, 3), dtype=np.uint8)
    joined, base = OnnxEncoder(out), OnnxEncoder(default_encoder)
    features = joined.features(photos)
    np.testing.assert_array_equal(features, base.features(photos))
    with torch.no_grad():
        expected = head(torch.from_numpy(features)).numpy()
    embedding = joined.embed(photos)
    assert embedding.shape == (6, 24) and joined.info.latent_dim == 24 and joined.info.trained_on == "unit test"
    np.testing.assert_allclose(embedding, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert '"hidden": 64' in meta[CONTRACT_KEYS["architecture"]] and meta[CONTRACT_KEYS["mean"]] == base_meta(default_encoder)[CONTRACT_KEYS["mean"]]

    small = tmp_path / "small.onnx"
    export_encoder(Autoencoder(Architecture(input_size=32, latent_dim=10, widths=(8, 16))).eval(), small, trained_on="unit test")
    with pytest.raises(ModelError, match="not a backbone encoder"):
        export_head_onto(small.read_bytes(), head, tmp_path / "refused.onnx", trained_on="unit test")
    assert not (tmp_path / "refused.onnx").exists()


def base_meta(path):
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}
