import numpy as np
from PIL import Image

from core.bench.catalogs import PhotoSpec, photo_path, render_photo, write_bench_catalog


def test_photos_are_reproducible_and_take_the_sizes_in_turn():
    spec = PhotoSpec(((120, 160), (90, 90)), grain=2.0)
    a, b = render_photo(3, spec), render_photo(3, spec)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert render_photo(0, spec).size == (120, 160) and a.size == (90, 90)
    assert not np.array_equal(np.asarray(render_photo(3, spec, seed=1)), np.asarray(a))


def test_catalog_is_written_in_folders_of_a_thousand_and_reused(tmp_path):
    spec = PhotoSpec(((64, 64),), grain=0.0)
    paths = write_bench_catalog(tmp_path, 12, spec, workers=2)
    assert paths == [photo_path(i) for i in range(12)] and paths[0].startswith("0000/")
    assert photo_path(1000).startswith("0001/")
    with Image.open(tmp_path / paths[5]) as image:
        assert image.format == "JPEG" and image.size == (64, 64)
    first = (tmp_path / paths[0]).stat().st_mtime_ns
    (tmp_path / paths[7]).unlink()
    write_bench_catalog(tmp_path, 12, spec, workers=1)
    assert (tmp_path / paths[7]).is_file()
    assert (tmp_path / paths[0]).stat().st_mtime_ns == first
