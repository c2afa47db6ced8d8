import pytest
import torch

from core.common.errors import ModelError
from core.training.backbone import FEATURES, INPUT_SIZE, check_weights, load_backbone, weights_file


def test_the_pinned_weights_load_into_the_network_and_give_imagenet_logits():
    model = load_backbone()
    x = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)
    with torch.no_grad():
        assert model.feature_map(x).shape == (2, FEATURES, 7, 7)
        assert model(x).shape == (2, 1000)
    assert not any(p.requires_grad for p in model.parameters()), "the backbone is frozen"


def test_weights_other_than_the_pinned_ones_are_refused(tmp_path):
    altered = tmp_path / "efficientnet-lite0.pth"
    data = bytearray(weights_file().read_bytes())
    data[-1] ^= 0xFF
    altered.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="not the pinned ones"):
        check_weights(altered)
    with pytest.raises(ModelError, match="not the pinned ones"):
        load_backbone(altered)
