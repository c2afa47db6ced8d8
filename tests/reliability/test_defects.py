"""The faults and bad inputs of a real catalog, one case each: nothing lost, nothing silently wrong, no crash.

Every case runs the real command line (or the real core) on a copy of a curated catalog and
asserts what a merchandiser would check: a clear line and a non-zero exit for what cannot be
done, no traceback or native crash, and every item, embedding and decision still there.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.storage.store import CatalogStore
from tests.reliability.conftest import (
    ROOT,
    Curated,
    assert_index_matches_items,
    assert_queries_answer,
    assert_whole,
    curation_of,
    integrity,
    items_of,
    run_cli,
)


def one_line(result: subprocess.CompletedProcess, *words: str) -> str:
    """The run failed with exactly one line on stderr, holding each of `words`, and no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def not_crashed(result: subprocess.CompletedProcess) -> None:
    assert result.returncode >= 0, f"killed by signal {-result.returncode}: {result.stderr[-500:]}"
    assert "Traceback" not in result.stderr, result.stderr


def snapshot(copy: Curated) -> tuple[dict, dict]:
    return curation_of(copy.ws), items_of(copy.ws)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- curated work is lost --------------------------------------------------------------------


def test_train_out_cannot_overwrite_the_workspace_the_photos_or_the_product_list(curated: Curated):
    decided, items = snapshot(curated)
    before = files_of(curated.catalog)
    for target in (curated.ws.database, curated.catalog / "boots" / "boot-0005.jpg", curated.catalog / "products.csv"):
        one_line(run_cli("train", curated.catalog, "--epochs", "1", "--out", target), "refusing")
    assert files_of(curated.catalog) == before
    assert_whole(curated.ws, decided, items)


def test_an_unreachable_subfolder_keeps_its_items_and_lists_until_it_is_back(curated: Curated, tmp_path: Path):
    """A folder behind a link to a drive that is not mounted: its photos are missing, not deleted, and come back whole."""
    drive = tmp_path / "usb-drive"
    shutil.move(str(curated.catalog / "backpacks"), drive)
    (curated.catalog / "backpacks").symlink_to(drive, target_is_directory=True)
    ws = curated.ws
    assert run_cli("index", curated.catalog).returncode == 0
    decided, items = snapshot(curated)
    away = tmp_path / "usb-drive-unplugged"
    drive.rename(away)  # unplugged
    result = run_cli("index", curated.catalog)
    assert result.returncode == 0, result.stderr
    assert "photos are missing" in result.stdout and "backpacks" in result.stderr and "not mounted" in result.stderr
    with CatalogStore(ws.database) as store:
        gone = store.missing_items()
    assert {item.path.split("/")[0] for item in gone} == {"backpacks"} and len(gone) == 4
    assert all("could not be read" in item.missing for item in gone)
    assert curation_of(ws) == decided  # their lists, and the lists that name them, are as they were
    still = run_cli("index", curated.catalog)  # a later run: nothing newly gone, the same four still missing
    assert "0 gone" in still.stdout and "4 photos are missing" in still.stdout, still.stdout
    listed = run_cli("missing", curated.catalog)
    assert listed.returncode == 0 and "4 photos missing" in listed.stdout
    exported = run_cli("recommend", curated.catalog, "--format", "json", "--out", tmp_path / "r.json")
    assert exported.returncode == 0 and "its photo is missing" in exported.stderr
    entries = json.loads((tmp_path / "r.json").read_text())
    assert not any(e["path"].startswith("backpacks/") or any(r["path"].startswith("backpacks/") for r in e["recommendations"]) for e in entries)
    away.rename(drive)  # plugged in again
    back = run_cli("index", curated.catalog)
    assert back.returncode == 0 and "4 missing photos found again" in back.stdout
    with CatalogStore(ws.database) as store:
        assert store.missing_items() == []
    assert_whole(ws, decided, items)


def test_a_moved_folder_keeps_every_photos_item_embedding_and_lists(curated: Curated):
    ws = curated.ws
    decided, items = snapshot(curated)
    with CatalogStore(ws.database) as store:
        ids_before = {item.path: item.id for item in store.items()}
    (curated.catalog / "archive").mkdir()
    shutil.move(str(curated.catalog / "backpacks"), curated.catalog / "archive" / "backpacks")
    result = run_cli("index", curated.catalog)
    assert result.returncode == 0 and "4 missing photos found again" in result.stdout, result.stdout
    assert "0 encoded" in result.stdout  # same content: nothing to embed again
    with CatalogStore(ws.database) as store:
        ids_after = {item.path: item.id for item in store.items()}
        assert store.missing_items() == []
    for path, item_id in ids_before.items():
        assert ids_after[path.replace("backpacks/", "archive/backpacks/")] == item_id
    assert curation_of(ws) == decided  # the same items, so the same lists
    assert_index_matches_items(ws)
    assert_queries_answer(ws)


