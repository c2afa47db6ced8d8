"""A demo catalog holding one photo's copies: the same bytes, altered ones, and a colourway."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.bench.duplicates import ALTERATIONS


@dataclass(frozen=True)
class Planted:
    catalog: Path
    original: str
    exact: str
    altered: tuple[str, ...]
    colourway: str


def most_colourful(catalog: Path) -> Path:
    """The demo photo whose product is most saturated: a hue turn changes it the most."""
    def saturation(path: Path) -> float:
        hsv = np.asarray(Image.open(path).convert("HSV"), np.float32)
        product = hsv[..., 2] < 240  # leave out the white backdrop
        return float(hsv[..., 1][product].mean()) if product.any() else 0.0

    return max(sorted(catalog.glob("*/*.jpg")), key=saturation)


def hue_turned(im: Image.Image, turn: int = 85) -> Image.Image:
    h, s, v = im.convert("HSV").split()
    return Image.merge("HSV", (h.point(lambda x: (x + turn) % 256), s, v)).convert("RGB")


def plant(catalog: Path) -> Planted:
    source = most_colourful(catalog)
    folder = source.parent
    original = source.relative_to(catalog).as_posix()
    exact = folder / f"{source.stem}-relisted{source.suffix}"
    shutil.copyfile(source, exact)
    with Image.open(source) as src:
        im = src.convert("RGB")
    w, h = im.size
    changes = {
        "half": im.resize((w // 2, h // 2), Image.Resampling.LANCZOS),
        "crop": im.crop((int(w * 0.04), int(h * 0.04), int(w * 0.96), int(h * 0.96))),
        "q30": im,
        "border": ImageOps.expand(im, border=12, fill=(255, 255, 255)),
        # put on near the product: the trimmed frame moves, the rest of the photo stays where it was
        "banner": ALTERATIONS["banner"](im),
        "watermark": ALTERATIONS["watermark"](im),
        "bright": ALTERATIONS["bright25"](im),
    }
    altered = []
    for name, changed in changes.items():
        path = folder / f"{source.stem}-{name}.jpg"
        changed.save(path, "JPEG", quality=30 if name == "q30" else 92)
        altered.append(path.relative_to(catalog).as_posix())
    colourway = folder / f"{source.stem}-colourway.jpg"
    hue_turned(im).save(colourway, "JPEG", quality=92)
    return Planted(catalog, original, exact.relative_to(catalog).as_posix(), tuple(altered), colourway.relative_to(catalog).as_posix())


@pytest.fixture(scope="module")
def planted(tmp_path_factory, default_encoder) -> Planted:
    """48 demo products, one of them with an exact copy, seven altered copies and a colourway, indexed."""
    from core.demo import write_demo_catalog
    from core.similarity import index_catalog
    from core.storage import Workspace

    catalog = tmp_path_factory.mktemp("duplicates") / "catalog"
    write_demo_catalog(catalog, 48)
    found = plant(catalog)
    index_catalog(Workspace.locate(catalog))
    return found


@pytest.fixture
def fresh(planted, tmp_path) -> Planted:
    """The planted catalog copied, for tests that change what the workspace remembers."""
    catalog = tmp_path / "catalog"
    shutil.copytree(planted.catalog, catalog)
    return Planted(catalog, planted.original, planted.exact, planted.altered, planted.colourway)
