"""Whether Qt's window platform can load here, checked before Qt tries (it aborts natively when it cannot).

On Linux the xcb (X11) and Wayland platform plugins need system libraries that a desktop may
lack (libxcb-cursor0 and friends); Qt then prints only "could not load the Qt platform plugin"
and aborts. This reads the plugin's ELF dynamic section for the libraries it needs, asks the
dynamic loader for each, and names what is missing with its Debian package, in one line.
"""
from __future__ import annotations

import ctypes
import os
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from PySide6.QtCore import QLibraryInfo

# The platform plugins whose system libraries are checked before Qt loads them (Qt aborts, natively,
# when a plugin it needs cannot load), and the Debian packages of those libraries; the names of other
# libraries follow Debian's rule (see debian_package).
PLATFORM_PLUGIN_FILES = {"xcb": "libqxcb.so", "wayland": "libqwayland.so", "wayland-egl": "libqwayland.so", "wayland-brcm": "libqwayland.so"}
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
_DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 1, 5, 15, 29


@dataclass(frozen=True)
class ElfLinks:
    """What a shared object asks of the dynamic loader: the sonames it needs, and its own search folders."""

    needed: tuple[str, ...]
    search_dirs: tuple[Path, ...]


def read_elf_links(path: Path) -> ElfLinks:
    """DT_NEEDED and DT_RUNPATH (else DT_RPATH, $ORIGIN expanded) of an ELF file, read through its program headers."""
    with open(path, "rb") as f:
        header = f.read(64)
        if len(header) < 52 or header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
            raise ValueError(f"{path} is not an ELF file")
        wide = header[4] == 2
        order = "<" if header[5] == 1 else ">"
        if wide:
            (phoff,) = struct.unpack_from(order + "Q", header, 32)
            phentsize, phnum = struct.unpack_from(order + "HH", header, 54)
        else:
            (phoff,) = struct.unpack_from(order + "I", header, 28)
            phentsize, phnum = struct.unpack_from(order + "HH", header, 42)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        loads: list[tuple[int, int, int]] = []  # (vaddr, file offset, size) of each PT_LOAD segment
        dynamic: tuple[int, int] | None = None
        for i in range(phnum):
            if wide:
                p_type, _, offset, vaddr, _, size, _, _ = struct.unpack_from(order + "IIQQQQQQ", table, i * phentsize)
            else:
                p_type, offset, vaddr, _, size, _, _, _ = struct.unpack_from(order + "8I", table, i * phentsize)
            if p_type == 1:  # PT_LOAD
                loads.append((vaddr, offset, size))
            elif p_type == 2:  # PT_DYNAMIC
                dynamic = (offset, size)
        if dynamic is None:
            return ElfLinks((), ())  # statically linked
        f.seek(dynamic[0])
        raw = f.read(dynamic[1])
        entry = struct.Struct(order + ("qQ" if wide else "iI"))
        tags: list[tuple[int, int]] = []
        for tag, value in entry.iter_unpack(raw[: len(raw) - len(raw) % entry.size]):
            if tag == 0:  # DT_NULL
                break
            tags.append((tag, value))
        strtab = next((value for tag, value in tags if tag == _DT_STRTAB), -1)
        base = next((offset + strtab - vaddr for vaddr, offset, size in loads if vaddr <= strtab < vaddr + size), None)
        if base is None:
            raise ValueError(f"{path} has no string table for its dynamic section")

        def string(at: int) -> str:
            f.seek(base + at)
            chunk = f.read(4096)
            if b"\0" not in chunk:
                raise ValueError(f"{path}: unterminated string in its dynamic section")
            return chunk[: chunk.index(b"\0")].decode("utf-8", "surrogateescape")

        needed = tuple(string(value) for tag, value in tags if tag == _DT_NEEDED)
        runpath = [string(value) for tag, value in tags if tag == _DT_RUNPATH]
        runpath = runpath or [string(value) for tag, value in tags if tag == _DT_RPATH]
    origin = str(path.resolve().parent)
    dirs = [d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for paths in runpath for d in paths.split(":") if d]
    return ElfLinks(needed, tuple(Path(d) for d in dirs if "$" not in d))  # $LIB and $PLATFORM are left out


def _load_error(soname: str) -> str | None:
    """None if the dynamic loader of this process finds and loads `soname`, else the soname it could not open."""
    try:
        ctypes.CDLL(soname)
    except OSError as exc:
        match = re.match(r"([^:\s/]+\.so[^:\s/]*): cannot open shared object file", str(exc))
        return match.group(1) if match else soname
    return None


def _loaded(soname: str) -> bool:
    try:
        ctypes.CDLL(soname, mode=os.RTLD_NOLOAD)
    except OSError:
        return False
    return True


