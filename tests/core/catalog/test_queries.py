import pytest
from PIL import Image

from core.catalog.queries import save_query_image
from core.common.errors import ImageError
from core.storage.store import CatalogStore


def test_query_photo_is_kept_shrunk_and_deduplicated(tmp_path):
    big = tmp_path / "big.jpg"
    Image.new("RGB", (1600, 1200), (10, 120, 200)).save(big)
    first = save_query_image(tmp_path / "queries", big)
    again = save_query_image(tmp_path / "queries", big)
    assert first == again and first.suffix == ".png"
    with Image.open(first) as kept:
        assert max(kept.size) == 512 and kept.size[0] > kept.size[1]
    from_memory = save_query_image(tmp_path / "queries", Image.new("RGBA", (40, 30), (0, 0, 0, 0)))
    assert from_memory != first and from_memory.exists()


def test_unreadable_query_photo_is_refused(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("nope")
    with pytest.raises(ImageError):
        save_query_image(tmp_path / "queries", bad)
    assert not (tmp_path / "queries").exists()


def test_history_keeps_newest_first_without_duplicates(tmp_path):
    with CatalogStore(tmp_path / "c.sqlite") as store:
        for i in range(5):
            store.add_history("item", str(i), f"item {i}", keep=3)
        store.add_history("item", "3", "item 3 again", keep=3)
        store.add_history("image", "/q/x.png", "x.png", keep=3)
    with CatalogStore(tmp_path / "c.sqlite") as store:
        entries = store.history()
    assert [(e.kind, e.ref) for e in entries] == [("image", "/q/x.png"), ("item", "3"), ("item", "4")]
    assert entries[1].label == "item 3 again" and entries[0].created
