#!/usr/bin/env bash
# Add Lookalike to this user's application menu: run it from the unpacked Lookalike/ folder.
# The entry points at this folder's launcher, so run it again after moving the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "$here" in
    *[\"\`\$\\%]*) echo "install-desktop-entry.sh: move the folder to a path without \" \` \$ \\ or % first" >&2; exit 1 ;;
esac
data="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps" "$data/icons/hicolor/scalable/apps"
install -m 644 "$here/_internal/resources/lookalike.png" "$data/icons/hicolor/256x256/apps/lookalike.png"
install -m 644 "$here/_internal/resources/lookalike.svg" "$data/icons/hicolor/scalable/apps/lookalike.svg"
while IFS= read -r line; do
    case "$line" in
        Exec=*) printf 'Exec="%s"\n' "$here/Lookalike" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/lookalike.desktop" > "$data/applications/lookalike.desktop"
if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data/applications" || true
fi
echo "installed $data/applications/lookalike.desktop"
