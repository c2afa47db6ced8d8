"""The packaged desktop app: packaging/build.sh builds it, and it runs from a read-only folder without PyTorch."""
from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
MAX_BUNDLE_BYTES = 400 * 1024**2
TRAINING_STACK = ("torch", "torchvision", "onnx", "onnxscript", "onnx_ir", "tensorboard")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the bundle is built for Linux"),
]

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every path under `root` with its size and mtime: a bundle that wrote anything changes it."""
    entries: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            entries[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return entries


def set_writable(root: Path, writable: bool) -> None:
    """`chmod -R a-w`, or give the owner back write access (so tmp_path can be removed)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DIST of one `packaging/build.sh` run in a scratch folder (its build venv removed afterwards)."""
    out = tmp_path_factory.mktemp("package")
    result = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh"), "--dist", str(out / "dist"), "--work", str(out / "work")],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, f"build.sh failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    shutil.rmtree(out / "work")
    return out / "dist"


@pytest.fixture(scope="module")
def launcher(dist: Path) -> Iterator[Path]:
    """The bundle's launcher, with the bundle made read-only for the tests that run it."""
    bundle = dist / "Lookalike"
    set_writable(bundle, False)
    try:
        yield bundle / "Lookalike"
    finally:
        set_writable(bundle, True)


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A bare environment like a desktop session's, with the user's folders under `home`."""
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.update(extra)
    return env


def test_archive_holds_the_bundle_under_the_project_version(dist: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    archive = dist / f"Lookalike-{version}-linux-x86_64.tar.gz"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"Lookalike/Lookalike", "Lookalike/lookalike.desktop", "Lookalike/_internal/resources/default_encoder.onnx"} <= names
    assert len(names) == len(snapshot(dist / "Lookalike")) + 1  # + the top folder itself


def test_bundle_is_small_and_carries_onnx_runtime_but_no_training_stack(dist: Path) -> None:
    bundle = dist / "Lookalike"
    internal = bundle / "_internal"
    size = sum(p.lstat().st_size for p in bundle.rglob("*") if not p.is_symlink())
    assert size < MAX_BUNDLE_BYTES, f"the bundle unpacks to {size / 1024**2:.0f} MB"
    assert not [p for p in bundle.rglob("*") if "torch" in p.name.lower()]
    assert not [name for name in TRAINING_STACK if (internal / name).exists()]
    assert list((internal / "onnxruntime" / "capi").glob("onnxruntime_pybind11_state*.so"))
    for name in ("default_encoder.onnx", "small_encoder.onnx", "lookalike.png", "lookalike.svg", "help.html"):
        assert (internal / "resources" / name).is_file()


def test_self_test_drives_the_window_from_a_read_only_bundle(launcher: Path, tmp_path: Path) -> None:
    before = snapshot(launcher.parent)
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [str(launcher), "--self-test", "--screenshot", str(shot)],
        env=user_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("self-test ok: indexed 60 demo photos"), result.stdout
    with Image.open(shot) as image:
        assert image.size == (1280, 800)
    assert snapshot(launcher.parent) == before


def test_command_line_indexes_and_queries_from_a_read_only_bundle(launcher: Path, tmp_path: Path) -> None:
    before = snapshot(launcher.parent)
    env = user_env(tmp_path / "home")

    def lookalike(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(launcher), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    catalog = tmp_path / "demo"
    for args in (("demo", str(catalog), "--count", "40"), ("index", str(catalog))):
        result = lookalike(*args)
        assert result.returncode == 0, result.stderr
    photo = sorted(catalog.glob("*/*.jpg"))[0]
    result = lookalike("query", str(catalog), str(photo), "-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    matches = json.loads(result.stdout)
    assert len(matches) == 3 and matches[0]["path"] == photo.relative_to(catalog).as_posix()
    assert snapshot(launcher.parent) == before


def test_the_bundle_imports_a_shop_from_a_server(launcher: Path, tmp_path: Path) -> None:
    """The HTTP client and the shop readers are in the bundle: a Shopify export imported from 127.0.0.1."""
    from core.bench.photo_server import PhotoServer
    from core.bench.shop_catalogs import make_products, write_photos, write_shopify_export

    products = make_products(5, seed=1)
    write_photos(products, tmp_path / "cdn")
    with PhotoServer(tmp_path / "cdn") as server:
        write_shopify_export(products, server.url, tmp_path / "export.csv")
        result = subprocess.run(
            [str(launcher), "import-shop", str(tmp_path / "export.csv"), str(tmp_path / "shop")],
            env=user_env(tmp_path / "home"), cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
    photos = sum(len(p.photos) for p in products)
    assert result.returncode == 0, result.stderr
    assert f"shopify export: 5 products, {photos} photos: {photos} fetched" in result.stdout
    assert f"indexed {photos} images" in result.stdout


def test_training_fails_cleanly_even_beside_an_installed_torch(launcher: Path, tmp_path: Path) -> None:
    """The bundle never reaches a Python installation's packages, so training cannot start."""
    catalog = tmp_path / "demo"
    env = user_env(tmp_path / "home", PYTHONPATH=os.pathsep.join(site.getsitepackages()))
    demo = subprocess.run([str(launcher), "demo", str(catalog), "--count", "8"], env=env, capture_output=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    result = subprocess.run(
        [str(launcher), "train", str(catalog), "--epochs", "1"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    shown = subprocess.run([str(launcher), "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    listed = {line.split()[0] for line in shown.stdout.splitlines() if line.startswith("    ") and line.split()}
    assert {"index", "query", "recommend"} <= listed, shown.stdout
    assert not listed & {"train", "build-default"}, shown.stdout  # help offers only what works
