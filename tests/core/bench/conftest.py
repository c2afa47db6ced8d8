"""Labelled photos for the benchmarks that score against labels, made from demo renders."""
import csv
import shutil
from pathlib import Path

import pytest
from PIL import Image

from core.demo import write_demo_catalog

GROUPS = {"sneakers": "Shoes", "boots": "Shoes", "t-shirts": "Topwear", "dresses": "Topwear", "trousers": "Bottomwear"}


@pytest.fixture
def labelled(tmp_path: Path) -> tuple[Path, Path]:
    """Demo renders in one flat folder named by id, with a label file in the columns of Fashion Product Images."""
    demo = tmp_path / "demo"
    products = write_demo_catalog(demo, count=120, seed=5)
    folder = tmp_path / "photos" / "images"
    folder.mkdir(parents=True)
    rows = []
    for n, product in enumerate(products, start=1000):
        shutil.copy(demo / product.path, folder / f"{n}.jpg")
        rows.append({"id": str(n), "articleType": product.category, "subCategory": GROUPS.get(product.category, "Accessories"),
                     "baseColour": product.name.split()[0]})
    for n in range(3):  # a type too rare to fill a top 10
        Image.new("RGB", (80, 80), (30, 30, 200)).save(folder / f"{9000 + n}.jpg")
        rows.append({"id": str(9000 + n), "articleType": "Rare", "subCategory": "Accessories", "baseColour": "Blue"})
    labels = tmp_path / "photos" / "styles.csv"
    with open(labels, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "gender", "articleType", "subCategory", "baseColour"])
        writer.writeheader()
        writer.writerows({"gender": "Unisex", **r} for r in rows)
    return folder, labels
