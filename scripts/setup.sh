#!/usr/bin/env bash
# Sets up Studio Console on Debian/Ubuntu: installs the missing system packages (OBS Studio, FFmpeg,
# Xvfb, nginx with RTMP, ngircd, Qt's X11 libraries) and the Python environment in .venv.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_cmd obs || need+=(obs-studio)
have_cmd ffmpeg && have_cmd ffprobe || need+=(ffmpeg)
have_cmd Xvfb || need+=(xvfb)
have_cmd xauth || need+=(xauth)
have_cmd nginx || need+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || need+=(libnginx-mod-rtmp)
have_cmd ngircd || need+=(ngircd)
# The show report test opens the HTML report in a real browser (headless Chromium).
have_cmd chromium || need+=(chromium)
for pkg in libxcb-cursor0 libegl1 libgl1 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
           libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libfontconfig1 \
           libdbus-1-3 fonts-dejavu-core; do
  have_pkg "$pkg" || need+=("$pkg")
done

PYTHON=${PYTHON:-python3}
if ! have_cmd "$PYTHON"; then need+=(python3 python3-venv); fi
if have_cmd "$PYTHON" && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then need+=(python3-venv); fi

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Studio Console needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# Extras to install: "test" by default; scripts/test.sh adds "tiktok" (TikTokLive, a modified AGPL
# licence, is an optional extra of the app; the tests map its event objects offline).
EXTRAS=${STUDIO_CONSOLE_EXTRAS:-test}
stamp=".venv/.studio-console-installed-${EXTRAS//,/-}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages (extras: $EXTRAS)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
  touch "$stamp"
fi
echo "setup: ready"
