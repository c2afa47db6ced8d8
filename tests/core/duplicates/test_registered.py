"""Candidate pairs registered in bulk: every pair's verdict in the pairs' order, settled pairs left out, lost photos told."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from core.bench.duplicates import ALTERATIONS
from core.catalog import open_rgb
from core.common import ImageError
from core.demo import write_demo_catalog
from core.duplicates.registered import register_pairs
from core.duplicates.registration import SIDE


def _photos(folder: Path) -> list[Path]:
    """Two demo photos, a bannered and a mirrored copy of the first, and a file that is not a photo."""
    write_demo_catalog(folder / "demo", 4)
    first, second = sorted((folder / "demo").rglob("*.jpg"))[:2]
    original = Image.open(first).convert("RGB")
    paths = [first, second, folder / "banner.jpg", folder / "mirror.jpg", folder / "broken.jpg"]
    ALTERATIONS["banner"](original).save(paths[2], quality=92)
    ALTERATIONS["mirror"](original).save(paths[3], quality=92)
    paths[4].write_bytes(b"not a photo")
    return paths


def test_each_pair_is_told_in_order_and_settled_pairs_are_left_out(tmp_path: Path):
    paths = _photos(tmp_path)

    def read(row: int) -> Image.Image:
        return open_rgb(paths[row], SIDE)

    a = np.array([0, 0, 0, 2, 1, 4])
    b = np.array([2, 3, 1, 3, 4, 0])
    told = list(register_pairs(a, b, read, needed=lambda i: i != 3))
    assert [i for i, _, _ in told] == [0, 1, 2, 4, 5]  # the pairs' order, the unneeded one left out
    verdicts = {i: (found, read_both) for i, found, read_both in told}
    assert verdicts[0][0].one_photo and not verdicts[0][0].mirrored
    assert verdicts[1][0].one_photo and verdicts[1][0].mirrored
    assert verdicts[2][0] is None or not verdicts[2][0].one_design  # two products
    assert verdicts[4] == (None, False) and verdicts[5] == (None, False)  # a file that is not a photo, either side
    assert all(read_both for i, (_, read_both) in verdicts.items() if i < 3)


def test_a_photo_that_cannot_be_read_is_asked_for_once(tmp_path: Path):
    paths = _photos(tmp_path)
    asked: list[int] = []

    def read(row: int) -> Image.Image:
        asked.append(row)
        if row == 4:
            raise ImageError("not a photo")
        return open_rgb(paths[row], SIDE)

    list(register_pairs(np.array([0, 1, 2]), np.array([4, 4, 4]), read))
    assert asked.count(4) == 1


def test_pairs_are_compared_a_chunk_of_mapped_pairs_at_a_time(tmp_path: Path, monkeypatch):
    """Pairs that do not map cost nothing to compare: they ride along with the next pair that maps, and
    whether a pair is needed is asked only once the verdicts of the chunks before it are told."""
    import core.duplicates.registered as registered

    monkeypatch.setattr(registered, "CHUNK", 1)
    paths = _photos(tmp_path)
    told: list[int] = []
    asked: dict[int, int] = {}

    def needed(i: int) -> bool:
        asked[i] = len(told)
        return True

    pairs = register_pairs(np.array([0, 0, 0]), np.array([4, 2, 3]), lambda row: open_rgb(paths[row], SIDE), needed)
    for i, found, _ in pairs:
        told.append(i)
    assert told == [0, 1, 2]
    assert asked == {0: 0, 1: 0, 2: 2}  # the unreadable pair maps nothing: it went with the banner's pair
