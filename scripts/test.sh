#!/usr/bin/env bash
# Runs the whole test suite: lint (ruff), types (mypy, strict on the core), then every tier
# (unit, gui, e2e against real OBS, nginx-rtmp and IRC servers). Sets things up first if needed.
# Extra arguments go to pytest (e.g. -m unit).
set -euo pipefail
cd "$(dirname "$0")/.."
STUDIO_CONSOLE_EXTRAS=test,tiktok bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy studio_console
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
