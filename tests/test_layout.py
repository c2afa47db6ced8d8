"""The code's layout: which package may import which, and that gui/ and the command line use each
package through the names it exports. Read from the source, so an import inside a function counts.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PRODUCT = ("common", "storage", "catalog", "similarity", "duplicates", "lists", "training", "demo", "shop", "cluster")
# What each layer may import of Lookalike besides itself. Dependencies point one way: the entry
# layers (main, gui, cli) use product packages, which use storage and common.
ALLOWED: dict[str, frozenset[str]] = {
    "common": frozenset(),
    "storage": frozenset({"common"}),
    "catalog": frozenset({"common", "storage"}),
    "similarity": frozenset({"common", "storage", "catalog"}),
    "duplicates": frozenset({"common", "storage", "catalog", "similarity"}),
    "cluster": frozenset({"common", "similarity"}),
    "lists": frozenset({"common", "storage", "catalog", "similarity", "duplicates"}),
    "demo": frozenset({"common", "storage"}),
    "shop": frozenset({"common", "storage"}),
    "training": frozenset({"common", "storage", "catalog", "similarity", "demo"}),
    "bench": frozenset(PRODUCT),
    "cli": frozenset({*PRODUCT, "bench"}),
    "gui": frozenset({*PRODUCT, "gui"}),
    "main": frozenset({"cli", "gui"}),
}
# Only these may import the training stack; everything else runs on ONNX Runtime alone.
TRAINING_STACK = ("torch", "onnx", "onnxscript")
MAY_TRAIN = ("core/training/", "core/bench/quality.py", "core/bench/seed_model.py")


@dataclass(frozen=True)
class Import:
    source: str  # the importing file, relative to the root
    module: str  # the module imported from, e.g. "core.storage"
    names: tuple[str, ...]  # the names taken from it (empty for `import x`)
    line: int

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def layer_of(source: str) -> str | None:
    """The layer a file belongs to: a package of core, the command line, gui, or main."""
    parts = Path(source).parts
    if parts == ("main.py",):
        return "main"
    if parts[0] == "gui":
        return "gui"
    if parts[0] == "core":
        if parts[1:] == ("cli.py",):
            return "cli"
        if len(parts) >= 3:
            return parts[1]
    return None


def target_of(module: str) -> str | None:
    """The layer an imported module belongs to (None for what is not Lookalike's)."""
    parts = module.split(".")
    if parts[0] == "gui":
        return "gui"
    if parts[0] == "core" and len(parts) >= 2:
        return "cli" if parts[1] == "cli" else parts[1]
    return None


def imports_in(root: Path) -> list[Import]:
    found = []
    for path in sorted([root / "main.py", *root.glob("core/**/*.py"), *root.glob("gui/**/*.py")]):
        if not path.is_file():
            continue
        source = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), source)):
            if isinstance(node, ast.Import):
                found += [Import(source, alias.name, (), node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append(Import(source, node.module, tuple(a.name for a in node.names), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                found.append(Import(source, "." * node.level + (node.module or ""), (), node.lineno))
    return found


def exported(root: Path, package: str) -> set[str]:
    """The names in a core package's `__all__`."""
    tree = ast.parse((root / "core" / package / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def violations(root: Path) -> list[str]:
    """Every import that breaks the layout, as 'file:line: what is wrong'."""
    problems = []
    packages = {p.parent.name for p in (root / "core").glob("*/__init__.py")}
    for imp in imports_in(root):
        if imp.module.startswith("."):
            problems.append(f"{imp.where()}: relative import {imp.module!r}; name the module in full")
            continue
        if imp.module.split(".")[0] in TRAINING_STACK and not imp.source.startswith(MAY_TRAIN):
            problems.append(f"{imp.where()}: imports {imp.module}, which only training may")
        if imp.module.split(".")[0] == "PySide6" and imp.source.startswith("core/"):
            problems.append(f"{imp.where()}: core imports Qt ({imp.module})")
        source, target = layer_of(imp.source), target_of(imp.module)
        if imp.module == "core" and source is not None:
            problems.append(f"{imp.where()}: imports from core itself; name the package")
            continue
        if source is None or target is None:
            continue
        if target not in packages and target not in ("cli", "gui"):
            problems.append(f"{imp.where()}: imports {imp.module}, which is no package of core")
            continue
        if target == source:
            continue
        if target not in ALLOWED[source]:
            problems.append(f"{imp.where()}: {source} may not import {target} ({imp.module})")
        if target in packages:
            if imp.module != f"core.{target}":
                problems.append(f"{imp.where()}: imports {imp.module}; use what core.{target} exports")
            else:
                missing = [n for n in imp.names if n not in exported(root, target)]
                if missing:
                    problems.append(f"{imp.where()}: core.{target} does not export {', '.join(missing)}")
    return problems


def test_every_import_follows_the_layout():
    assert violations(ROOT) == []


def test_the_allowed_imports_have_no_cycle():
    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in ALLOWED[start] - {start})

    assert [layer for layer in ALLOWED if reaches(layer, layer)] == []


def test_every_package_says_what_it_owns_and_exports_what_it_names():
    for init in sorted((ROOT / "core").glob("*/__init__.py")):
        package = init.parent.name
        assert package in ALLOWED, f"core/{package} has no place in the layout"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "import" in doc, f"core/{package}/__init__.py must say what it owns and may import"
        module = __import__(f"core.{package}", fromlist=["*"])
        for name in exported(ROOT, package):
            assert getattr(module, name) is not None, f"core.{package} exports {name} but has none"


def _write(root: Path, files: dict[str, str]) -> None:
    """A small tree of the same shape: four packages, each exporting one name."""
    inits = {f"core/{package}/__init__.py": f"__all__ = [{name!r}]\n" for package, name in
             (("common", "CatalogError"), ("storage", "Workspace"), ("catalog", "scan_catalog"), ("bench", "PARTS"))}
    for name, text in {"main.py": "", "core/__init__.py": "", **inits, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.mark.parametrize(
    "source, text, problem",
    [
        ("core/storage/store.py", "from core.catalog import scan_catalog\n", "storage may not import catalog"),
        ("core/common/errors.py", "def f():\n    import core.storage\n", "common may not import storage"),
        ("core/catalog/scan.py", "from core.storage.store import CatalogStore\n", "use what core.storage exports"),
        ("gui/session.py", "from core.storage import CatalogStore\n", "does not export CatalogStore"),
        ("gui/session.py", "from core.bench import PARTS\n", "gui may not import bench"),
        ("core/catalog/scan.py", "import torch\n", "only training may"),
        ("core/storage/store.py", "from PySide6.QtCore import QObject\n", "core imports Qt"),
        ("core/storage/store.py", "from . import atomic\n", "relative import"),
        ("core/storage/store.py", "from core import atomic\n", "name the package"),
        ("core/catalog/scan.py", "from core.search import x\n", "no package of core"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path: Path, source: str, text: str, problem: str):
    _write(tmp_path, {source: text})
    found = violations(tmp_path)
    assert len(found) == 1 and problem in found[0] and found[0].startswith(f"{source}:"), found


def test_an_allowed_import_is_not_caught(tmp_path: Path):
    _write(tmp_path, {"core/catalog/scan.py": "from core.storage import Workspace\nfrom core.catalog.images import x\n",
                      "gui/app.py": "from core.common import CatalogError\n"})
    assert violations(tmp_path) == []


def _layout_section(text: str, heading: str) -> str:
    match = re.search(rf"^#+ {heading}\n(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def test_the_tree_the_readme_and_the_architecture_agree():
    packages = {p.parent.name for p in (ROOT / "core").glob("*/__init__.py")}
    readme = _layout_section((ROOT / "README.md").read_text(), "Layout")
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    for name, text in (("README's Layout", readme), ("docs/architecture.md", architecture)):
        named = set(re.findall(r"(?:core/|^  )([a-z_]+)/", text, re.M))  # README's tree indents them under core/
        assert named == packages, f"{name} names {sorted(named)}, the tree has {sorted(packages)}"
