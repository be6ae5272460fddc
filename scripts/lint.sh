#!/usr/bin/env bash
# Formatting, clippy with warnings as errors (natively, and for wasm32 where the fronts and the
# wasm test suite live), the core checked for wasm32, and the docs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "[lint] cargo fmt --check"; cargo fmt --check
echo "[lint] cargo clippy --all-targets --all-features -- -D warnings"; cargo clippy --all-targets --all-features --quiet -- -D warnings
echo "[lint] cargo clippy --target wasm32-unknown-unknown: the worker, and the npm front with its wasm test suite"
cargo clippy --lib --target wasm32-unknown-unknown --features worker --quiet -- -D warnings
cargo clippy --lib --tests --target wasm32-unknown-unknown --features js --quiet -- -D warnings
echo "[lint] cargo check --target wasm32-unknown-unknown (core, no features)"; cargo check --lib --target wasm32-unknown-unknown --quiet
echo "[lint] cargo doc --no-deps --all-features (warnings as errors)"; RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --quiet
echo "[lint] clean"
