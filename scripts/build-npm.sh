#!/usr/bin/env bash
# Builds the npm package (feature "js") with wasm-pack for the nodejs, web and bundler targets
# into pkg/<target>, with binaryen's wasm-opt from node_modules (never Debian's). Skips targets
# that are up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$PWD/node_modules/.bin:$cargo_bin:$PATH"
for target in ${TARGETS:-nodejs web bundler}; do
  out="pkg/$target"
  if [ -f "$out/edgecache_bg.wasm" ] && [ -z "$(find src Cargo.toml Cargo.lock -newer "$out/edgecache_bg.wasm" -print -quit)" ]; then
    echo "[npm] $target up to date ($out)"
  else
    echo "[npm] wasm-pack build --release --target $target --out-dir $out --features js"
    wasm-pack --quiet build --release --target "$target" --out-dir "$out" --out-name edgecache . --features js
  fi
  # wasm-bindgen cannot mark a typed parameter optional; the options objects are. (Idempotent.)
  sed -E -i 's/options: (EdgeCacheOptions|GetOptions|SetOptions|InvalidateOptions)\)/options?: \1)/g; s/options: \{ (id|now)/options?: { \1/g' "$out/edgecache.d.ts"
done
