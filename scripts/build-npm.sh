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
  sed -E -i 's/options: (EdgeCacheOptions|GetOptions|SetOptions|InvalidateOptions|LogOptions|SignOptions|VerifyOptions)\)/options?: \1)/g' "$out/edgecache.d.ts"
  # The declarations use Symbol.dispose (for `using`): name the lib that has it, so a project on
  # its target's default lib type-checks them. (Idempotent.)
  grep -q 'reference lib="esnext.disposable"' "$out/edgecache.d.ts" \
    || sed -i '1i /// <reference lib="esnext.disposable" />' "$out/edgecache.d.ts"
  # EdgeCacheError is defined in a JS snippet (it extends Error, which Rust exports cannot): export
  # that very class, so `instanceof` holds for the errors the package throws. (Idempotent.)
  snippet=$(grep -rl "class EdgeCacheError" "$out/snippets" | head -1)
  snippet="./${snippet#"$out/"}"
  if ! grep -qE "^(export \{ EdgeCacheError \}|module.exports.EdgeCacheError)" "$out/edgecache.js"; then
    if [ "$target" = nodejs ]; then
      printf 'module.exports.EdgeCacheError = require("%s").EdgeCacheError;\n' "$snippet" >>"$out/edgecache.js"
    else
      printf 'export { EdgeCacheError } from "%s";\n' "$snippet" >>"$out/edgecache.js"
    fi
  fi
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
  // The first condition a tool knows wins, in this order. Workers (wrangler, which honours
  // workerd, worker, browser, import and default) get workerd.js: the web build instantiated
  // from the module wrangler compiles, ready on import. A bundler importing the bundler build
  // must load .wasm as an instance, which wrangler and esbuild do not.
  exports: {
    ".": {
      types: "./nodejs/edgecache.d.ts",
      workerd: "./workerd.js",
      worker: "./workerd.js",
      browser: "./web/edgecache.js",
      node: "./nodejs/edgecache.js",
      import: "./bundler/edgecache.js",
      default: "./nodejs/edgecache.js"
    },
    "./web": { types: "./web/edgecache.d.ts", default: "./web/edgecache.js" },
    "./web/edgecache_bg.wasm": "./web/edgecache_bg.wasm",
    "./node": { types: "./nodejs/edgecache.d.ts", default: "./nodejs/edgecache.js" },
    "./bundler": { types: "./bundler/edgecache.d.ts", default: "./bundler/edgecache.js" },
    "./workerd": { types: "./nodejs/edgecache.d.ts", default: "./workerd.js" }
  },
  files: ["nodejs", "web", "bundler", "workerd.js", "README.md"],
  sideEffects: ["./workerd.js", "./bundler/edgecache.js", "./bundler/snippets/*", "./web/snippets/*", "./nodejs/snippets/*"]
};
fs.writeFileSync("pkg/npm/package.json", JSON.stringify(pkg, null, 2) + "\n");
'
# Workers import .wasm files as compiled modules: instantiate the web build with it, on import.
cat > pkg/npm/workerd.js <<'JS'
// Cloudflare Workers (and any runtime whose bundler imports .wasm as a WebAssembly.Module):
// the web build, instantiated on import. Selected by the "workerd" and "worker" conditions.
import module from "./web/edgecache_bg.wasm";
import { initSync } from "./web/edgecache.js";
initSync({ module });
export * from "./web/edgecache.js";
JS
cp README.md pkg/npm/README.md
echo "[npm] assembled pkg/npm (package.json with exports for node, browsers, bundlers and workerd)"
