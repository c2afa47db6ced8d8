#!/usr/bin/env bash
# Debian libraries that Qt loads even on its offscreen platform, the ones its xcb platform plugin
# needs to open the window on an X11 desktop, a virtual X screen for the tests that open it there,
# and any packages named as arguments (packaging/build.sh adds its build tools); installs only what
# is missing.
set -euo pipefail
offscreen=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0)
xcb=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
    libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0)
x_tests=(xvfb xdotool faketime)  # the window on a real X server (tests/gui), a moved clock (tests/reliability/test_backups.py)
needed=("${offscreen[@]}" "${xcb[@]}" "${x_tests[@]}" "$@")
missing=()
for pkg in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
