"""The convolutional autoencoder (PyTorch). Only training and export import this module.

The encoder takes RGB in [0, 1] and first turns it into a foreground map: how far each pixel
is from the photo's background colour, scaled per image. That map keeps silhouette and
texture but not hue, so the latent vector describes shape and a red shoe is not matched to a
red shirt. The map is part of the graph, so the exported ONNX encoder needs no extra
preprocessing beyond scaling pixels to [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Architecture:
    """The shape of an autoencoder; saved in the ONNX metadata so a model describes itself."""

    input_size: int = 64
    latent_dim: int = 64
    widths: tuple[int, ...] = (16, 32, 64, 128)

    def __post_init__(self) -> None:
        stride = 2 ** len(self.widths)
        if self.input_size % stride or self.input_size < stride:
            raise ValueError(f"input size {self.input_size} must be a multiple of {stride}")
        if self.latent_dim <= 0 or not self.widths:
            raise ValueError("latent size and widths must be positive")

    @property
    def bottleneck_side(self) -> int:
        return self.input_size // 2 ** len(self.widths)


class ForegroundMap(nn.Module):
    """RGB (N,3,H,W) in [0,1] -> (N,1,H,W): distance from the border's mean colour, max-scaled per image."""

    def __init__(self, floor: float = 0.05) -> None:
        super().__init__()
        self.floor = floor

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        border = torch.cat(
            [rgb[:, :, 0, :], rgb[:, :, -1, :], rgb[:, :, :, 0], rgb[:, :, :, -1]], dim=2
        )
        background = border.mean(dim=2, keepdim=True).unsqueeze(-1)
        distance = (rgb - background).abs().amax(dim=1, keepdim=True)
        peak = distance.amax(dim=(2, 3), keepdim=True).clamp_min(self.floor)
        return distance / peak


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    """RGB image -> latent vector; this is the part exported to ONNX."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.foreground = ForegroundMap()
        channels = (1, *arch.widths)
        self.features = nn.Sequential(*(_down(a, b) for a, b in zip(channels, channels[1:])))
        side = arch.bottleneck_side
        self.project = nn.Linear(arch.widths[-1] * side * side, arch.latent_dim)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.project(self.features(self.foreground(rgb)).flatten(1))


class Decoder(nn.Module):
    """Latent vector -> foreground map, with transposed convolutions."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.side = arch.bottleneck_side
        self.top = arch.widths[-1]
        self.expand = nn.Sequential(
            nn.Linear(arch.latent_dim, self.top * self.side * self.side), nn.ReLU(inplace=True)
        )
        channels = tuple(reversed(arch.widths))
        self.features = nn.Sequential(*(_up(a, b) for a, b in zip(channels, channels[1:])))
        self.out = nn.ConvTranspose2d(channels[-1], 1, 4, stride=2, padding=1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        x = self.expand(latent).view(-1, self.top, self.side, self.side)
        return torch.sigmoid(self.out(self.features(x)))


class MirrorInvariant(nn.Module):
    """The encoder's vector for a photo plus that of its mirror image: a shoe facing left is the same shoe.

    This is what gets exported; training uses the plain encoder, which must reconstruct.
    """

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        both = self.encoder(torch.cat([rgb, rgb.flip(3)]))
        n = rgb.shape[0]
        return both[:n] + both[n:]


class Autoencoder(nn.Module):
    """Encoder and decoder; trained to reconstruct the foreground map of its input."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        self.encoder = Encoder(arch)
        self.decoder = Decoder(arch)

    def target(self, rgb: torch.Tensor) -> torch.Tensor:
        """What the decoder should reproduce for this input."""
        return self.encoder.foreground(rgb)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(rgb))
