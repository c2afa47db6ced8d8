"""Starting the window on a Linux desktop: the check for the libraries Qt's platform plugin needs, and the real window on X."""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo

from gui.platform_libs import (
    DEBIAN_PACKAGES,
    debian_package,
    missing_libraries,
    missing_libraries_message,
    missing_window_libraries,
    qt_platform_order,
    read_elf_links,
    unloadable,
)

ROOT = Path(__file__).resolve().parents[2]
QT_PLUGINS = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
QT_LIBS = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))
# Same length as the names they replace, so a copied plugin can be edited in place.
ABSENT_XCB = "libxcb-absent.so.0"  # for libxcb-cursor.so.0
ABSENT_WAYLAND = "libwayland-absent.so.0"  # for libwayland-client.so.0
SESSION_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM", "QT_PLUGIN_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH")

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Qt's xcb and wayland plugins are Linux's")


def plugin_tree(root: Path, file_name: str, source: Path, needs: tuple[str, str] | None = None) -> Path:
    """A Qt plugin folder like PySide6's (plugins/platforms/, with lib/ beside plugins/, which the plugin's
    runpath $ORIGIN/../../lib finds) holding a copy of a real plugin, optionally needing another library."""
    data = source.read_bytes()
    if needs is not None:
        old, new = (b"\0" + name.encode() + b"\0" for name in needs)
        assert len(old) == len(new) and data.count(old) == 1, f"{source} does not need {needs[0]} once"
        data = data.replace(old, new)
    platforms = root / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (platforms / file_name).write_bytes(data)
    (root / "lib").symlink_to(QT_LIBS, target_is_directory=True)
    return root / "plugins"


@pytest.fixture
def broken_xcb(tmp_path: Path) -> Path:
    """A QT_PLUGIN_PATH whose xcb plugin is Qt's own, except that it needs a library no system has."""
    return plugin_tree(tmp_path / "broken-xcb", "libqxcb.so", QT_PLUGINS / "platforms" / "libqxcb.so", ("libxcb-cursor.so.0", ABSENT_XCB))


def desktop_env(home: Path, **session: str) -> dict[str, str]:
    """This environment without any display or Qt platform settings, with a fresh home and the given session variables."""
    env = {key: value for key, value in os.environ.items() if key not in SESSION_VARIABLES}
    runtime = home / "runtime"
    runtime.mkdir(parents=True, mode=0o700)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_RUNTIME_DIR=str(runtime),
    )
    env.update(session)
    return env


# the checker ----------------------------------------------------------------------------------
def test_a_library_that_is_not_there_is_reported_with_its_package():
    assert unloadable(["libc.so.6", "liblookalike-absent.so.0", "libm.so.6"]) == ("liblookalike-absent.so.0",)
    assert missing_libraries_message(["liblookalike-absent.so.0", "libxcb-cursor.so.0"]) == (
        "lookalike: the window needs system libraries that are missing: liblookalike-absent.so.0, libxcb-cursor.so.0 "
        "(Debian/Ubuntu: sudo apt-get install liblookalike-absent0 libxcb-cursor0); the command line works without them: see --help"
    )


def test_package_names_follow_debian_policy_where_not_listed():
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libglib-2.0.so.0") == "libglib2.0-0"  # listed: glib breaks the rule
    assert debian_package("libxcb-future.so.3") == "libxcb-future3"
    assert debian_package("libfoo2.so.1") == "libfoo2-1"
    assert debian_package("libQt6XcbQpa.so.6") is None  # ships with PySide6, not with the system
    assert missing_libraries_message(["libQt6XcbQpa.so.6"]) == (
        "lookalike: the window needs system libraries that are missing: libQt6XcbQpa.so.6; the command line works without them: see --help"
    )


def test_the_xcb_plugin_and_its_qt_library_are_read_from_their_elf_headers():
    links = read_elf_links(QT_PLUGINS / "platforms" / "libqxcb.so")
    assert {"libQt6XcbQpa.so.6", "libxcb-cursor.so.0", "libxkbcommon-x11.so.0"} <= set(links.needed)
    assert [d.resolve() for d in links.search_dirs] == [QT_LIBS.resolve()]  # RUNPATH $ORIGIN/../../lib
    qpa = read_elf_links(QT_LIBS / "libQt6XcbQpa.so.6")
    assert "libxcb-icccm.so.4" in qpa.needed and [d.resolve() for d in qpa.search_dirs] == [QT_LIBS.resolve()]


