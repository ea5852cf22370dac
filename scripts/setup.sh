#!/usr/bin/env bash
# Sets up everything replayport needs on a fresh Debian machine, idempotently:
# system packages, the project virtualenv from the lock, and the project itself (editable).
# Re-running is cheap: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# --- system packages (Debian) ------------------------------------------------------------
apt_packages=()
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || apt_packages+=(postgresql)
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs npm)
if [ ${#apt_packages[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        log "installing Debian packages: ${apt_packages[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
    else
        log "missing Debian packages (run as root to install): ${apt_packages[*]}"
    fi
fi

# --- Python environment from the lock ------------------------------------------------------
lock_hash=$(cat requirements/lock.txt pyproject.toml | sha256sum | cut -c1-16)
stamp="$VENV/.replayport-lock-$lock_hash"
if [ ! -f "$stamp" ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv in .venv"
        "$PYTHON" -m venv "$VENV"
    fi
    log "installing locked Python dependencies"
    "$VENV/bin/pip" install -q --upgrade "pip>=24" 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/pip" install -q --no-deps -r requirements/lock.txt 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e . 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/python" -c "import replayport, dlt, duckdb, deltalake, pyarrow" \
        || { log "Python environment is broken"; exit 1; }
    rm -f "$VENV"/.replayport-lock-*
    touch "$stamp"
fi
# --- rrweb player for portable HTML exports (pinned in player/package-lock.json) ------------
bash scripts/player.sh

# --- warehouse stand-ins for the tests (own venvs, from their locks) ------------------------
bash scripts/standins.sh
log "ready: $VENV/bin/replayport"
