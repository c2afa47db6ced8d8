import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.demo import CATEGORIES, DemoProduct, render_product, write_demo_catalog
from core.errors import Cancelled, InputError
from core.jobs import CancelToken, Progress

COUNT = len(CATEGORIES) + 3


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DemoProduct]]:
    dest = tmp_path_factory.mktemp("demo")
    return dest, write_demo_catalog(dest, count=COUNT, seed=3)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_writes_one_jpeg_per_product_in_category_folders(catalog):
    dest, products = catalog
    jpegs = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.jpg"))
    assert len(products) == COUNT
    assert jpegs == sorted(p.path for p in products)
    for product in products:
        folder, _ = product.path.split("/")
        assert folder == product.category
        assert product.category in CATEGORIES
    assert not [p for p in dest.rglob("*") if p.name.endswith(".tmp")]


def test_products_csv_lists_every_image_with_exact_columns(catalog):
    dest, products = catalog
    columns, rows = read_csv(dest / "products.csv")
    assert columns == ["path", "sku", "name", "category"]
    assert [DemoProduct(**row) for row in rows] == products
    assert all((dest / row["path"]).is_file() for row in rows)


def test_skus_are_unique_and_names_say_what_the_product_is(catalog):
    _, products = catalog
    assert len({p.sku for p in products}) == len(products)
    for p in products:
        code, number = p.sku.split("-")
        assert len(code) == 3 and code.isupper() and len(number) == 4 and number.isdigit()
        assert p.name[0].isupper()
    assert "t-shirt" in next(p.name for p in products if p.category == "t-shirts")


def test_categories_take_turns(catalog):
    _, products = catalog
    counts = {c: sum(p.category == c for p in products) for c in CATEGORIES}
    assert set(counts) == set(CATEGORIES)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert len(CATEGORIES) >= 8


def test_images_are_rgb_pack_shots_on_a_light_background(catalog):
    dest, products = catalog
    for product in products:
        with Image.open(dest / product.path) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
            width, height = image.size
            assert 240 <= width <= 400 and 240 <= height <= 480 and height >= width
            pixels = np.asarray(image, dtype=np.int16)
        rim = max(2, width // 50)
        border = np.concatenate([pixels[:rim].reshape(-1, 3), pixels[-rim:].reshape(-1, 3),
                                 pixels[:, :rim].reshape(-1, 3), pixels[:, -rim:].reshape(-1, 3)])
        assert np.mean(border.min(axis=1) > 215) > 0.95, product.path
        middle = pixels[height // 4: 3 * height // 4, width // 4: 3 * width // 4]
        distance = np.abs(middle - np.median(border, axis=0)).max(axis=2)
        assert np.mean(distance > 40) > 0.1, product.path


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path, catalog):
    dest, products = catalog
    again = write_demo_catalog(tmp_path / "again", count=COUNT, seed=3)
    assert again == products
    for product in products:
        assert (tmp_path / "again" / product.path).read_bytes() == (dest / product.path).read_bytes()
    other = write_demo_catalog(tmp_path / "other", count=2, seed=4)
    assert [p.path for p in other] == [p.path for p in products[:2]]
    for product in other:
        assert (tmp_path / "other" / product.path).read_bytes() != (dest / product.path).read_bytes()


def test_render_product_is_deterministic_for_a_given_generator():
    a = render_product("boots", np.random.default_rng(7), size=(240, 300))
    b = render_product("boots", np.random.default_rng(7), size=(240, 300))
    c = render_product("boots", np.random.default_rng(8), size=(240, 300))
    assert a.size == (240, 300) and a.mode == "RGB"
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_render_product_rejects_unknown_category():
    with pytest.raises(InputError):
        render_product("spaceships", np.random.default_rng(0))


def test_reports_progress_for_every_image(tmp_path):
    reports: list[Progress] = []
    write_demo_catalog(tmp_path, count=3, progress=reports.append)
    assert [(r.stage, r.done, r.total) for r in reports] == [("demo", i, 3) for i in range(4)]


@pytest.mark.parametrize("count", [0, -5])
def test_rejects_a_count_below_one(tmp_path, count):
    with pytest.raises(InputError):
        write_demo_catalog(tmp_path, count=count)
    assert list(tmp_path.iterdir()) == []


def test_rejects_a_file_as_destination(tmp_path):
    target = tmp_path / "catalog"
    target.write_text("not a folder")
    with pytest.raises(InputError, match="catalog"):
        write_demo_catalog(target, count=1)


def test_keeps_other_files_and_replaces_its_own(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "products.csv").write_text("old")
    products = write_demo_catalog(tmp_path, count=2)
    (tmp_path / products[0].path).write_bytes(b"stale")
    write_demo_catalog(tmp_path, count=2)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert len(read_csv(tmp_path / "products.csv")[1]) == 2
    with Image.open(tmp_path / products[0].path) as image:
        image.verify()


def test_cancel_stops_between_images_without_writing_the_csv(tmp_path):
    token = CancelToken()

    def cancel_after_two(report: Progress) -> None:
        if report.done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        write_demo_catalog(tmp_path, count=50, progress=cancel_after_two, cancel=token)
    assert len(list(tmp_path.rglob("*.jpg"))) == 2
    assert not (tmp_path / "products.csv").exists()
