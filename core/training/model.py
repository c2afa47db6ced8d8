"""The convolutional autoencoder (PyTorch). Only training and export import this module.

The encoder takes RGB in [0, 1] and first turns it into a foreground map: how far each pixel
is from the photo's background colour, scaled per image. That map keeps silhouette and
texture but not hue, so the latent vector describes shape and a red shoe is not matched to a
red shirt. The map is part of the graph, so the exported ONNX encoder needs no extra
preprocessing beyond scaling pixels to [0, 1].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Architecture:
    """The shape of an autoencoder; saved in the ONNX metadata so a model describes itself."""

    input_size: int = 64
    latent_dim: int = 64
    widths: tuple[int, ...] = (16, 32, 64, 128)
    orientations: int = 8  # edge-orientation channels the decoder reconstructs
    target_blur: int = 9  # pixels: edges are reconstructed as local orientation energy, not exact lines

    def __post_init__(self) -> None:
        stride = 2 ** len(self.widths)
        if self.input_size % stride or self.input_size < stride:
            raise ValueError(f"input size {self.input_size} must be a multiple of {stride}")
        if self.latent_dim <= 0 or not self.widths:
            raise ValueError("latent size and widths must be positive")
        if self.orientations <= 0 or self.target_blur <= 0 or self.target_blur % 2 == 0:
            raise ValueError("orientations must be positive and the target blur a positive odd size")

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


def box_blur(x: torch.Tensor, size: int) -> torch.Tensor:
    """Mean over each size x size neighbourhood (zero beyond the border), from running sums.

    The same as a stride-1 average pool, about seven times faster on CPU. The training target
    is computed on every batch, and that pool was a third of a training step.
    """
    if size == 1:
        return x
    half = size // 2
    x = F.pad(x, (half + 1, half, half + 1, half))
    x = x.cumsum(3)
    x = x[..., size:] - x[..., :-size]
    x = x.cumsum(2)
    x = x[..., size:, :] - x[..., :-size, :]
    return x / (size * size)


class OrientationMaps(nn.Module):
    """Foreground map (N,1,H,W) -> local edge-orientation energy (N,B,H,W) in [0,1], per image.

    Channel b holds the gradient magnitude of edges at angle b*180/B degrees (soft bins, from
    doubled angles so no arctangent is needed), averaged over a blur x blur neighbourhood
    and square-rooted: a dense, histogram-of-gradients-like picture of where edges run which
    way. Reconstructing this rather than raw pixels makes the latent describe collars, straps,
    heels and sleeves, not only the silhouette's mass.
    """

    def __init__(self, bins: int = 8, blur: int = 9) -> None:
        super().__init__()
        self.blur = blur
        sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
        self.register_buffer("sobel", torch.stack([sobel, sobel.t()]).unsqueeze(1), persistent=False)
        angles = torch.arange(bins) * math.pi / bins
        self.register_buffer("cos2", torch.cos(2 * angles).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("sin2", torch.sin(2 * angles).view(1, -1, 1, 1), persistent=False)

    def forward(self, foreground: torch.Tensor) -> torch.Tensor:
        gradient = F.conv2d(foreground, self.sobel, padding=1)
        gx, gy = gradient[:, :1], gradient[:, 1:]
        energy = gx * gx + gy * gy + 1e-8
        cos2, sin2 = (gx * gx - gy * gy) / energy, 2 * gx * gy / energy
        maps = energy.sqrt() * torch.relu(cos2 * self.cos2 + sin2 * self.sin2) ** 2
        maps = box_blur(maps, self.blur).clamp_min(0.0).sqrt()
        return maps / maps.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-3)


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
    """Latent vector -> edge-orientation maps as logits, with transposed convolutions."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.side = arch.bottleneck_side
        self.top = arch.widths[-1]
        self.expand = nn.Sequential(
            nn.Linear(arch.latent_dim, self.top * self.side * self.side), nn.ReLU(inplace=True)
        )
        channels = tuple(reversed(arch.widths))
        self.features = nn.Sequential(*(_up(a, b) for a, b in zip(channels, channels[1:])))
        self.out = nn.ConvTranspose2d(channels[-1], arch.orientations, 4, stride=2, padding=1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        x = self.expand(latent).view(-1, self.top, self.side, self.side)
        return self.out(self.features(x))


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


class Whitening(nn.Module):
    """x -> (x - mean) @ matrix: flattens the latent's few dominant directions (identity until fitted).

    Fitted after training on the training photos' embeddings, with no labels: the principal
    directions scaled by variance**-power. Power 0.25 (half-way to full whitening) lets the
    weaker directions, where the finer differences between products live, count in the cosine.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("matrix", torch.eye(dim))

    def fit(self, embeddings: torch.Tensor, power: float = 0.25) -> None:
        mean = embeddings.mean(dim=0)
        centred = (embeddings - mean).double()
        variance, directions = torch.linalg.eigh(centred.T @ centred / max(1, len(embeddings) - 1))
        scale = variance.clamp_min(variance.max() * 1e-6) ** -power
        self.mean.copy_(mean)
        self.matrix.copy_((directions * scale).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) @ self.matrix


class Autoencoder(nn.Module):
    """Encoder and decoder; trained to reconstruct the edge-orientation maps of its input's foreground."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        self.encoder = Encoder(arch)
        self.decoder = Decoder(arch)
        self.orientation = OrientationMaps(arch.orientations, arch.target_blur)
        self.whitening = Whitening(arch.latent_dim)

    def embedder(self) -> nn.Module:
        """What gets exported: the mirror-invariant encoder followed by the fitted whitening."""
        return nn.Sequential(MirrorInvariant(self.encoder), self.whitening)

    def target(self, rgb: torch.Tensor) -> torch.Tensor:
        """What the decoder should reproduce for this input."""
        return self.orientation(self.encoder.foreground(rgb))

    def logits(self, rgb: torch.Tensor) -> torch.Tensor:
        """The reconstruction of `rgb` before the sigmoid."""
        return self.decoder(self.encoder(rgb))

    def loss(self, rgb: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """Binary cross-entropy of the reconstruction of `rgb` against `target`, from logits (stable, and fast on CPU)."""
        return F.binary_cross_entropy_with_logits(self.logits(rgb), target, reduction=reduction)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """The reconstructed edge-orientation maps, in [0, 1]."""
        return torch.sigmoid(self.logits(rgb))
