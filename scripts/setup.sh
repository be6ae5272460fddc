#!/usr/bin/env bash
# Installs what the tests need, idempotently: each step checks first and says what it does.
# Only the package registries are reachable on these machines (crates.io, npm, PyPI, Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Rust: the wasm target and the linters.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
else
  say "wasm32-unknown-unknown target present"
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    say "adding rustup component ${component}"
    rustup component add "${component}"
  fi
done
say "rust toolchain ready: $(rustc --version)"