def test_missing_photos_are_forgotten_only_when_asked_with_the_count(curated: Curated):
    for photo in sorted((curated.catalog / "caps").iterdir())[:2]:
        photo.unlink()
    assert run_cli("index", curated.catalog).returncode == 0
    with CatalogStore(curated.ws.database) as store:
        assert len(store.missing_items()) == 2 and store.count() == 40
    forgot = run_cli("missing", curated.catalog, "--forget")
    assert forgot.returncode == 0 and "forgot 2 missing photos" in forgot.stdout
    with CatalogStore(curated.ws.database) as store:
        assert store.missing_items() == [] and store.count() == 38
    assert integrity(curated.ws) == "ok"
    assert_queries_answer(curated.ws)


def test_a_workspace_of_another_catalog_is_refused(curated: Curated, tmp_path: Path):
    shared = tmp_path / "shared-ws"
    assert run_cli("index", curated.catalog, "--workspace", shared).returncode == 0
    with CatalogStore(shared / "catalog.sqlite") as store:
        kept = {item.path for item in store.items()}
    other = tmp_path / "other-catalog"
    shutil.copytree(curated.catalog / "boots", other / "boots")
    one_line(run_cli("index", other, "--workspace", shared), "belongs to the catalog", str(curated.catalog))
    with CatalogStore(shared / "catalog.sqlite") as store:
        assert {item.path for item in store.items()} == kept and store.missing_items() == []


def test_demo_refuses_a_folder_holding_someone_elses_files(tmp_path: Path):
    shop = tmp_path / "shop"
    (shop / "photos").mkdir(parents=True)
    (shop / "photos" / "IMG_001.jpg").write_bytes(b"\xff\xd8\xff a real photo")
    (shop / "products.csv").write_text("path,sku\nphotos/IMG_001.jpg,MINE-1\n")
    before = files_of(shop)
    one_line(run_cli("demo", shop, "--count", "10"), "not a Lookalike demo", "IMG_001.jpg")
    assert files_of(shop) == before


def test_product_lists_set_only_their_columns_and_refuse_duplicates_and_unclosed_quotes(curated: Curated, tmp_path: Path):
    ws = curated.ws
    with CatalogStore(ws.database) as store:
        skus = {item.path: (item.sku, item.name) for item in store.items()}
    bare = tmp_path / "paths.csv"
    bare.write_text("path\n" + "\n".join(sorted(skus)) + "\n")
    assert run_cli("index", curated.catalog, "--metadata", bare).returncode == 0
    with CatalogStore(ws.database) as store:
        assert {item.path: (item.sku, item.name) for item in store.items()} == skus
    twice = tmp_path / "twice.csv"
    twice.write_text("path,sku\nboots/boot-0005.jpg,NEW-1\ncaps/cap-0007.jpg,NEW-2\nboots/boot-0005.jpg,NEW-3\n")
    one_line(run_cli("index", curated.catalog, "--metadata", twice), "listed twice", "lines 2 and 4")
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('path,name\nboots/boot-0005.jpg,"Brown boot\ncaps/cap-0007.jpg,Cap\n')
    one_line(run_cli("index", curated.catalog, "--metadata", unclosed), "line 2", "not closed")
    (curated.catalog / "products.csv").write_text(twice.read_text())  # the catalog's own list: reported, photos indexed
    result = run_cli("index", curated.catalog)
    assert result.returncode == 0 and "listed twice" in result.stderr
    with CatalogStore(ws.database) as store:
        assert {item.path: (item.sku, item.name) for item in store.items()} == skus


# ---- answers are silently wrong --------------------------------------------------------------


