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

# One package for all three: Node gets the CommonJS build, browsers the ES module that loads its
# wasm with init(), bundlers and JS workers the ES module that imports the wasm.
for target in nodejs web bundler; do
  [ -f "pkg/$target/edgecache.js" ] || { echo "[npm] pkg/$target missing: not assembling pkg/npm"; exit 0; }
done
rm -rf pkg/npm && mkdir -p pkg/npm
for target in nodejs web bundler; do
  mkdir -p "pkg/npm/$target"
  cp -r "pkg/$target/." "pkg/npm/$target/"
  rm -f "pkg/npm/$target/package.json" "pkg/npm/$target/.gitignore" "pkg/npm/$target/README.md"
done
node -e '
const fs = require("fs");
const cargo = fs.readFileSync("Cargo.toml", "utf8");
const field = (name) => cargo.match(new RegExp(`^${name} = "([^"]*)"`, "m"))[1];
const pkg = {
  name: "edgecache",
  version: field("version"),
  description: field("description"),
  license: field("license"),
  repository: { type: "git", url: field("repository") },
  keywords: ["cache", "cloudflare", "workers", "wasm", "invalidation", "tags"],
  types: "./nodejs/edgecache.d.ts",
  main: "./nodejs/edgecache.js",
  exports: {
    ".": {
      types: "./nodejs/edgecache.d.ts",
      workerd: "./bundler/edgecache.js",
      browser: "./web/edgecache.js",
      node: "./nodejs/edgecache.js",
      import: "./bundler/edgecache.js",
      default: "./nodejs/edgecache.js"
    },
    "./web": { types: "./web/edgecache.d.ts", default: "./web/edgecache.js" },
    "./node": { types: "./nodejs/edgecache.d.ts", default: "./nodejs/edgecache.js" },
    "./bundler": { types: "./bundler/edgecache.d.ts", default: "./bundler/edgecache.js" }
  },
  files: ["nodejs", "web", "bundler", "README.md"],
  sideEffects: ["./bundler/edgecache.js", "./bundler/snippets/*", "./web/snippets/*", "./nodejs/snippets/*"]
};
fs.writeFileSync("pkg/npm/package.json", JSON.stringify(pkg, null, 2) + "\n");
'
cp README.md pkg/npm/README.md
echo "[npm] assembled pkg/npm (package.json with exports for node, browsers, bundlers and workerd)"
