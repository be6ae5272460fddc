#!/usr/bin/env bash
# `make bench`: builds what it measures, runs the benchmarks and writes BENCHMARKS.md.
# The npm package in Node against its peers, the worker under load from wrk against a
# pass-through and a plain-JS caching worker, purge cost, stampedes (with a plot), signature
# verification and bundle sizes. Not part of `make test`: figures, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
scripts/build-worker.sh
scripts/build-worker.sh bench/floor
scripts/build-npm.sh
export PATH="$PWD/node_modules/.bin:$PATH"
if ! command -v wrk >/dev/null; then
  echo "[bench] installing wrk (apt)"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
mkdir -p target
# BENCH_ASSEMBLE_ONLY=1 rewrites BENCHMARKS.md from the last run's figures in target/.
if [ -z "${BENCH_ASSEMBLE_ONLY:-}" ]; then
  echo "[bench] npm package in Node vs Map, lru-cache, bentocache, keyv (takes a few minutes)"
  BENCH_OUT=target/bench-node.md node --expose-gc bench/node.mjs >/dev/null
  echo "[bench] the worker in workerd under load from wrk (about 2 minutes)"
  BENCH_OUT=target/bench-load.md node bench/load.mjs >/dev/null 2>&1
  echo "[bench] purge cost and stampedes against the worker in workerd"
  BENCH_OUT=target/bench-edge.md BENCH_SVG=BENCHMARKS.svg node bench/edge.mjs >/dev/null 2>&1
  echo "[bench] platform operations and the bill: 90 % hits, 10 % misses, a purge a second (about a minute)"
  BENCH_OUT=target/bench-costs.md node bench/costs.mjs >/dev/null 2>&1
  echo "[bench] purge reach across locations, KV-only vs purge authority (simulation, tests/reach.rs)"
  EDGECACHE_REACH_REPORT=1 cargo test --quiet --release --all-features --test reach -- --nocapture \
    | sed -n 's/^REACH //p' >target/bench-reach.jsonl
  echo "[bench] purges under load: 32 and 64 clients, ${PURGE_LOAD_SECONDS:-300} s each, under wrangler dev"
  BENCH_OUT=target/bench-purge.md bench/purge-load.sh
fi
echo "[bench] signature verification cost"
verify=$(cargo run --quiet --release --example verify_cost)
read -r v_med v_min v_max <<<"$verify"
echo "[bench] the core's own getOrSet cost, natively"
core=$(cargo run --quiet --release --example get_or_set_cost)
read -r c_med c_min c_max <<<"$core"
npm_gz=$(gzip -9 -c pkg/web/edgecache_bg.wasm | wc -c)
worker_gz=$(( $(gzip -9 -c build/index_bg.wasm | wc -c) + $(gzip -9 -c build/index.js | wc -c) ))
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` on $(date -u +%Y-%m-%d). Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m);"
  version() { node -p "JSON.parse(require('fs').readFileSync('node_modules/$1/package.json', 'utf8')).version"; }
  echo "node $(node --version), $(rustc --version | cut -d' ' -f1-2), wrk $(wrk --version 2>&1 | head -1 | cut -d' ' -f2); lru-cache $(version lru-cache),"
  echo "bentocache $(version bentocache), keyv $(version keyv), miniflare $(version miniflare)."
  echo "Shared, noisy machine: medians of rounds with min–max, rounds interleaved across the subjects;"
  echo "compare the ratios, which are measured in the same run."
  echo
  echo "## Targets, before and after the optimisation work"
  echo
  node bench/summary.mjs "$npm_gz" "$worker_gz" "$v_med"
  echo
  echo "## 1. The npm package in Node"
  cat target/bench-node.md
  echo
  echo "The core alone, natively, no wasm or JS (\`cargo run --release --example get_or_set_cost\`: a new key a call, 2 tags, 200 B, the npm package's memory-store settings): **${c_med} µs** a \`getOrSet\` miss, median (${c_min}–${c_max}). What bounds every front over it; see \"Where the time goes\"."
  cat target/bench-load.md
  cat target/bench-edge.md
  echo
  echo "Signature verification (\`cargo run --release --example verify_cost\`, two secrets configured, the second one signing): **${v_med} µs** median (${v_min}–${v_max}); target ≤ 50 µs."
  echo
  echo "![purge time and stampede p99](BENCHMARKS.svg)"
  cat target/bench-purge.md
  cat target/bench-costs.md
  echo
  echo "Purge reach across locations (\`tests/reach.rs\`: 4 locations × 3 isolates, KV writes visible after up to 60 s, a purge a second, feed read at most once a second over round trips of 10–250 ms; the time until a request at an isolate is judged against the purge):"
  echo
  echo "| mode | samples | p50 | p99 | max | bound | feed reads an isolate-minute |"
  echo "|---|---|---|---|---|---|---|"
  node -e 'for (const l of require("fs").readFileSync("target/bench-reach.jsonl", "utf8").trim().split("\n")) { const r = JSON.parse(l); console.log(`| ${r.mode} | ${r.samples} | ${r.p50_ms} ms | ${r.p99_ms} ms | ${r.max_ms} ms | ${r.bound_ms} ms | ${r.feed_reads_per_isolate_minute} |`); }'
  echo
  echo "## 5. Size"
  echo
  echo "| artifact | bytes | gzipped | target |"
  echo "|---|---|---|---|"
  echo "| npm wasm (pkg/web/edgecache_bg.wasm) | $(wc -c <pkg/web/edgecache_bg.wasm) | $npm_gz | ≤ 102,400 |"
  echo "| worker bundle (build/index_bg.wasm + build/index.js) | $(( $(wc -c <build/index_bg.wasm) + $(wc -c <build/index.js) )) | $worker_gz | ≤ 307,200 |"
  echo
  cat bench/findings.md
} > BENCHMARKS.md
echo "[bench] wrote BENCHMARKS.md"
