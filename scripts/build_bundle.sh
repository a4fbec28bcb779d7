#!/usr/bin/env bash
# Builds the desktop bundle (PyInstaller, one folder) on Linux or macOS: dist/bundle/studio-console/
# (macOS also dist/bundle/Studio Console.app). It builds the wheel, installs it with the exact versions of
# requirements/constraints.txt and PyInstaller into a build venv of its own (build/bundle-venv), then
# runs packaging/pyinstaller/studio-console.spec. Windows: scripts/build_bundle.ps1.
# Prints the build time; the bundle runs with: dist/bundle/studio-console/studio-console --demo
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
PYTHON=${PYTHON:-python3}
venv=build/bundle-venv
out=${BUNDLE_DIST:-dist/bundle}
mkdir -p "$out" && out=$(cd "$out" && pwd)
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# build/lib is setuptools' staging folder: modules deleted since an earlier build would stay in the wheel.
rm -rf build/bundle-wheel build/lib
"$venv/bin/python" -m pip wheel -q --no-deps -w build/bundle-wheel .
wheel=$(ls build/bundle-wheel/studio_console-*.whl)
"$venv/bin/python" -m pip install -q -c requirements/constraints.txt --force-reinstall "$wheel" -r requirements/bundle.txt
root=$(pwd)
mkdir -p build/bundle-work
# Run from outside the checkout: its studio_console/ folder must not shadow the installed wheel.
(cd build/bundle-work && "$root/$venv/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$out" --workpath "$root/build/bundle-work" "$root/packaging/pyinstaller/studio-console.spec")
echo "build_bundle: $out/studio-console built in $(( $(date +%s) - started )) s"
