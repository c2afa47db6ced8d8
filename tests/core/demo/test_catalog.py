import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.common.errors import Cancelled, InputError
from core.common.jobs import CancelToken, Progress
from core.demo.catalog import DemoProduct, write_demo_catalog
from core.demo.products import CATEGORIES

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


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`: a file's bytes, a link's target, or "folder"."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            entries[path.relative_to(folder).as_posix()] = f"link to {path.readlink()}"
        else:
            entries[path.relative_to(folder).as_posix()] = path.read_bytes() if path.is_file() else "folder"
    return entries


def user_photo(dest: Path) -> None:
    (dest / "photos").mkdir(parents=True)
    Image.new("RGB", (8, 8), (1, 2, 3)).save(dest / "photos" / "IMG_001.jpg")


def user_products_csv(dest: Path) -> None:
    dest.mkdir()
    (dest / "products.csv").write_text("path,sku\nIMG_001.jpg,A1\n")


def user_csv_in_demo_columns(dest: Path) -> None:
    write_demo_catalog(dest, count=2)
    (dest / "products.csv").write_text("path,sku,name,category\nsneakers/my-sneaker.jpg,MY-1,Mine,sneakers\n")


def note_beside_a_demo(dest: Path) -> None:
    write_demo_catalog(dest, count=2)
    (dest / "notes.txt").write_text("mine")


def hidden_file_beside_a_demo(dest: Path) -> None:
    write_demo_catalog(dest, count=2)
    (dest / "t-shirts" / ".mine").write_text("mine")


def demo_named_photo_in_another_folder(dest: Path) -> None:
    write_demo_catalog(dest / "old", count=5)
    (dest / "old" / "products.csv").unlink()


def link_at_a_demo_path(dest: Path) -> None:
    products = write_demo_catalog(dest, count=2)
    (dest / products[0].path).unlink()
    (dest / products[0].path).symlink_to(dest.parent / "precious.jpg")


@pytest.mark.parametrize(
    "make, example",
    [
        (user_photo, "photos/IMG_001.jpg"),
        (user_products_csv, "products.csv"),
        (user_csv_in_demo_columns, "products.csv"),
        (note_beside_a_demo, "notes.txt"),
        (hidden_file_beside_a_demo, "t-shirts/.mine"),
        (demo_named_photo_in_another_folder, "old/boots/boot-0005.jpg"),
        (link_at_a_demo_path, "t-shirts/t-shirt-0001.jpg"),
    ],
)
def test_refuses_a_folder_holding_what_is_not_a_demo_and_leaves_it_as_it_was(tmp_path, make, example):
    (tmp_path / "precious.jpg").write_bytes(b"a photo someone took")
    dest = tmp_path / "demo-catalog"
    make(dest)
    before = tree(tmp_path)
    reports: list[Progress] = []
    with pytest.raises(InputError) as refused:
        write_demo_catalog(dest, count=3, progress=reports.append)
    assert str(refused.value) == (
        f"{dest} holds files that are not a Lookalike demo (e.g. {example}); choose an empty or new folder"
    )
    assert tree(tmp_path) == before and reports == []


def test_rewrites_an_earlier_demo_removing_what_it_no_longer_lists_and_keeping_the_workspace(tmp_path):
    dest = tmp_path / "demo"
    write_demo_catalog(dest, count=COUNT, seed=3)
    workspace = dest / ".lookalike"
    workspace.mkdir()
    (workspace / "catalog.sqlite").write_bytes(b"SQLite format 3\x00")
    (dest / "sneakers" / ".sneaker-0004.jpg.k2j4h6_x.tmp").write_bytes(b"left by a killed run")
    (dest / ".products.csv.abcd1234.tmp").write_text("left by a killed run")
    (dest / "empty").mkdir()

    products = write_demo_catalog(dest, count=2, seed=4)

    fresh = tmp_path / "fresh"
    assert products == write_demo_catalog(fresh, count=2, seed=4)
    assert sorted(tree(dest)) == sorted(
        ["products.csv", "empty", ".lookalike", ".lookalike/catalog.sqlite"]
        + [p.category for p in products] + [p.path for p in products]
    )
    assert {path: data for path, data in tree(dest).items() if not path.startswith((".", "empty"))} == tree(fresh)
    assert (workspace / "catalog.sqlite").read_bytes() == b"SQLite format 3\x00"


def test_an_earlier_demo_can_grow_and_a_cancelled_one_be_finished(tmp_path):
    token = CancelToken()

    def cancel_after_two(report: Progress) -> None:
        if report.done == 2:
            token.cancel()

    write_demo_catalog(tmp_path, count=2, seed=1)
    with pytest.raises(Cancelled):
        write_demo_catalog(tmp_path, count=COUNT, seed=2, progress=cancel_after_two, cancel=token)
    assert len(read_csv(tmp_path / "products.csv")[1]) == 2  # the first run's list, until the new one is written
    (tmp_path / "products.csv").unlink()
    products = write_demo_catalog(tmp_path, count=COUNT, seed=2)  # over the images of a run that wrote no csv
    assert len(read_csv(tmp_path / "products.csv")[1]) == COUNT
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.jpg")) == sorted(
        p.path for p in products
    )


def test_writes_into_an_empty_folder(tmp_path):
    products = write_demo_catalog(tmp_path, count=2)
    assert [row["path"] for row in read_csv(tmp_path / "products.csv")[1]] == [p.path for p in products]
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


def test_a_file_managers_litter_does_not_block_rewriting_a_demo(tmp_path):
    folder = tmp_path / "demo"
    write_demo_catalog(folder, count=4)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "t-shirts" / "Thumbs.db").write_bytes(b"thumbs")
    assert len(write_demo_catalog(folder, count=3)) == 3
    assert (folder / ".DS_Store").read_bytes() == b"\x00\x00\x00\x01Bud1"
