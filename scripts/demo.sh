#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then starts Studio Console in demo mode: a rehearsal studio
# with its own private OBS, starter scenes and no account anywhere. Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/studio-console --demo "$@"
