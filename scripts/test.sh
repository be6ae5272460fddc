#!/usr/bin/env bash
# Runs every test: sets up first (idempotent), then the native suites (unit, integration,
# model-based property tests, failure injection, interop with the reference Standard Webhooks
# libraries, CLI, doc tests), the wasm32 build of the core, and the Django example's tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[test]\033[0m %s\n' "$*"; }

# Runs a node:test suite; fails if it fails or passes nothing.
node_suite() {
  local name=$1; shift
  local log="target/$name-tests.txt" status=0
  node --test --test-concurrency=1 "$@" >"$log" 2>&1 || status=$?
  grep -E '^(ok|not ok) |^# (tests|pass|fail)' "$log" || true
  local passed
  passed=$(awk '/^# pass/ {print $3}' "$log")
  if [ "$status" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then
    say "$name tests FAILED (exit $status, ${passed:-0} passed); full output in $log"
    grep -vE '^#\s+at ' "$log" | tail -60
    exit 1
  fi
}

scripts/setup.sh

say "core builds for wasm32-unknown-unknown"
cargo build --lib --target wasm32-unknown-unknown --release --quiet

say "cargo test (unit, integration, property, failure-injection and doc tests)"
mkdir -p target
status=0
cargo test --all-features >target/test-output.txt 2>&1 || status=$?
grep -E '^(test result|     Running|   Doc-tests)|FAILED|panicked' target/test-output.txt || true
if [ "$status" -ne 0 ]; then
  say "FAILED (exit $status); full output in target/test-output.txt"
  tail -40 target/test-output.txt
  exit "$status"
fi
passed=$(grep -oE '[0-9]+ passed' target/test-output.txt | awk '{s+=$1} END {print s}')
say "cargo tests passed: ${passed}"

say "fuzz smoke: every cargo-fuzz target for 5 s (make fuzz runs them longer)"
FUZZ_SECONDS=5 scripts/fuzz.sh

say "django-edgecache (integrations/django): its own tests against a stand-in edge"
(cd integrations/django && ../../.venv/bin/python -m django test tests --settings=tests.settings -v 1) \
  >target/django-edgecache-output.txt 2>&1 || { cat target/django-edgecache-output.txt; exit 1; }
grep -E '^(Ran|OK|FAILED)' target/django-edgecache-output.txt || true
say "Django example (examples/django), built on django-edgecache: saves and deletes send purges signed by PyPI standardwebhooks"
cargo build --quiet --bin edgecache
status=0
(cd examples/django && EDGECACHE_BIN="$PWD/../../target/debug/edgecache" EDGECACHE_REQUIRE_BIN=1 \
  ../../.venv/bin/python manage.py test articles -v 1) >target/django-output.txt 2>&1 || status=$?
grep -E '^(Ran|OK|FAILED)' target/django-output.txt || true
if [ "$status" -ne 0 ]; then
  say "Django tests FAILED (exit $status)"
  cat target/django-output.txt
  exit "$status"
fi
say "worker: build, then end-to-end tests in workerd (Miniflare 4) with real local KV and the purge authority (Durable Object)"
scripts/build-worker.sh
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
say "node $(node --version) (from node_modules), $(wrangler --version 2>/dev/null | tail -1)"
node_suite worker tests/worker/*.test.mjs
say "worker end-to-end tests again in the KV-only mode (no purge authority bound)"
EDGECACHE_AUTHORITY=off node_suite worker-kv-only tests/worker/*.test.mjs
say "soak, 60 s: load with purges, origin faults and KV faults, every response judged by the oracle (make soak: 10 min)"
SOAK_SECONDS=60 node tests/soak/soak.mjs

say "wrangler deploy --dry-run"
wrangler deploy --dry-run --outdir target/dry-run >target/dry-run.txt 2>&1 || { cat target/dry-run.txt; exit 1; }
grep -E 'Total Upload' target/dry-run.txt
wasm_gz=$(gzip -9 -c build/index_bg.wasm | wc -c)
js_gz=$(gzip -9 -c build/index.js | wc -c)
say "worker bundle: build/index_bg.wasm $(wc -c <build/index_bg.wasm) B ($wasm_gz B gzipped), build/index.js $(wc -c <build/index.js) B ($js_gz B gzipped), total gzipped $((wasm_gz + js_gz)) B"
say "npm package: build (nodejs, web, bundler), then Node tests of the built package"
scripts/build-npm.sh
node_suite npm tests/js/*.test.mjs
say "wasm-bindgen-test: the same suite (tests/wasm.rs) in Node and in headless Chromium"
wasm_suite() {
  local where=$1; shift
  local log="target/wasm-tests-$where.txt" status=0
  "$@" >"$log" 2>&1 || status=$?
  grep -E '^test result' "$log" || true
  local passed
  passed=$(grep -oE '^test result: ok\. [0-9]+ passed' "$log" | grep -oE '[0-9]+' | head -1)
  if [ "$status" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then
    say "wasm suite in $where FAILED or ran no tests (exit $status)"; tail -40 "$log"; exit 1
  fi
  say "wasm suite in $where: ${passed} passed"
}
wasm_suite node wasm-pack test --node -- --features js --test wasm
# wasm-bindgen-test-runner's page sometimes never gets past "Loading scripts..." in headless
# Chromium and chromedriver waits 300 s for it (wasm-pack issue #783; measured here: 3 of 8 runs
# of an unchanged suite, before any test ran). Each attempt is bounded; a hang is retried, up to
# five attempts (one hang in three would fail 1 run in 250). A test that fails fails at once:
# only a run that printed no result is retried.
chromium_suite() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if timeout 120 env WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome -- --features js --test wasm; then
      return 0
    fi
    grep -qE '^test result' target/wasm-tests-chromium.txt 2>/dev/null && return 1
    pkill -f chromedriver 2>/dev/null || true
    pkill -f -- "--enable-automation" 2>/dev/null || true
    echo "[test] attempt $attempt: the runner's page never loaded (no test ran); trying again"
  done
  return 1
}
wasm_suite chromium chromium_suite

say "TypeScript: tsc --noEmit --strict on tests/js/usage.ts against the built declarations (the target's default lib)"
tsc --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext tests/js/usage.ts
say "www/ in headless Chromium (playwright-core) through the worker in front of the Django origin"
node_suite www tests/www/*.test.mjs
say "screenshot: target/www.png"
for target in nodejs web bundler; do
  say "npm package ($target): pkg/$target/edgecache_bg.wasm $(wc -c <pkg/$target/edgecache_bg.wasm) B, $(gzip -9 -c pkg/$target/edgecache_bg.wasm | wc -c) B gzipped"
done
say "all passed"
