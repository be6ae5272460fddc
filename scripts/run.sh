#!/usr/bin/env bash
# The run command: the edge cache (the built worker in local workerd via `wrangler dev`, with
# local KV persisted in .wrangler/state) in front of the Django demo origin, sharing a generated
# dev purge secret. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }

ORIGIN_PORT=${ORIGIN_PORT:-8000}
EDGE_PORT=${EDGE_PORT:-8787}

scripts/setup.sh
scripts/build-worker.sh
TARGETS=web scripts/build-npm.sh
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

# A dev secret, made once and shared by the worker (.dev.vars, read by wrangler dev) and Django.
mkdir -p .dev
if [ ! -s .dev/purge-secret ]; then
  say "generating a dev purge secret in .dev/purge-secret"
  .venv/bin/python -c 'import base64, os; print("whsec_" + base64.b64encode(os.urandom(32)).decode())' > .dev/purge-secret
fi
SECRET=$(cat .dev/purge-secret)
printf 'PURGE_SECRETS=%s\n' "$SECRET" > .dev.vars

say "preparing the Django demo origin (migrate, sample articles, admin user admin / edgecache-demo)"
export EDGECACHE_PURGE_SECRET="$SECRET" EDGECACHE_PURGE_URL="http://127.0.0.1:${EDGE_PORT}/_edgecache/purge"
(cd examples/django && ../../.venv/bin/python manage.py migrate --noinput -v 0 \
  && ../../.venv/bin/python manage.py seed_articles \
  && DJANGO_SUPERUSER_PASSWORD=edgecache-demo ../../.venv/bin/python manage.py createsuperuser --noinput --username admin --email admin@example.invalid >/dev/null 2>&1 || true)

pids=()
stop() {
  [ "${#pids[@]}" -eq 0 ] && return
  say "stopping"
  # Each child leads its own process group (setsid), so its own children stop with it.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  pids=()
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

say "starting Django on http://127.0.0.1:${ORIGIN_PORT}"
(cd examples/django && exec setsid ../../.venv/bin/python manage.py runserver "127.0.0.1:${ORIGIN_PORT}" --noreload) &
pids+=($!)

say "starting the edge (wrangler dev, local workerd and KV) on http://127.0.0.1:${EDGE_PORT}"
setsid wrangler dev --local --ip 127.0.0.1 --port "$EDGE_PORT" --persist-to .wrangler/state \
  --show-interactive-dev-session=false --var "ORIGIN_URL:http://127.0.0.1:${ORIGIN_PORT}" &
pids+=($!)

for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:${EDGE_PORT}/_edgecache/stats" 2>/dev/null; then break; fi
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:${EDGE_PORT}/_edgecache/stats" || { say "the edge did not come up"; exit 1; }

cat <<MSG

  edgecache is running: http://127.0.0.1:${EDGE_PORT}  (origin: http://127.0.0.1:${ORIGIN_PORT})

  Try it:
    curl -si http://127.0.0.1:${EDGE_PORT}/articles/hello-edge | grep -i cache-status   # fwd=uri-miss; stored
    curl -si http://127.0.0.1:${EDGE_PORT}/articles/hello-edge | grep -i cache-status   # hit
    (cd examples/django && EDGECACHE_PURGE_SECRET=\$(cat ../../.dev/purge-secret) \\
       ../../.venv/bin/python manage.py edit_article hello-edge --title "Edited")       # purges the edge
    curl -s  http://127.0.0.1:${EDGE_PORT}/articles/hello-edge                          # miss: "Edited"
  Or edit an article in the Django admin: http://127.0.0.1:${ORIGIN_PORT}/admin/ (admin / edgecache-demo)
  Browser demo (npm package + IndexedDB + followEdge): http://127.0.0.1:${EDGE_PORT}/www/
  Control: /_edgecache/stats, /_edgecache/tags?t=articles, POST /_edgecache/purge (signed)

  Ctrl-C stops everything.
MSG
wait
