#!/usr/bin/env bash
# Installs the warehouse stand-ins the tests start (tests/standins/), idempotently, from locks:
#   .venv-fakesnow    fakesnow server (Snowflake)   requirements/standins/fakesnow.txt
#   .venv-bqemulator  bqemulator (BigQuery)         requirements/standins/bqemulator.txt
# They live in their own venvs because they pin duckdb/sqlglot versions the project cannot use.
# Each venv is rebuilt only when its lock changes (stamp file named after the lock's hash).
# PostgreSQL comes from Debian (scripts/setup.sh); moto (S3) is in the main venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

log() { printf '\033[1mstandins:\033[0m %s\n' "$*"; }

install_venv() {  # <venv dir> <lock file> <import check>
    local venv="$ROOT/$1" lock="$ROOT/$2" check="$3"
    local hash stamp
    hash=$(sha256sum "$lock" | cut -c1-16)
    stamp="$venv/.replayport-lock-$hash"
    if [ -f "$stamp" ]; then
        return 0
    fi
    log "installing $1 from $2"
    [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade "pip>=24" 2>&1 | grep -v '^WARNING: Location' || true
    "$venv/bin/pip" install -q --no-deps -r "$lock" 2>&1 | grep -v '^WARNING: Location' || true
    "$venv/bin/python" -c "$check" || { log "$1 is broken"; exit 1; }
    rm -f "$venv"/.replayport-lock-*
    touch "$stamp"
}

install_venv .venv-fakesnow requirements/standins/fakesnow.txt \
    "import fakesnow, snowflake.connector, uvicorn, starlette"
install_venv .venv-bqemulator requirements/standins/bqemulator.txt \
    "import bqemulator, duckdb, duckdb_extension_spatial, numpy"
log "ready: .venv-fakesnow .venv-bqemulator"
