#!/usr/bin/env bash
# Purges under load: the built worker under `wrangler dev` (local workerd, fresh local KV) in
# front of bench/purge_load.py's origin, loaded by its clients while it purges a tag group five
# times a second. For each client count in PURGE_LOAD_CLIENTS (default "32 64") it runs
# PURGE_LOAD_SECONDS (default 300) and writes a table row to $BENCH_OUT (default
# target/bench-purge.md). Fails if any answer was not a 200 or workerd logged a hung request.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
seconds=${PURGE_LOAD_SECONDS:-300}
out=${BENCH_OUT:-target/bench-purge.md}
mkdir -p target
secret=$(.venv/bin/python -c 'import base64, os; print("whsec_" + base64.b64encode(os.urandom(32)).decode())')
free_port() { .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
{
  echo
  echo "## 4b. Purges under load: no request hangs"
  echo
  echo "\`bench/purge-load.sh\`: the worker under \`wrangler dev\` (local workerd, local KV, default settings) in front of"
  echo "an origin of 200 pages tagged \`all\` and one of ten groups; clients request random pages while"
  echo "a tag group is purged five times a second (signed by the PyPI \`standardwebhooks\` library)."
  echo "Every answer must be a 200 and workerd's log must hold no hung request."
  echo
  echo "| clients | time | requests | purges | answers | p50 | p99 | max | hung in workerd's log |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"
failed=0
for clients in ${PURGE_LOAD_CLIENTS:-32 64}; do
  state=$(mktemp -d) edge_port=$(free_port) origin_port=$(free_port)
  log="target/purge-load-wrangler-$clients.log"
  setsid wrangler dev --local --ip 127.0.0.1 --port "$edge_port" --persist-to "$state" \
    --show-interactive-dev-session=false --var "ORIGIN_URL:http://127.0.0.1:$origin_port" \
    --var "PURGE_SECRETS:$secret" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$edge_port/_edgecache/stats" 2>/dev/null && break
    sleep 0.5
  done
  status=0
  row=$(.venv/bin/python bench/purge_load.py --edge "http://127.0.0.1:$edge_port" --secret "$secret" \
    --origin-port "$origin_port" --seconds "$seconds" --clients "$clients") || status=$?
  kill -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$state"
  hung=$(grep -c "hung" "$log" || true)
  echo "$row $hung |" | tee -a "$out"
  echo "[purge-load] $clients clients: exit $status, $hung hung lines in $log"
  if [ "$status" -ne 0 ] || [ "$hung" -ne 0 ]; then failed=1; fi
done
exit "$failed"