def test_an_rpath_is_read_when_there_is_no_runpath(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    (tmp_path / "empty.c").write_text("int lookalike_empty(void) { return 0; }\n")
    library = tmp_path / "libempty.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", str(library), str(tmp_path / "empty.c"), "-Wl,--disable-new-dtags,-rpath,$ORIGIN/deps:/opt/x"],
        check=True,
        timeout=60,
    )
    assert read_elf_links(library).search_dirs == (tmp_path.resolve() / "deps", Path("/opt/x"))


def test_a_file_that_is_not_elf_is_refused(tmp_path):
    (tmp_path / "libqxcb.so").write_text("not a library\n")
    with pytest.raises(ValueError):
        read_elf_links(tmp_path / "libqxcb.so")


def test_every_x_library_the_xcb_plugin_needs_is_found_here():
    """packaging/install-system-libs.sh has installed them (CI runs it first)."""
    assert missing_libraries(QT_PLUGINS / "platforms" / "libqxcb.so") == ()
    assert missing_window_libraries({"DISPLAY": ":0"}, "linux") == ()


def test_every_x_library_the_xcb_plugin_needs_has_its_package_listed():
    needs = read_elf_links(QT_PLUGINS / "platforms" / "libqxcb.so").needed + read_elf_links(QT_LIBS / "libQt6XcbQpa.so.6").needed
    x_libraries = {soname for soname in needs if soname.startswith(("libxcb", "libX", "libxkb"))}
    assert len(x_libraries) > 15
    assert x_libraries <= DEBIAN_PACKAGES.keys()


