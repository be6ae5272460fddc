#!/usr/bin/env bash
# Runs every test: sets up first (idempotent), then the native suites (unit, integration,
# model-based property tests, failure injection, interop with the reference Standard Webhooks
# libraries, CLI, doc tests), the wasm32 build of the core, and the Django example's tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[test]\033[0m %s\n' "$*"; }

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

say "Django example (examples/django): saves and deletes send purges signed by PyPI standardwebhooks"
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
say "all passed"
