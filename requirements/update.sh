#!/usr/bin/env bash
# Regenerates requirements/constraints.txt: the exact versions CI and scripts/setup.sh install on
# Linux x86-64 with glibc 2.36 (Debian 12, as CI; Python 3.11, the oldest supported), the app with its "test" and "tiktok" extras.
# Needs uv (pip install uv, in any venv); pass uv's path as UV=... if it is not on PATH.
# Run it when pyproject.toml's dependencies change, or to take newer releases on purpose; the scheduled
# "latest" CI job (.ci/run-latest) tells when newer releases break something.
set -euo pipefail
cd "$(dirname "$0")/.."
"${UV:-uv}" pip compile pyproject.toml --extra test --extra tiktok \
  --python-version 3.11 --python-platform x86_64-manylinux_2_36 \
  --no-header --annotation-style line --quiet -o requirements/constraints.txt.new
{
  echo "# Exact versions for CI and scripts/setup.sh (Linux x86-64, Python 3.11+). Made by requirements/update.sh;"
  echo "# do not edit by hand. Used as a pip constraints file: it pins, it does not install."
  cat requirements/constraints.txt.new
} >requirements/constraints.txt
rm requirements/constraints.txt.new
echo "wrote requirements/constraints.txt"
