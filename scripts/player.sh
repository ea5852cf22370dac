#!/usr/bin/env bash
# Installs the pinned rrweb replayer into player/node_modules (npm ci from the lock), idempotently.
# replayport inlines its built JS/CSS into portable HTML exports, so viewers never need a CDN.
# Re-running is cheap: skipped while node_modules matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../player"

log() { printf '\033[1mplayer:\033[0m %s\n' "$*"; }

if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: install Node.js (apt-get install nodejs npm) to build portable HTML exports"
    exit 1
fi
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
stamp="node_modules/.replayport-lock-$lock_hash"
if [ -f "$stamp" ] && [ -f node_modules/rrweb/dist/rrweb.umd.min.cjs ]; then
    exit 0
fi
log "installing the rrweb player (npm ci)"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
[ -f node_modules/rrweb/dist/rrweb.umd.min.cjs ] || { log "rrweb's build is missing after npm ci"; exit 1; }
rm -f node_modules/.replayport-lock-*
touch "$stamp"
log "ready: $(node -p 'require("./node_modules/rrweb/package.json").version' 2>/dev/null || echo '?') in player/node_modules"