def unloadable(sonames: Iterable[str], search_dirs: Iterable[Path] = ()) -> tuple[str, ...]:
    """The sonames (or the libraries they need) the dynamic loader cannot load, given a needer's own search folders."""
    return _missing(list(sonames), tuple(search_dirs), set())


def _missing(sonames: list[str], search_dirs: tuple[Path, ...], seen: set[str]) -> tuple[str, ...]:
    missing: list[str] = []
    for soname in sonames:
        if soname in seen:
            continue
        seen.add(soname)
        beside = next((d / soname for d in search_dirs if (d / soname).is_file()), None)
        if beside is not None and not _loaded(soname):
            links = read_elf_links(beside)  # shipped with Qt, found through its runpath: check what it needs in turn
            missing += _missing(list(links.needed), links.search_dirs, seen)
        elif beside is None and (error := _load_error(soname)) is not None:
            missing.append(error)
    return tuple(dict.fromkeys(missing))


def missing_libraries(plugin: Path) -> tuple[str, ...]:
    """The libraries that keep the dynamic loader from loading `plugin` (empty if it can); raises OSError/ValueError on an unreadable file."""
    links = read_elf_links(plugin)
    return unloadable(links.needed, links.search_dirs)


def qt_platform_order(environ: Mapping[str, str]) -> list[str]:
    """The platform plugins QGuiApplication tries, in order: QT_QPA_PLATFORM, else Wayland first on a Wayland session, then xcb."""
    chosen = environ.get("QT_QPA_PLATFORM")
    if chosen:
        names = chosen.split(";")
    else:  # as QGuiApplicationPrivate::createPlatformIntegration does, with PySide6's Linux default, xcb
        names = ["xcb"]
        if "WAYLAND_DISPLAY" in environ or environ.get("XDG_SESSION_TYPE") == "wayland":
            names.insert(0, "wayland")
    return [name.split(":")[0].strip() for name in names if name.strip()]


def platform_plugin_files(file_name: str, environ: Mapping[str, str]) -> list[Path]:
    """The files Qt would load one platform from, each tried if the one before fails: QT_QPA_PLATFORM_PLUGIN_PATH's, then
    the first in its plugin folders (QT_PLUGIN_PATH, where PyInstaller points a frozen app; Qt's own; the program's)."""
    files: list[Path] = []
    if environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        files.append(Path(environ["QT_QPA_PLATFORM_PLUGIN_PATH"], file_name))
    roots = [Path(p) for p in environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    roots.append(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)))
    if getattr(sys, "frozen", False):
        roots.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent), "PySide6", "Qt", "plugins"))
    roots.append(Path(sys.executable).resolve().parent)
    first = next((root / "platforms" / file_name for root in roots if (root / "platforms" / file_name).is_file()), None)
    return [f for f in files if f.is_file()] + ([first] if first else [])


def missing_window_libraries(environ: Mapping[str, str], platform: str) -> tuple[str, ...]:
    """The libraries whose absence would make Qt abort on starting the window; empty if it can start, or if unsure.

    Qt falls back from one platform to the next, so this reports only when none can load: what xcb lacks, else the first."""
    if not platform.startswith("linux"):
        return ()
    report: tuple[str, ...] = ()
    for name in qt_platform_order(environ):
        file_name = PLATFORM_PLUGIN_FILES.get(name)
        plugins = platform_plugin_files(file_name, environ) if file_name else []
        if not plugins:
            return ()  # a platform we do not check, or no plugin found: let Qt try as before
        try:
            lacking = [missing_libraries(plugin) for plugin in plugins]
        except (OSError, ValueError, struct.error):
            return ()  # an unreadable plugin: Qt can judge it better than we can
        if not all(lacking):
            return ()
        if name == "xcb" or not report:
            report = lacking[-1]
    return report


def debian_package(soname: str) -> str | None:
    """The Debian/Ubuntu package that ships a library: known ones from DEBIAN_PACKAGES, others by Debian Policy 8.1
    (libfoo.so.1 is in libfoo1, libfoo2.so.1 in libfoo2-1); None for Qt's own libraries, which come with PySide6."""
    if soname in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[soname]
    match = re.fullmatch(r"(lib[\w+.-]+?)\.so\.(\d+)", soname)
    if not match or soname.startswith("libQt"):
        return None
    name, version = match.group(1).lower(), match.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def missing_libraries_message(missing: Sequence[str]) -> str:
    """The one line that says which libraries the window lacks and how to install them."""
    packages = list(dict.fromkeys(p for p in map(debian_package, missing) if p))
    hint = f" (Debian/Ubuntu: sudo apt-get install {' '.join(packages)})" if packages else ""
    return (
        f"lookalike: the window needs system libraries that are missing: {', '.join(missing)}{hint}; "
        "the command line works without them: see --help"
    )
