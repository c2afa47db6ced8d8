"""The catalog grid's filter on a real Qt model: rows kept, row mapping, resets, at any size."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from core.storage import Item
from gui.catalog_items import catalog_items
from gui.models import CatalogFilter, CatalogModel
from gui.roles import Roles

NAMES = ["Red Shirt", "Blue shirt", "Red shoe", "Green bag", "Red bag", "Linen shirt dress", "Bag strap"]


def _items(names: list[str], start: int = 1) -> list[Item]:
    return [
        Item(start + i, f"folder/{name.lower().replace(' ', '-')}.jpg", 1, 1, None, "ok", sku=f"SKU-{start + i}", name=name,
             category=name.split()[-1].lower())
        for i, name in enumerate(names)
    ]


@pytest.fixture
def models(qapp):
    source = CatalogModel()
    source.reset(Path("/catalog"), _items(NAMES))
    proxy = CatalogFilter()
    proxy.setSourceModel(source)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Warning)
    return source, proxy


def _shown(proxy: CatalogFilter) -> list[str]:
    return [proxy.index(r, 0).data(Roles.NameRole) for r in range(proxy.rowCount())]


def _expected(text: str) -> list[str]:
    words = text.lower().split()
    return [item.name for item in _items(NAMES) if all(w in " ".join((item.name, item.sku, item.category, item.path)).lower() for w in words)]


def test_every_word_must_be_found_in_name_sku_category_or_path(models):
    _, proxy = models
    assert _shown(proxy) == NAMES
    for text in ("red", "RED bag", "shirt", "sku-3", "folder/green", "dress linen", "nothing like it"):
        proxy.set_text(text)
        assert _shown(proxy) == _expected(text), text
    proxy.set_text("")
    assert _shown(proxy) == NAMES


def test_typing_on_and_deleting_give_what_a_fresh_filter_gives(models):
    _, proxy = models
    typed = "red ba"
    for end in [*range(1, len(typed) + 1), *range(len(typed) - 1, -1, -1)]:  # type it, then backspace it away
        proxy.set_text(typed[:end])
        assert _shown(proxy) == _expected(typed[:end]), typed[:end]
    proxy.set_text("shirt")
    proxy.set_text("bag")  # another word altogether: not narrowed from the shirts
    assert _shown(proxy) == ["Green bag", "Red bag", "Bag strap"]


def test_rows_map_both_ways(models):
    source, proxy = models
    proxy.set_text("red")
    for row in range(proxy.rowCount()):
        back = proxy.mapToSource(proxy.index(row, 0))
        assert proxy.mapFromSource(back).row() == row
    hidden = source.index(NAMES.index("Blue shirt"), 0)
    assert not proxy.mapFromSource(hidden).isValid()
    assert proxy.mapFromSource(source.index(NAMES.index("Red bag"), 0)).row() == 2


def test_a_source_reset_is_filtered_by_the_text_in_use(models):
    source, proxy = models
    proxy.set_text("bag")
    source.reset(Path("/catalog"), _items(["Paper bag", "Shoe", "Tote bag"], start=50))
    assert _shown(proxy) == ["Paper bag", "Tote bag"]
    proxy.set_text("")
    assert _shown(proxy) == ["Paper bag", "Shoe", "Tote bag"]


def test_a_hundred_thousand_rows_filter_and_map(qapp):
    names = [f"{colour} {kind} {i}" for i, (colour, kind) in enumerate(
        (c, k) for c in ("red", "blue", "green", "black") for k in ("shirt", "bag", "shoe", "belt", "hat"))] * 5000
    source = CatalogModel()
    source.reset(Path("/catalog"), _items(names))
    proxy = CatalogFilter()
    proxy.setSourceModel(source)
    proxy.set_text("blue")  # 100,000 rows to search: the joined texts
    assert proxy.rowCount() == 25_000
    proxy.set_text("blue bag")  # 25,000 left: searched one by one
    assert proxy.rowCount() == 5_000
    proxy.set_text("bag")  # a fresh search again
    assert proxy.rowCount() == 20_000
    proxy.set_text("blue bag 1")
    texts = [" ".join((i.name, i.sku, i.category, i.path)).lower() for i in _items(names)]
    assert proxy.rowCount() == sum(all(w in t for w in ("blue", "bag", "1")) for t in texts) > 0
    assert all("blue bag" in proxy.index(r, 0).data(Roles.NameRole) for r in range(proxy.rowCount()))


def test_searching_is_made_ready_soon_after_a_reset_not_at_the_first_keystroke(models, qtbot):
    source, proxy = models
    source.reset(Path("/catalog"), _items(["Paper bag", "Shoe"], start=90))
    assert not proxy.prepared()
    qtbot.waitUntil(proxy.prepared, timeout=5000)
    proxy.set_text("bag")
    assert _shown(proxy) == ["Paper bag"]


def test_search_texts_made_with_the_items_are_searched_as_they_are(models):
    source, proxy = models
    items = _items(["Paper bag", "Shoe", "Canvas tote"], start=90)
    source.reset(Path("/catalog"), items, catalog_items(items, with_search=True).search)
    assert proxy.prepared(), "nothing is left to make at the first keystroke"
    proxy.set_text("tote")
    assert _shown(proxy) == ["Canvas tote"]
    stale = catalog_items(_items(["Shoe"]), with_search=True).search  # made for other items: not taken
    source.reset(Path("/catalog"), items, stale)
    proxy.set_text("bag")
    assert _shown(proxy) == ["Paper bag"]
