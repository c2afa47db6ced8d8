"""Shared fixtures: small real ONNX encoders and product-like photos made on the fly."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SMALL_INPUT = 32


def draw_product(path: Path, shape: str, colour: tuple[int, int, int], size: int = 96, offset: int = 0) -> Path:
    """A crude pack shot: one filled shape on white. Good enough to tell shapes apart."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    s, o = size, offset
    if shape == "disc":
        draw.ellipse((s * 0.2 + o, s * 0.2 + o, s * 0.8 + o, s * 0.8 + o), fill=colour)
    elif shape == "bar":
        draw.rectangle((s * 0.42 + o, s * 0.1 + o, s * 0.58 + o, s * 0.9 + o), fill=colour)
    elif shape == "slab":
        draw.rectangle((s * 0.1 + o, s * 0.42 + o, s * 0.9 + o, s * 0.58 + o), fill=colour)
    elif shape == "wedge":
        draw.polygon([(s * 0.15 + o, s * 0.85), (s * 0.85 + o, s * 0.85), (s * 0.5 + o, s * 0.15)], fill=colour)
    else:
        raise ValueError(shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture(scope="session")
def small_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, untrained-but-deterministic ONNX encoder with a 32 px input."""
    import torch

    from core.training.model import Architecture, Autoencoder
    from core.training.onnx_export import export_encoder

    torch.manual_seed(0)
    model = Autoencoder(Architecture(input_size=SMALL_INPUT, latent_dim=16, widths=(8, 16))).eval()
    path = tmp_path_factory.mktemp("models") / "small.onnx"
    export_encoder(model, path, trained_on="tests")
    return path


@pytest.fixture(scope="session")
def default_encoder() -> Path:
    from core.common.config import DEFAULT_ENCODER

    if not DEFAULT_ENCODER.exists():
        pytest.fail(f"the embedded default encoder is missing: {DEFAULT_ENCODER}")
    return DEFAULT_ENCODER


@pytest.fixture
def shapes_catalog(tmp_path: Path) -> Path:
    """A catalog of 4 shapes x 4 colours x 2 positions, in two subfolders, with a products.csv."""
    root = tmp_path / "catalog"
    colours = [(200, 30, 30), (30, 160, 40), (40, 60, 200), (20, 20, 20)]
    rows = ["path,sku,name,category"]
    n = 0
    for shape in ("disc", "bar", "slab", "wedge"):
        for ci, colour in enumerate(colours):
            for offset in (0, 6):
                rel = f"{'round' if shape == 'disc' else 'angular'}/{shape}-{ci}-{offset}.png"
                draw_product(root / rel, shape, colour, offset=offset)
                n += 1
                rows.append(f"{rel},SKU-{n:03d},{shape} {ci},{shape}")
    (root / "products.csv").write_text("\n".join(rows) + "\n")
    return root


def rgb_array(n: int, size: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def index_files(ws) -> tuple[Path | None, Path | None]:
    """(shape index file, colour index file) of a workspace's recorded state; None where there is none."""
    from core.storage.index_state import read_state
    from core.storage.store import CatalogStore

    if not ws.database.exists():
        return None, None
    with CatalogStore(ws.database) as store:
        state = read_state(store)
    if state is None:
        return None, None
    return ws.root / state.shape_name, ws.root / state.colour_name if state.colour_name else None


def index_file(ws) -> Path | None:
    return index_files(ws)[0]


@pytest.fixture(params=["one by one", "in bulk"])
def list_matching(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Lists matched one search at a time, then matched in bulk: a test using this runs both ways."""
    from core.lists import curation

    monkeypatch.setattr(curation, "BULK_LISTS", 10**9 if request.param == "one by one" else 1)
    return request.param


def rewrite_in_place(path: Path, data: bytes) -> os.stat_result:
    """Write other bytes of the same size over `path` and put its dates back, as a sync tool or a restore does.

    Returns the file's stat from before. The write is repeated until the file system's clock (a
    few milliseconds a tick) gives it another ctime, as any later change would have.
    """
    before = path.stat()
    assert len(data) == before.st_size and data != path.read_bytes()
    while True:
        with open(path, "r+b") as fh:  # in place: the same inode
            fh.write(data)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        if path.stat().st_ctime_ns != before.st_ctime_ns:
            return before


def same_size_photos(folder: Path, names: list[str], size: int = 6000) -> list[Path]:
    """Photos of different products padded to one byte size (PNG ignores what follows its end), to swap in place."""
    shapes = ["disc", "bar", "slab", "wedge"]
    paths = []
    for i, name in enumerate(names):
        path = draw_product(folder / name, shapes[i % 4], (40 * (i % 6), 200 - 30 * (i % 5), 25 * (i % 9)), offset=i % 7)
        data = path.read_bytes()
        assert len(data) <= size, len(data)
        path.write_bytes(data.ljust(size, b"\0"))
        paths.append(path)
    return paths


def huge_png(width: int, height: int) -> bytes:
    """A real, valid black 1-bit PNG of any size, written a row at a time (20000 x 20000 is about 50 KB)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


RED = (200, 30, 30)


def draw_discs_and_red_shapes(root: Path, other_discs: int) -> Path:
    """A catalog of a red disc placed twice, `other_discs` discs in colours without red, and red bars, slabs and wedges.

    The shapes differ and so do the colours: "disc-red-0.png" has one lookalike of its shape and
    colour, many of its shape only and six of its colour only.
    """
    import colorsys

    draw_product(root / "disc-red-0.png", "disc", RED)
    draw_product(root / "disc-red-6.png", "disc", RED, offset=6)
    for n in range(other_discs):
        hue = (100 + 160 * n / max(other_discs - 1, 1)) / 360  # green through blue to violet
        rgb = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.8, 0.75))
        draw_product(root / f"disc-other-{n:02d}.png", "disc", rgb)  # type: ignore[arg-type]
    for shape in ("bar", "slab", "wedge"):
        for offset in (0, 6):
            draw_product(root / f"{shape}-red-{offset}.png", shape, RED, offset=offset)
    return root