def test_a_plugin_needing_an_absent_library_is_caught_through_the_plugin_path(broken_xcb):
    assert missing_libraries(broken_xcb / "platforms" / "libqxcb.so") == (ABSENT_XCB,)
    assert missing_window_libraries({"DISPLAY": ":0", "QT_PLUGIN_PATH": str(broken_xcb)}, "linux") == (ABSENT_XCB,)
    assert missing_window_libraries({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb", "QT_PLUGIN_PATH": str(broken_xcb)}, "linux") == (ABSENT_XCB,)


def test_platforms_the_window_does_not_use_are_not_checked(broken_xcb):
    for platform in ("offscreen", "minimal", "vnc:size=800x600"):
        assert missing_window_libraries({"DISPLAY": ":0", "QT_QPA_PLATFORM": platform, "QT_PLUGIN_PATH": str(broken_xcb)}, "linux") == ()
    assert missing_window_libraries({"DISPLAY": ":0", "QT_PLUGIN_PATH": str(broken_xcb)}, "darwin") == ()


def test_a_plugin_the_check_cannot_read_is_left_to_qt(tmp_path):
    platforms = tmp_path / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (platforms / "libqxcb.so").write_text("not a library\n")
    assert missing_window_libraries({"DISPLAY": ":0", "QT_PLUGIN_PATH": str(tmp_path / "plugins")}, "linux") == ()


def test_the_platform_order_is_qts():
    assert qt_platform_order({"DISPLAY": ":0"}) == ["xcb"]
    assert qt_platform_order({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}) == ["wayland", "xcb"]
    assert qt_platform_order({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]
    assert qt_platform_order({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}) == ["xcb"]
    assert qt_platform_order({"QT_QPA_PLATFORM": "wayland-egl;xcb:nograb"}) == ["wayland-egl", "xcb"]


def test_on_a_wayland_session_xcb_matters_only_if_wayland_cannot_load(tmp_path, broken_xcb):
    # Stand-ins for the wayland plugin: one the loader can load (a copy of Qt's offscreen plugin),
    # and Qt's own wayland plugin made to need a library no system has.
    loads = plugin_tree(tmp_path / "wayland-loads", "libqwayland.so", QT_PLUGINS / "platforms" / "libqoffscreen.so")
    fails = plugin_tree(
        tmp_path / "wayland-fails", "libqwayland.so", QT_PLUGINS / "platforms" / "libqwayland.so", ("libwayland-client.so.0", ABSENT_WAYLAND)
    )
    session = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    assert missing_window_libraries({**session, "QT_PLUGIN_PATH": f"{loads}{os.pathsep}{broken_xcb}"}, "linux") == ()
    # Neither loads: what xcb lacks is reported, as X is where install-system-libs.sh makes the window open.
    assert missing_window_libraries({**session, "QT_PLUGIN_PATH": f"{fails}{os.pathsep}{broken_xcb}"}, "linux") == (ABSENT_XCB,)
    assert ABSENT_WAYLAND in missing_window_libraries({"QT_QPA_PLATFORM": "wayland", "QT_PLUGIN_PATH": str(fails)}, "linux")
    # xcb loads: Qt falls back to it.
    assert missing_window_libraries({**session, "QT_PLUGIN_PATH": str(fails)}, "linux") == ()


# the program ----------------------------------------------------------------------------------
def test_without_the_check_qt_aborts_on_that_plugin(tmp_path, broken_xcb):
    """The broken plugin folder reproduces the defect: Qt itself aborts natively, saying little."""
    env = desktop_env(tmp_path / "home", DISPLAY=":0", QT_PLUGIN_PATH=str(broken_xcb))
    result = subprocess.run(
        [sys.executable, "-c", "from PySide6.QtWidgets import QApplication; QApplication([])"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == -signal.SIGABRT, result.stderr
    assert 'could not load the qt platform plugin "xcb"' in result.stderr.lower()


def test_the_app_says_in_one_line_what_is_missing(tmp_path, broken_xcb):
    env = desktop_env(tmp_path / "home", DISPLAY=":0", QT_PLUGIN_PATH=str(broken_xcb))
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"lookalike: the window needs system libraries that are missing: {ABSENT_XCB} "
        "(Debian/Ubuntu: sudo apt-get install libxcb-absent0); the command line works without them: see --help"
    ]
    assert result.stdout == ""


def loaded_path(soname: str) -> Path:
    """Where the dynamic loader finds a library, read from this process's own mappings after loading it."""
    ctypes.CDLL(soname)
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and Path(fields[5]).name.startswith(soname):
            return Path(fields[5])
    raise LookupError(soname)


def test_the_app_names_libxcb_cursor_when_the_system_cannot_load_it(tmp_path):
    """The defect as users meet it, libxcb-cursor0 unusable: a private mount namespace lays /dev/null over the
    library for the app alone (the system keeps its copy). Needs root, or at least leave to unshare(1)."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True).returncode:
        pytest.skip("cannot make a private mount namespace here (needs root and unshare)")
    library = loaded_path("libxcb-cursor.so.0")
    env = desktop_env(tmp_path / "home", DISPLAY=":0")
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount --bind /dev/null "$1" && exec "$2" main.py', "sh", str(library), sys.executable],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "lookalike: the window needs system libraries that are missing: libxcb-cursor.so.0 "
        "(Debian/Ubuntu: sudo apt-get install libxcb-cursor0); the command line works without them: see --help"
    ]


def wait_for_window(title_regex: str, display: str, app: subprocess.Popen, timeout_s: float) -> str:
    """The id of the first X window whose title matches, once it is mapped (focus needs that); fails early if the app exits first."""
    search = subprocess.Popen(
        ["xdotool", "search", "--sync", "--onlyvisible", "--name", title_regex], env={**os.environ, "DISPLAY": display}, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + timeout_s
    try:
        while search.poll() is None:
            if app.poll() is not None:
                pytest.fail(f"the app exited ({app.returncode}) before its window showed")
            if time.monotonic() > deadline:
                pytest.fail(f"no window titled {title_regex!r} on {display} within {timeout_s:.0f} s")
            try:
                search.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        return search.communicate()[0].split()[0]
    finally:
        if search.poll() is None:
            search.kill()
            search.wait()


@pytest.mark.parametrize(
    "session",
    [{}, {"WAYLAND_DISPLAY": "lookalike-no-such-compositor", "XDG_SESSION_TYPE": "wayland"}],
    ids=["x11", "wayland-first-then-x11"],
)
def test_the_window_opens_on_a_real_x_server_and_quits_with_ctrl_q(tmp_path, x_display, session):
    """`python main.py` with QT_QPA_PLATFORM unset, as on a desktop: the check lets Qt start, the window
    maps on the X server, and Ctrl+Q typed through X quits it cleanly."""
    env = desktop_env(tmp_path / "home", DISPLAY=x_display, **session)
    err = tmp_path / "stderr.txt"
    with open(err, "w") as stderr:
        app = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        try:
            window = wait_for_window("^Lookalike$", x_display, app, timeout_s=60)
        except BaseException:
            print(err.read_text()[-3000:], file=sys.stderr)
            raise
        subprocess.run(
            ["xdotool", "windowfocus", "--sync", window, "key", "--clearmodifiers", "ctrl+q"],
            env={**os.environ, "DISPLAY": x_display},
            check=True,
            timeout=30,
        )
        returncode = app.wait(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert returncode == 0, err.read_text()[-3000:]
    assert 'could not load the qt platform plugin "xcb"' not in err.read_text().lower()
