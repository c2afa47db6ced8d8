"""Catalogs made for the speed benchmark: full-size studio JPEGs, and small thumbnails.

Products are the demo's renders. Full-size photos are rendered at a quarter of their size,
enlarged and given a fine sensor grain, so that their JPEGs cost what real studio shots cost
to decode (flat synthetic colour would compress, and decode, unrealistically fast). Writing
is spread over worker processes: a 100,000-photo catalog takes about a minute.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.common import CancelToken, InputError, Progress, ProgressFn, no_progress
from core.demo import CATEGORIES, render_product

PER_FOLDER = 1000  # photos per subfolder, as shops keep them


@dataclass(frozen=True)
class PhotoSpec:
    """What the photos of a benchmark catalog look like; photos take the sizes in turn."""

    sizes: tuple[tuple[int, int], ...]  # (width, height)
    quality: int = 90
    grain: float = 2.0  # standard deviation of the added noise, in 8-bit levels

    def describe(self) -> str:
        return " and ".join(f"{w}x{h}" for w, h in self.sizes) + " JPEG"


FULL_SIZE = PhotoSpec(((1080, 1440), (1500, 2000)))
THUMBNAIL = PhotoSpec(((96, 96), (100, 80)), quality=85, grain=0.0)


def photo_path(index: int) -> str:
    return f"{index // PER_FOLDER:04d}/{CATEGORIES[index % len(CATEGORIES)]}-{index:07d}.jpg"


def render_photo(index: int, spec: PhotoSpec, seed: int = 0) -> Image.Image:
    """The benchmark catalog's photo number `index`: the same picture for the same arguments."""
    rng = np.random.default_rng([seed, index])
    width, height = spec.sizes[index % len(spec.sizes)]
    image = render_product(CATEGORIES[index % len(CATEGORIES)], rng, (max(width // 4, 48), max(height // 4, 48)))
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BICUBIC)
    if spec.grain > 0:
        pixels = np.asarray(image, dtype=np.float32)
        pixels += rng.normal(0.0, spec.grain, pixels.shape[:2])[..., None].astype(np.float32)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def _write_range(dest: str, start: int, stop: int, spec: PhotoSpec, seed: int) -> int:
    for index in range(start, stop):
        path = Path(dest) / photo_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        render_photo(index, spec, seed).save(path, format="JPEG", quality=spec.quality)
    return stop - start


def write_bench_catalog(
    dest: Path,
    count: int,
    spec: PhotoSpec = THUMBNAIL,
    seed: int = 0,
    workers: int | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[str]:
    """Write `count` photos under dest (1,000 per subfolder); returns their relative paths.

    Photos already there are kept, so a benchmark can reuse a catalog it made before.
    """
    if count <= 0:
        raise InputError(f"a benchmark catalog needs at least one photo, not {count}")
    dest = Path(dest)
    paths = [photo_path(i) for i in range(count)]
    missing = [i for i, p in enumerate(paths) if not (dest / p).is_file()]
    chunk = 250
    ranges = [(missing[i], missing[min(i + chunk, len(missing)) - 1] + 1) for i in range(0, len(missing), chunk)]
    # Missing photos are re-made in runs; a run may re-write a few photos that exist, which is harmless.
    done = count - len(missing)
    progress(Progress("generate", done, count))
    with cf.ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        futures = [pool.submit(_write_range, str(dest), a, b, spec, seed) for a, b in ranges]
        try:
            for future in cf.as_completed(futures):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                done = min(count, done + future.result())
                progress(Progress("generate", done, count))
        finally:
            for future in futures:
                future.cancel()
    return paths
