import json

from core.bench.speed import PARTS, Scale, format_report, run_speed_bench, write_json
from core.lists import Curation
from core.storage import CatalogStore, Workspace

TINY = Scale(full_size=6, full_size_naive=2, thumbnails=40, thumbnails_naive=10, query_sizes=(600,), memory=50, incremental=100,
             at_scale=70)


def test_every_part_runs_on_real_catalogs_and_reports_against_its_target(tmp_path):
    results = run_speed_bench(tmp_path / "data", PARTS, TINY)

    methods = [(t.photos.split()[0], t.method.split()[0]) for t in results.throughput]
    assert methods == [("1080x1440", "naive"), ("1080x1440", "Lookalike"), ("1080x1440", "plain"), ("1080x1440", "plain"),
                       ("1080x1440", "limit"), ("96x96", "naive"), ("96x96", "Lookalike"), ("96x96", "plain"), ("96x96", "plain"),
                       ("96x96", "limit")]
    assert [t.images for t in results.throughput] == [2, 6, 6, 6, 6, 10, 40, 40, 40, 40]
    assert all(t.per_second > 0 for t in results.throughput)
    for first in (0, 5):  # the limit: decoding and encoding share the cores, so their times add up
        _, _, decode, encode, limit = results.throughput[first : first + 5]
        assert limit.seconds == decode.seconds + encode.seconds
    assert {r.items for r in results.queries} == {600} and results.queries[0].method == "exact NumPy"
    assert results.memory.items == 50 and 30 < results.memory.peak_rss_mb < 1500
    inc = results.incremental
    assert (inc.items, inc.changed) == (100, 1) and 0 < inc.incremental_seconds < inc.full_seconds
    assert [s.thumbnail_cache for s in results.startup] == ["empty", "warm"]
    assert all(0 < s.grid_seconds <= s.thumbnails_seconds for s in results.startup)
    lists = results.lists
    assert lists.items == 50 and lists.per_second > 0 and lists.one_by_one_per_second > 0 and lists.export_seconds > 0
    assert lists.recall_at_10 == 1.0  # a catalog this small is searched exactly
    assert [(c.workers, c.images, c.same_items) for c in results.cluster] == [(1, 6, True), (2, 6, True)]
    assert all(c.max_difference <= 1e-5 and c.per_second > 0 for c in results.cluster)
    with CatalogStore(Workspace.locate(tmp_path / "data" / "thumbnails-50").database) as store:
        assert not Curation(store).has_lists()  # timed on a copy of the workspace
    big = results.at_scale
    assert big.items == 70 and big.indexing.items == 70 and 30 < big.indexing.peak_rss_mb < 1500
    assert 0 < big.database_mb < big.workspace_mb
    assert big.lists.items == 70 and big.lists.recall_at_10 == 1.0
    start = big.startup
    assert 0 < start.grid_seconds <= start.thumbnails_seconds and start.thumbnail_cache == "empty"
    # Photos are named after their product, 7 of each: "b" is in backpacks, boots and handbags, "ba" in two of them.
    assert [(k.text, k.shown) for k in start.keystrokes] == [("b", 21), ("ba", 14), ("bag", 7), ("bags", 7), ("", 70),
                                                             ("boot", 7), ("", 70)]
    assert all(k.ms > 0 for k in start.keystrokes) and start.query_ms > 0 and start.peak_rss_mb > 30
    assert start.grid_seconds <= start.loaded_seconds  # 70 items are read at once: no first page

    report = format_report(results)
    for line in ("full-size speed-up", "thumbnails", "1080x1440 and 1500x2000 JPEG: indexing at", "JPEG: indexing at", "at 600:", "Peak RSS indexing 50", "Re-index after 1 of 100", "Cold start on 50 items",
                 "Every list of 50 products", "every cluster run equals the local run", "2 workers",
                 "At 70 thumbnails", "cold start, empty thumbnail cache: grid", "filter keystrokes once it is over, ms: \"b\"", "a product's lookalikes on screen"):
        assert line in report
    write_json(results, tmp_path / "speed.json")
    saved = json.loads((tmp_path / "speed.json").read_text())
    assert saved["throughput"][1]["images_per_second"] > 0 and saved["incremental"]["share"] > 0
    assert saved["lists"]["lists_per_second"] > 0
    assert saved["at_scale"]["startup"]["keystrokes"][0]["text"] == "b"

    # The catalogs are kept in the data folder and left as they were made.
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["full-size-6", "thumbnails-100", "thumbnails-40", "thumbnails-50",
                                                                   "thumbnails-70"]


def test_parts_can_run_alone(tmp_path):
    results = run_speed_bench(tmp_path, ("queries",), TINY)
    assert results.queries and not results.throughput and results.memory is None and not results.startup and results.lists is None
    assert "Peak RSS" not in format_report(results)
