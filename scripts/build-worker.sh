#!/usr/bin/env bash
# Builds the worker (build/index.js + build/index_bg.wasm) with worker-build, using only tools
# installed by scripts/setup.sh (no GitHub downloads). Skips the build when it is up to date.
# An argument names another worker crate to build the same way (bench/floor, for the benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
features=(--features worker)
if [ -n "${1:-}" ]; then
  cd "$1"
  features=()
fi
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$root/node_modules/.bin:$cargo_bin:$PATH"
export WASM_BINDGEN_BIN="$cargo_bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
# A build keeping function names (KEEP_NAMES=1, for profiles) is marked, so that it is never taken
# for an up-to-date release build, nor the other way round.
names_as_wanted() { if [ -n "${KEEP_NAMES:-}" ]; then [ -f build/.kept-names ]; else [ ! -f build/.kept-names ]; fi; }
if [ -f build/index_bg.wasm ] && names_as_wanted \
  && [ -z "$(find src Cargo.toml Cargo.lock -newer build/index_bg.wasm -print -quit)" ]; then
  echo "[build] worker up to date (build/index.js)"
  exit 0
fi
echo "[build] worker-build --release ${features[*]} ($PWD)"
worker-build --release "${features[@]}" 2>&1 | grep -vE '^\s+(Compiling|Checking|Downloaded|Downloading)' || { echo "[build] FAILED"; exit 1; }
test -f build/index_bg.wasm
# worker-build leaves wasm-bindgen's name section in (a fifth of the bundle): strip it, unless
# KEEP_NAMES=1 (for profiles with function names: bench/profile-worker.mjs).
[ -n "${KEEP_NAMES:-}" ] || wasm-opt build/index_bg.wasm -o build/index_bg.wasm --strip-debug --enable-bulk-memory \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-reference-types --enable-multivalue \
  --enable-mutable-globals
if [ -n "${KEEP_NAMES:-}" ]; then touch build/.kept-names; else rm -f build/.kept-names; fi
echo "[build] built build/index.js and build/index_bg.wasm"
