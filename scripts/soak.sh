#!/usr/bin/env bash
# make soak: builds the worker (installing what it needs, as make test does), then runs the soak
# in the purge-authority mode and in the KV-only mode, SOAK_SECONDS each (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-worker.sh
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false
status=0
node tests/soak/soak.mjs || status=1
EDGECACHE_AUTHORITY=off node tests/soak/soak.mjs || status=1
exit "$status"
