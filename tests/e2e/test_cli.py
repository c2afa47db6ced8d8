"""The command line as a user runs it: real subprocesses on a real demo catalog."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.storage import CatalogStore, Workspace
from core.storage.index_state import read_state

ROOT = Path(__file__).resolve().parents[2]


def lookalike(*args: object, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, default_encoder) -> Path:
    """A demo catalog of 120 products, indexed with the embedded default encoder."""
    catalog = tmp_path_factory.mktemp("e2e") / "demo"
    lookalike("demo", catalog, "--count", 120)
    out = lookalike("index", catalog)
    assert "120 images: 120 encoded" in out.stdout
    assert "metadata: 120 rows matched" in out.stdout
    return catalog


def categories(catalog: Path) -> dict[str, str]:
    with open(catalog / "products.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["path", "sku", "name", "category"]
    return {row["path"]: row["category"] for row in rows}


def test_query_finds_the_photo_first_then_the_same_kind(demo):
    labels = categories(demo)
    for path in list(labels)[:10]:
        result = lookalike("query", demo, demo / path, "-k", 10, "--json")
        matches = json.loads(result.stdout)
        assert len(matches) == 10
        assert set(matches[0]) == {"path", "score", "sku"}
        assert matches[0]["path"] == path and matches[0]["score"] >= 0.99
        same = sum(labels[m["path"]] == labels[path] for m in matches[1:])
        assert same >= 6, (path, [m["path"] for m in matches])
        assert all(a["score"] >= b["score"] for a, b in zip(matches, matches[1:]))


def test_query_with_a_photo_from_outside_the_catalog(demo, tmp_path):
    lookalike("demo", tmp_path / "other", "--count", 10, "--seed", 7)
    photo = next((tmp_path / "other" / "sneakers").glob("*.jpg"))
    matches = json.loads(lookalike("query", demo, photo, "-k", 5, "--json").stdout)
    labels = categories(demo)
    assert Counter(labels[m["path"]] for m in matches).most_common(1)[0][0] == "sneakers"
    text = lookalike("query", demo, photo, "-k", 3).stdout.strip().splitlines()
    assert len(text) == 3 and "sneakers/" in text[0]


def test_recommend_json_and_csv_cover_every_item_and_never_itself(demo, tmp_path):
    out = tmp_path / "recs.json"
    lookalike("recommend", demo, "-k", 10, "--format", "json", "--out", out)
    entries = json.loads(out.read_text())
    assert len(entries) == 120
    for entry in entries:
        assert {"path", "sku", "recommendations"} <= set(entry)
        assert all({"path", "score", "sku", "pinned"} == set(r) for r in entry["recommendations"])
        assert len(entry["recommendations"]) == 10
        assert entry["path"] not in {r["path"] for r in entry["recommendations"]}
    score = lookalike("evaluate", out, "--labels", demo / "products.csv").stdout
    precision = float(score.split("precision@10")[1].split()[0])
    assert precision >= 0.8, score

    out_csv = tmp_path / "recs.csv"
    lookalike("recommend", demo, "-k", 3, "--out", out_csv)
    with open(out_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 360
    assert all(r["source_path"] != r["target_path"] for r in rows)
    assert {r["rank"] for r in rows} == {"1", "2", "3"}


def test_bad_files_inside_the_catalog_are_skipped_and_listed(tmp_path):
    catalog = tmp_path / "cat"
    lookalike("demo", catalog, "--count", 12)
    (catalog / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40)
    (catalog / "notes.png").write_text("hello")
    result = lookalike("index", catalog)
    assert "12 encoded" in result.stdout and "2 unreadable" in result.stdout
    assert "skipped broken.jpg:" in result.stderr and "skipped notes.png: not an image" in result.stderr


def test_reindex_only_encodes_what_changed(tmp_path):
    catalog = tmp_path / "cat"
    lookalike("demo", catalog, "--count", 12)
    lookalike("index", catalog)
    second = lookalike("index", catalog).stdout
    assert "0 encoded, 12 unchanged" in second


@pytest.mark.parametrize(
    "args, words",
    [
        (("index", "{tmp}/missing"), ("catalog folder not found",)),
        (("index", "{tmp}/empty"), ("no images found",)),
        (("index", "{tmp}/file.txt"), ("not a folder",)),
        (("query", "{tmp}/cat", "{tmp}/nope.jpg"), ("image not found",)),
        (("query", "{tmp}/cat", "{tmp}/cat/a.png", "-k", "0"), ("must be at least 1",)),
        (("query", "{tmp}/cat", "{tmp}/cat/a.png", "-k", "-3"), ("must be at least 1",)),
        (("query", "{tmp}/empty", "{tmp}/cat/a.png"), ("not been indexed",)),
        (("index", "{tmp}/cat", "--model", "{tmp}/corrupt.onnx"), ("not a usable ONNX model",)),
        (("index", "{tmp}/cat", "--model", "{tmp}/missing.onnx"), ("encoder model not found",)),
        (("recommend", "{tmp}/cat", "--out", "{tmp}/cat/products.csv"), ("refusing to overwrite",)),
        (("index", "{tmp}/cat", "--metadata", "{tmp}/nothing.csv"), ("metadata file not found",)),
        (("evaluate", "{tmp}/file.txt", "--labels", "{tmp}/cat/products.csv"), ("not a recommend",)),
        (("evaluate", "{tmp}/empty", "--labels", "{tmp}/cat/products.csv"), ("empty: Is a directory",)),
        (("query", "{tmp}/cat", "{tmp}/cat/a.png", "-k", "99999999999999999999"), ("must be at most",)),
        (("recommend", "{tmp}/cat", "--out", "{tmp}/file.txt/recs.csv"), ("cannot write", "recs.csv")),
        (("query", "{tmp}/cat", "{tmp}/file.txt"), ("file.txt: ", "not an image")),
        (("recommend", "{tmp}/cat", "--out", "{tmp}/r.csv", "--group", "sku-prefix", "--sku-prefix", "-1"), ("between 0 and",)),
        (("demo", ""), ("needs a folder name",)),
        (("frobnicate",), ("invalid choice",)),
        (("bench", "speed", "--parts", "queries", "warp"), ("unknown part 'warp'",)),
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, args, words):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("just text")
    (tmp_path / "corrupt.onnx").write_bytes(b"\x08\x07not really onnx")
    from tests.conftest import draw_product

    draw_product(tmp_path / "cat" / "a.png", "disc", (200, 0, 0))
    (tmp_path / "cat" / "products.csv").write_text("path,sku\na.png,A1\n")
    if args[0] in ("query", "recommend") and "empty" not in args[1]:
        lookalike("index", tmp_path / "cat")
    result = lookalike(*(a.format(tmp=tmp_path) for a in args), check=False)
    assert_one_line_error(result, *words)


def test_bench_speed_prints_its_table_and_writes_json(tmp_path):
    out = lookalike("bench", "speed", "--parts", "queries", "--sizes", "800", "--out", tmp_path / "speed.json")
    assert "| 800 | exact NumPy |" in out.stdout and "at 800: Annoy" in out.stdout
    saved = json.loads((tmp_path / "speed.json").read_text())
    assert [r["items"] for r in saved["queries"]] == [800] * 4 and saved["throughput"] == []  # exact, then 3 search_k


def test_the_window_without_a_screen_is_one_line_not_a_crash():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], capture_output=True, text=True, timeout=120, env=env)
    assert_one_line_error(result, "no screen", "--help")
    assert result.returncode == 1


def test_a_catalog_whose_photos_all_turned_unreadable_is_an_error_not_an_empty_answer(tmp_path):
    from tests.conftest import draw_product

    catalog = tmp_path / "cat"
    for i, kind in enumerate(("disc", "wedge")):
        draw_product(catalog / f"{kind}.png", kind, (200, 20 * i, 0))
    lookalike("index", catalog)
    probe = tmp_path / "probe.png"
    probe.write_bytes((catalog / "disc.png").read_bytes())
    for photo in catalog.glob("*.png"):
        photo.write_bytes(b"overwritten by a failed sync")
    assert_one_line_error(lookalike("index", catalog, check=False), "nothing to index", "kept")
    assert_one_line_error(lookalike("query", catalog, probe, check=False), "can be searched")
    assert_one_line_error(lookalike("recommend", catalog, "--out", tmp_path / "r.csv", check=False), "can be searched")
    assert not (tmp_path / "r.csv").exists()


def test_demo_refuses_a_folder_holding_someone_elses_files(tmp_path):
    folder = tmp_path / "demo-catalog"
    (folder / "photos").mkdir(parents=True)
    (folder / "photos" / "IMG_001.jpg").write_bytes(b"a holiday photo")
    (folder / "products.csv").write_text("path,sku\nphotos/IMG_001.jpg,A1\n")
    result = lookalike("demo", folder, "--count", 3, check=False)
    assert result.returncode == 1
    assert_one_line_error(result, f"{folder} holds files that are not a Lookalike demo (e.g. photos/IMG_001.jpg)")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "photos", "photos/IMG_001.jpg", "products.csv"
    ]
    assert (folder / "photos" / "IMG_001.jpg").read_bytes() == b"a holiday photo"
    assert (folder / "products.csv").read_text() == "path,sku\nphotos/IMG_001.jpg,A1\n"
    lookalike("demo", tmp_path / "new", "--count", 3)
    assert "wrote 2 product images" in lookalike("demo", tmp_path / "new", "--count", 2).stdout  # over its own demo


def test_a_trained_encoder_put_to_use_can_be_undone_with_previous_model(tmp_path, default_encoder):
    catalog = tmp_path / "demo"
    lookalike("demo", catalog, "--count", 120)
    lookalike("index", catalog)
    photo = catalog / sorted(categories(catalog))[0]
    before = json.loads(lookalike("query", catalog, photo, "-k", 10, "--json").stdout)

    alone = lookalike("index", catalog, "--previous-model", check=False)
    assert_one_line_error(alone, "no previous encoder")

    trained = lookalike("train", catalog, "--steps", 20, "--keep", "new").stdout
    assert "refitted the feature autoencoder on the backbone features of 120 images" in trained and "(20 steps;" in trained
    assert "the new encoder is in use" in trained
    assert "model " in trained and "indexed 120 images: 120 encoded" in trained

    (tmp_path / "x.onnx").write_bytes(b"x")
    both = lookalike("index", catalog, "--previous-model", "--model", tmp_path / "x.onnx", check=False)
    assert_one_line_error(both, "not both")

    back = lookalike("index", catalog, "--previous-model").stdout
    assert "indexed 120 images: 120 encoded" in back
    assert json.loads(lookalike("query", catalog, photo, "-k", 10, "--json").stdout) == before
    again = lookalike("index", catalog, "--previous-model").stdout
    assert "120 encoded" in again, "going back twice returns to the trained encoder"


# ---- issue 37: what a user's files go through ---------------------------------------------------


def test_a_photo_rewritten_with_its_size_and_mtime_put_back_is_embedded_again_and_verify_says_so(tmp_path):
    from tests.conftest import draw_product, rewrite_in_place, same_size_photos

    catalog = tmp_path / "cat"
    photos = same_size_photos(catalog, [f"p{i}.png" for i in range(10)])
    assert "10 encoded" in lookalike("index", catalog).stdout
    new = draw_product(tmp_path / "new.png", "wedge", (10, 120, 250), offset=3).read_bytes().ljust(6000, b"\0")
    rewrite_in_place(photos[0], new)  # as a sync tool or a restore does: other bytes, the same size and mtime

    assert "1 encoded, 9 unchanged" in lookalike("index", catalog).stdout
    found = json.loads(lookalike("query", catalog, tmp_path / "new.png", "-k", 1, "--json").stdout)
    assert found[0]["path"] == "p0.png" and found[0]["score"] > 0.99  # searched by its new bytes
    verified = lookalike("index", catalog, "--verify").stdout
    assert "0 encoded, 10 unchanged" in verified and "verified 10 photos by their bytes: 0 had changed" in verified


@pytest.fixture(scope="module")
def linked_catalog(tmp_path_factory, default_encoder) -> tuple[Path, Path]:
    """An indexed catalog with a folder linked in from another drive, as the README allows."""
    from PIL import Image

    from tests.conftest import draw_product

    root = tmp_path_factory.mktemp("linked")
    catalog, drive = root / "cat", root / "drive" / "shoes"
    for i, shape in enumerate(("disc", "bar", "slab", "wedge")):
        draw_product(catalog / f"{shape}.png", shape, (200, 40 * i, 0))
    drive.mkdir(parents=True)
    Image.new("RGB", (64, 64), (30, 90, 200)).save(drive / "photo.jpg")
    (catalog / "linked-folder").symlink_to(drive, target_is_directory=True)
    assert "5 images: 5 encoded" in lookalike("index", catalog).stdout
    os.link(catalog / "disc.png", root / "hard-link.csv")  # another name of a catalog photo
    return catalog, drive


@pytest.mark.parametrize(
    "args",
    [
        ("train", "{cat}", "--steps", "1", "--out", "{cat}/linked-folder/photo.jpg"),
        ("train", "{cat}", "--steps", "1", "--out", "{drive}/photo.jpg"),
        ("recommend", "{cat}", "--out", "{cat}/linked-folder/photo.jpg"),
        ("recommend", "{cat}", "--out", "{root}/hard-link.csv"),
        ("duplicates", "{cat}", "--out", "{drive}/photo.jpg"),
        ("duplicates", "{cat}", "--out", "{root}/hard-link.csv"),
        ("bench", "speed", "--parts", "queries", "--sizes", "800", "--data", "{cat}", "--out", "{cat}/linked-folder/photo.jpg"),
        ("bench", "speed", "--parts", "queries", "--sizes", "800", "--data", "{cat}", "--out", "{drive}/new.png"),
    ],
)
def test_no_output_lands_on_a_catalog_file_whichever_path_leads_to_it(linked_catalog, args):
    catalog, drive = linked_catalog
    before = {path: path.read_bytes() for path in [*catalog.glob("*.png"), drive / "photo.jpg"]}
    named = [a.format(cat=catalog, drive=drive, root=catalog.parent) for a in args]
    assert_one_line_error(lookalike(*named, check=False), "refusing to")
    assert {path: path.read_bytes() for path in before} == before
    assert sorted(p.name for p in drive.iterdir()) == ["photo.jpg"]


def test_build_default_refuses_a_folder_before_training(tmp_path):
    assert_one_line_error(lookalike("build-default", "--out", tmp_path, check=False), "output is a folder")


def test_import_shop_does_not_write_through_a_product_list_that_is_a_link(tmp_path):
    from core.bench.shop_catalogs import make_products, write_shopify_export

    theirs = tmp_path / "theirs.csv"
    theirs.write_text("path,product,photo,platform\nx.jpg,X,1,shopify\n")
    catalog = tmp_path / "cat"
    catalog.mkdir()
    (catalog / "products.csv").symlink_to(theirs)
    export = tmp_path / "shopify.csv"
    write_shopify_export(make_products(2), "http://127.0.0.1:9/files", export)
    assert_one_line_error(lookalike("import-shop", export, catalog, "--no-index", check=False), "is a link to")
    assert theirs.read_text() == "path,product,photo,platform\nx.jpg,X,1,shopify\n"


def test_a_product_list_with_a_5_mb_field_is_read(tmp_path):
    from tests.conftest import draw_product

    catalog = tmp_path / "cat"
    draw_product(catalog / "a.png", "disc", (200, 0, 0))
    draw_product(catalog / "b.png", "wedge", (0, 0, 200))
    description = "<p>" + "A long description, with commas and \"quotes\". " * 115_000 + "</p>"
    assert len(description) > 5 * 2**20
    quoted = description.replace('"', '""')
    (catalog / "products.csv").write_text(f'path,sku,name,description\na.png,A1,Disc,"{quoted}"\nb.png,B1,Wedge,short\n')
    result = lookalike("index", catalog)
    assert "metadata: 2 rows matched" in result.stdout and "not read" not in result.stderr
    (catalog / "products.csv").write_text('path,sku,name\na.png,A1,"Disc\nb.png,B1,Wedge\n')
    result = lookalike("index", catalog)
    assert "product details not read: products.csv: line 2: a quoted field is not closed before the end of the file" in result.stderr


def test_a_shop_photo_of_20000_by_20000_pixels_is_skipped_as_too_large(tmp_path):
    from core.bench.shop_catalogs import magento_media, make_products, write_magento_export, write_photos
    from tests.conftest import huge_png

    products = make_products(3, seed=5)
    write_photos(products, tmp_path / "files")
    media = tmp_path / "media"
    magento_media(products, tmp_path / "files", media)
    name = products[0].photos[0]
    (media / name[0] / name[1] / name).write_bytes(huge_png(20000, 20000))
    write_magento_export(products, tmp_path / "magento.csv")
    result = lookalike("import-shop", tmp_path / "magento.csv", tmp_path / "cat", "--media-dir", media, "--no-index")
    skipped = [line for line in result.stderr.splitlines() if line.startswith("photo skipped:")]
    assert len(skipped) == 1 and name in skipped[0]
    assert skipped[0].endswith("too large: 400,000,000 pixels, over the 150,000,000-pixel limit Lookalike decodes")
    assert "Traceback" not in result.stderr and "1 failed" in result.stdout


def test_the_small_encoder_is_one_word_away_and_back(tmp_path, default_encoder):
    catalog = tmp_path / "demo"
    lookalike("demo", catalog, "--count", 20)
    lookalike("index", catalog)
    small = lookalike("index", catalog, "--model", "small").stdout
    assert "indexed 20 images: 20 encoded" in small
    with CatalogStore(Workspace.locate(catalog).database) as store:
        assert len(store.embeddings(read_state(store).model_id)[1][0]) == 64
    back = lookalike("index", catalog, "--previous-model").stdout
    assert "indexed 20 images: 20 encoded" in back
    with CatalogStore(Workspace.locate(catalog).database) as store:
        assert len(store.embeddings(read_state(store).model_id)[1][0]) == 512
