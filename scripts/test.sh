#!/usr/bin/env bash
# Runs the whole test suite (sets the environment up first, so it works on a fresh clone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export RUNTIME__DLTHUB_TELEMETRY=false DBT_SEND_ANONYMOUS_USAGE_STATS=false
exec .venv/bin/python -m pytest "$@"
