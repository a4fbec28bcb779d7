#!/usr/bin/env bash
# Adds Studio Console to the desktop's application menu for this user: the .desktop entry and the icon
# in every size (freedesktop hicolor theme). Usage: install_desktop_entry.sh [COMMAND]
# COMMAND is what the menu entry runs (default: studio-console on PATH, e.g. from pipx; give the
# bundle's path, e.g. ~/apps/studio-console/studio-console, for the desktop bundle).
set -euo pipefail
command=${1:-studio-console}
data=${XDG_DATA_HOME:-$HOME/.local/share}
res=$(cd "$(dirname "$0")/../.." && pwd)/resources
if [ ! -d "$res/icons" ]; then
  # Installed wheel or bundle: ask the app where its data files are.
  res=$("${PYTHON:-python3}" -c 'from studio_console.assets import resources_dir; print(resources_dir())')
fi
for size in 16 32 48 64 128 256 512; do
  install -Dm644 "$res/icons/studio-console-$size.png" "$data/icons/hicolor/${size}x${size}/apps/studio-console.png"
done
install -Dm644 "$res/icons/studio-console.svg" "$data/icons/hicolor/scalable/apps/studio-console.svg"
mkdir -p "$data/applications"
sed "s|^Exec=studio-console|Exec=$command|" "$res/linux/studio-console.desktop" >"$data/applications/studio-console.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
echo "installed $data/applications/studio-console.desktop (runs: $command)"
