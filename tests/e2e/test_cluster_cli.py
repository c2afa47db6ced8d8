"""`index --cluster` as a user runs it: a real local Dask cluster started by the command."""
from __future__ import annotations

import json

from tests.e2e.test_cli import assert_one_line_error, lookalike


def test_index_on_a_local_cluster_gives_the_lists_a_local_index_gives(tmp_path):
    catalog = tmp_path / "demo"
    lookalike("demo", catalog, "--count", 60)
    out = lookalike("index", catalog, "--cluster", "local", "--workspace", tmp_path / "on-cluster")
    assert "60 images: 60 encoded" in out.stdout and "metadata: 60 rows matched" in out.stdout
    lookalike("index", catalog, "--workspace", tmp_path / "here")
    lists = []
    for workspace in ("on-cluster", "here"):
        lookalike("recommend", catalog, "--workspace", tmp_path / workspace, "--format", "json", "--out", tmp_path / f"{workspace}.json")
        entries = json.loads((tmp_path / f"{workspace}.json").read_text())
        lists.append({e["path"]: [r["path"] for r in e["recommendations"]] for e in entries})
    assert lists[0] == lists[1] and len(lists[0]) == 60


def test_a_cluster_that_cannot_be_reached_is_one_line(tmp_path):
    catalog = tmp_path / "demo"
    lookalike("demo", catalog, "--count", 4)
    result = lookalike("index", catalog, "--cluster", "tcp://127.0.0.1:9", check=False)
    assert_one_line_error(result, "cannot reach the cluster at tcp://127.0.0.1:9")
    assert not list(catalog.glob(".lookalike/*.ann"))  # nothing indexed