def _tiny_encoder(path: Path, kind: str) -> Path:
    """A real ONNX encoder (32 px input) whose embeddings are broken in one way."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    width = 0 if kind == "zero-width" else 8
    nodes = [helper.make_node("Flatten", ["image"], ["flat"])]
    consts = {
        "zero": np.zeros(1, np.float32),
        "w": np.full((3 * 32 * 32, width), 0.01, np.float32),
        "bias": np.arange(width, dtype=np.float32) + 1,
    }
    if kind == "nan":
        nodes += [helper.make_node("Mul", ["flat", "zero"], ["z"]), helper.make_node("Div", ["z", "zero"], ["bad"]),
                  helper.make_node("MatMul", ["bad", "w"], ["embedding"])]
    elif kind == "infinite":
        nodes += [helper.make_node("Mul", ["flat", "zero"], ["z"]), helper.make_node("Log", ["z"], ["bad"]),
                  helper.make_node("MatMul", ["bad", "w"], ["embedding"])]
    elif kind == "constant":
        nodes += [helper.make_node("Mul", ["flat", "zero"], ["z"]), helper.make_node("MatMul", ["z", "w"], ["m"]),
                  helper.make_node("Add", ["m", "bias"], ["embedding"])]
    elif kind == "zeros":
        nodes += [helper.make_node("Mul", ["flat", "zero"], ["z"]), helper.make_node("MatMul", ["z", "w"], ["embedding"])]
    else:  # zero-width
        nodes += [helper.make_node("MatMul", ["flat", "w"], ["embedding"])]
    graph = helper.make_graph(
        nodes,
        kind,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", width])],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"lookalike.input_size": "32"})
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("kind, words", [
    ("nan", "NaN or infinite"), ("infinite", "NaN or infinite"), ("constant", "same embedding"),
    ("zeros", "all-zero"), ("zero-width", "no numbers"),
])
def test_an_encoder_with_unusable_embeddings_is_refused_before_it_replaces_anything(curated: Curated, tmp_path: Path, kind, words):
    decided, items = snapshot(curated)
    model = _tiny_encoder(tmp_path / f"{kind}.onnx", kind)
    before = files_of(curated.ws.root)
    one_line(run_cli("index", curated.catalog, "--model", model), "not a usable encoder", words)
    assert {k: v for k, v in files_of(curated.ws.root).items() if not k.endswith(("-wal", "-shm", ".sqlite"))} == {
        k: v for k, v in before.items() if not k.endswith(("-wal", "-shm", ".sqlite"))
    }
    assert_whole(curated.ws, decided, items)


HOLD = """
import sys
from core.storage.workspace import Workspace
with Workspace.locate(sys.argv[1]).exclusive(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize("holder, words", [("indexing", "is indexing"), ("making lists for", "is making lists for")])
def test_recommend_beside_another_run_is_turned_away_and_changes_nothing(curated: Curated, tmp_path: Path, holder, words):
    decided, items = snapshot(curated)
    with subprocess.Popen([sys.executable, "-c", HOLD, str(curated.catalog), holder], cwd=ROOT, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as other:
        assert other.stdout.readline().strip() == "held"
        one_line(run_cli("recommend", curated.catalog, "--out", tmp_path / "r.csv", "-k", "3"), "another Lookalike run", words)
        one_line(run_cli("index", curated.catalog), "another Lookalike run", words)
        other.stdin.close()
        other.wait(30)
    assert not (tmp_path / "r.csv").exists()
    assert_whole(curated.ws, decided, items)
    assert run_cli("recommend", curated.catalog, "--out", tmp_path / "r.csv", "-k", "3").returncode == 0


# ---- it crashes --------------------------------------------------------------------------------


def _index_files(copy: Curated) -> tuple[Path, Path]:
    from tests.conftest import index_files

    shape, colour = index_files(copy.ws)
    assert shape is not None and colour is not None
    return shape, colour


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(len(data))
    if how == "middle third":
        third = len(data) // 3
        data[third : 2 * third] = rng.integers(0, 256, third, dtype=np.uint8).tobytes()
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "empty":
        data = bytearray()
    else:  # random, same size
        data = bytearray(rng.integers(0, 256, len(data), dtype=np.uint8).tobytes())
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("which", ["index", "colour"])
@pytest.mark.parametrize("how", ["middle third", "truncated", "empty", "random"])
def test_a_damaged_index_file_is_rebuilt_from_the_stored_embeddings_not_loaded(curated: Curated, tmp_path: Path, which, how):
    decided, items = snapshot(curated)
    shape, colour = _index_files(curated)
    _damage(shape if which == "index" else colour, how)
    probe = curated.catalog / "watches" / "watch-0010.jpg"
    query = run_cli("query", curated.catalog, probe, "--json", "--color-weight", "0.3")
    not_crashed(query)
    assert query.returncode == 0 and "damaged" in query.stderr and "rebuilding" in query.stderr
    assert json.loads(query.stdout)[0]["path"] == "watches/watch-0010.jpg"
    assert_whole(curated.ws, decided, items)
    again = run_cli("recommend", curated.catalog, "--out", tmp_path / "r.json", "--format", "json")
    not_crashed(again)
    assert again.returncode == 0 and "damaged" not in again.stderr
    _damage(_index_files(curated)[0], how)  # and `index` repairs it although no photo changed
    repaired = run_cli("index", curated.catalog)
    assert repaired.returncode == 0 and "rebuilt it from the stored embeddings" in repaired.stderr
    assert_whole(curated.ws, decided, items)


@pytest.mark.parametrize("how", ["garbage", "middle"])
def test_a_damaged_database_is_restored_from_the_latest_backup_with_its_lists(curated: Curated, how):
    ws = curated.ws
    decided, items = snapshot(curated)
    assert run_cli("index", curated.catalog).returncode == 0  # a run that backs up (the template's is older)
    data = bytearray(ws.database.read_bytes())
    if how == "garbage":
        data = bytearray(b"not a database any more " * 200)
    else:  # pages in the middle overwritten, as a failing disk would
        start = len(data) // 3
        data[start : start + 8192] = b"\x00\xff" * 4096
    ws.database.write_bytes(bytes(data))
    for leftover in ("-wal", "-shm"):
        Path(f"{ws.database}{leftover}").unlink(missing_ok=True)
    result = run_cli("index", curated.catalog)
    not_crashed(result)
    assert result.returncode == 0, result.stderr
    assert "restored from the backup" in result.stderr and "moved aside" in result.stderr
    assert list((ws.root / "damaged").iterdir()), "the damaged database is kept"
    assert_whole(ws, decided, items)


def test_a_workspace_from_a_newer_lookalike_is_refused_and_left_alone(curated: Curated, tmp_path: Path):
    with CatalogStore(curated.ws.database) as store:
        store.set_meta({"schema_version": "99"})
    before = curated.ws.database.read_bytes()
    for args in (("index", curated.catalog), ("query", curated.catalog, curated.catalog / "caps" / "cap-0007.jpg"),
                 ("recommend", curated.catalog, "--out", tmp_path / "r.csv")):
        one_line(run_cli(*args), "newer Lookalike", "update Lookalike")
    assert curated.ws.database.read_bytes() == before


def test_a_file_name_that_is_not_utf8_is_skipped_with_its_reason(curated: Curated):
    raw = os.fsencode(curated.catalog / "caps") + b"/caf\xe9-cap.jpg"
    with open(raw, "wb") as fh:
        fh.write((curated.catalog / "caps" / "cap-0007.jpg").read_bytes())
    result = run_cli("index", curated.catalog)
    not_crashed(result)
    assert result.returncode == 0, result.stderr
    assert "caf\\xe9-cap.jpg" in result.stderr and "not valid UTF-8" in result.stderr
    assert_queries_answer(curated.ws)


def test_a_huge_k_answers_with_the_whole_catalog(curated: Curated):
    result = run_cli("query", curated.catalog, curated.catalog / "caps" / "cap-0007.jpg", "-k", "100000000", "--json")
    not_crashed(result)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 40


def test_a_full_disk_is_said_in_words_and_loses_nothing(curated_template: Path, tmp_path: Path):
    """A real full disk: a small file system of its own (a private tmpfs), filled to the brim before each run."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a small file system of its own")
    script = tmp_path / "full.py"
    script.write_text(textwrap.dedent(f"""
        import json, os, shutil, subprocess, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.reliability.conftest import Curated, curation_of, items_of, integrity, assert_whole
        disk = Path({str(tmp_path / "disk")!r})
        disk.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
        catalog = disk / "catalog"
        shutil.copytree({str(curated_template)!r}, catalog, symlinks=True)
        copy = Curated(catalog)
        decided, items = curation_of(copy.ws), items_of(copy.ws)
        answers = []
        for args in (["recommend", str(catalog), "--format", "json", "--out", str(disk / "r.json")],
                     ["index", str(catalog), "--model", {str(ROOT / "resources" / "default_encoder.onnx")!r}]):
            st = os.statvfs(disk)
            with open(disk / "filler", "wb") as fh:
                fh.write(b"\\0" * max(0, st.f_bavail * st.f_frsize - 16384))
            run = subprocess.run([sys.executable, {str(ROOT / "main.py")!r}, *args], capture_output=True, text=True)
            (disk / "filler").unlink()
            assert_whole(copy.ws, decided, items)
            answers.append([run.returncode, run.stderr])
        print(json.dumps(answers))
    """))
    result = subprocess.run(["unshare", "-m", sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    if result.returncode != 0 and "mount" in result.stderr and "permission" in result.stderr.lower():
        pytest.skip("mounting a tmpfs is not allowed here")
    assert result.returncode == 0, result.stderr
    for code, stderr in json.loads(result.stdout.strip().splitlines()[-1]):
        lines = stderr.strip().splitlines()
        assert code == 1 and len(lines) == 1 and "Traceback" not in stderr, stderr
        assert "disk is full" in lines[0].lower() or "no space left" in lines[0].lower(), lines[0]
        assert "OperationalError" not in lines[0]


# ---- also --------------------------------------------------------------------------------------


def test_spreadsheet_formulas_never_reach_a_spreadsheet_alive(curated: Curated, tmp_path: Path):
    products = (curated.catalog / "products.csv").read_text().splitlines()
    header, rows = products[0], products[1:]
    rows[0] = ",".join([rows[0].split(",")[0], "=cmd|' /C calc'!A0"] + rows[0].split(",")[2:])  # a DDE formula as SKU
    (curated.catalog / "products.csv").write_text("\n".join([header, *rows]) + "\n")
    assert run_cli("index", curated.catalog).returncode == 0
    people = run_cli("recommend", curated.catalog, "--format", "csv", "--out", tmp_path / "r.csv")
    assert people.returncode == 0
    text = (tmp_path / "r.csv").read_text()
    assert "'=cmd|" in text and ",=cmd|" not in text
    shop = run_cli("recommend", curated.catalog, "--format", "magento", "--out", tmp_path / "m.csv")
    assert shop.returncode == 0 and "spreadsheets run as a formula" in shop.stderr
    assert "cmd|" not in (tmp_path / "m.csv").read_text()


def test_links_in_the_workspace_are_never_written_through(curated: Curated, tmp_path: Path, small_encoder: Path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep")
    from core.similarity.encoder import OnnxEncoder
    from core.storage.index_state import staged_encoder_name

    ws = curated.ws
    (ws.root / staged_encoder_name(OnnxEncoder(small_encoder).info.model_id)).symlink_to(precious / "notes.txt")
    for name in ("index-2.ann", "colour-2.ann"):
        (ws.root / name).symlink_to(precious / "notes.txt")
    shutil.rmtree(ws.root / "thumbs", ignore_errors=True)
    (ws.root / "thumbs").symlink_to(precious, target_is_directory=True)
    assert run_cli("index", curated.catalog, "--model", small_encoder).returncode == 0
    assert run_cli("recommend", curated.catalog, "--format", "html", "--out", tmp_path / "sheet.html").returncode == 0
    assert files_of(precious) == {"notes.txt": b"keep"}
    assert_queries_answer(ws)


def test_a_link_to_the_root_and_special_files_are_reported_not_followed(curated: Curated, tmp_path: Path):
    (curated.catalog / "everything").symlink_to("/", target_is_directory=True)
    (curated.catalog / "up").symlink_to(curated.catalog.parent, target_is_directory=True)
    os.mkfifo(curated.catalog / "caps" / "pipe.jpg")
    (curated.catalog / "caps" / "zero.jpg").symlink_to("/dev/zero")
    (curated.catalog / "caps" / "phone.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    deep = curated.catalog / "deep"
    deep.mkdir()
    long_name = "x" * 250
    try:
        folder = deep
        for _ in range(20):  # past PATH_MAX (4096) through relative steps
            folder = folder / long_name
            os.mkdir(folder)
    except OSError:
        pass
    result = run_cli("index", curated.catalog, timeout=120)
    not_crashed(result)
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "not followed everything" in err and "holds the catalog itself" in err
    assert "not followed up" in err
    assert "caps/pipe.jpg: a FIFO" in err and "caps/zero.jpg: a device" in err
    assert "skipped caps/phone.heic: HEIC" in err
    with CatalogStore(curated.ws.database) as store:
        assert store.count() == 41  # the 40 photos and the HEIC one, recorded as unreadable
    assert_queries_answer(curated.ws)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_as_query_photo_or_product_list_is_refused_at_once(curated: Curated, tmp_path: Path, special):
    if special == "fifo":
        target = tmp_path / "pipe.jpg"
        os.mkfifo(target)
    else:
        target = Path(special)
    what = "a FIFO" if special == "fifo" else "a device"
    one_line(run_cli("query", curated.catalog, target, timeout=60), what)
    one_line(run_cli("index", curated.catalog, "--metadata", target, timeout=60), what)
    one_line(run_cli("index", curated.catalog, "--model", target, timeout=60), what)


def test_help_names_the_desktop_app_and_every_option_its_default():
    top = run_cli("--help")
    assert top.returncode == 0
    for words in ("desktop app", "--open FOLDER", "--self-test"):
        assert words in top.stdout
    import argparse

    from core.cli import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction) or action.required or not action.option_strings:
                continue
            assert action.help and "default" in action.help, f"{name} {action.option_strings}: {action.help!r}"
