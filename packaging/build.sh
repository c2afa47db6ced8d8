#!/usr/bin/env bash
# Build the one-folder desktop bundle DIST/Lookalike/ and DIST/Lookalike-<version>-linux-x86_64.tar.gz.
#
#   bash packaging/build.sh [--dist DIR] [--work DIR] [--no-archive]
#
# DIST defaults to dist/, WORK (PyInstaller's scratch and the build venv) to build/, both in the
# checkout. PyInstaller runs in a throwaway venv, WORK/venv, holding only the runtime dependencies
# and the [package] extra from pyproject.toml: the developer's or CI's interpreter (which has
# PyTorch for training) is never analysed, so no training stack can leak into the bundle.
# PYTHON (default python3, 3.11 or later) makes that venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$ROOT/dist"
WORK="$ROOT/build"
ARCHIVE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --dist) DIST="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --no-archive) ARCHIVE=0; shift ;;
        *) echo "usage: $0 [--dist DIR] [--work DIR] [--no-archive]" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# System packages: Qt's runtime libraries and the xcb ones its X11 plugin needs (PyInstaller copies
# what it finds into the bundle), objdump for PyInstaller, a C++ compiler for annoy (an sdist),
# and, for Debian's own python3, venv support and headers.
extra=(binutils g++ libxcb-icccm4 libxcb-keysyms1)
"$PYTHON" -c "import ensurepip" 2>/dev/null || extra+=(python3-venv)
"$PYTHON" -c "import pathlib, sys, sysconfig; sys.exit(not pathlib.Path(sysconfig.get_path('include'), 'Python.h').exists())" \
    || extra+=(python3-dev)
bash "$ROOT/packaging/install-system-libs.sh" "${extra[@]}"

# Mark build output as ignored by git from inside (the repository has no top-level rule for it).
for dir in "$WORK" "$DIST"; do
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        echo "*" > "$dir/.gitignore"
    fi
done
DIST="$(cd "$DIST" && pwd)"
WORK="$(cd "$WORK" && pwd)"

requirements="$WORK/requirements.txt"
version="$("$PYTHON" - "$ROOT/pyproject.toml" "$requirements" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
deps = project["dependencies"] + project["optional-dependencies"]["package"]
with open(sys.argv[2], "w") as f:
    f.write("\n".join(deps) + "\n")
print(project["version"])
EOF
)"

rm -rf "$WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q -r "$requirements"

cd "$ROOT"
"$WORK/venv/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK/pyinstaller" packaging/lookalike.spec
bundle="$DIST/Lookalike"
# An interpreter built from source (pyenv's) keeps its symbol tables, 17 MB of libpython; so do some
# wheels' extensions. Those two are stripped (not every library: the auditwheel-patched ones, numpy's
# OpenBLAS among them, do not load once stripped).
find "$bundle/_internal" -maxdepth 2 \( -name 'libpython3*.so*' -o -path '*/xxhash/_xxhash*.so' \) -type f \
    -exec strip --strip-unneeded {} +
install -m 644 packaging/lookalike.desktop "$bundle/lookalike.desktop"
install -m 755 packaging/install-desktop-entry.sh "$bundle/install-desktop-entry.sh"

# The runtime must not carry the training stack, whatever the venv happened to hold.
leaked="$(find "$bundle" \( -iname '*torch*' -o -path "$bundle/_internal/onnx" -o -path "$bundle/_internal/onnxscript" \
    -o -path "$bundle/_internal/tensorboard" \) -print -quit)"
if [ -n "$leaked" ]; then
    echo "build.sh: training files leaked into the bundle: $leaked" >&2
    exit 1
fi

echo "bundle: $bundle ($(du -sh "$bundle" | cut -f1))"
if [ "$ARCHIVE" -eq 1 ]; then
    archive="$DIST/Lookalike-$version-linux-x86_64.tar.gz"
    tar -C "$DIST" -czf "$archive.part" Lookalike
    mv "$archive.part" "$archive"
    echo "archive: $archive ($(du -sh "$archive" | cut -f1))"
fi
