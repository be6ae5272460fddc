// Benchmark 1 of issue 6: the npm package in Node against what a user would pick instead, in
// one process: Map, lru-cache, bentocache (memory), keyv. 100k keys with Zipf popularity, key
// strings built fresh per request. Prints a Markdown section; medians of 5 rounds (min–max).
import { createRequire } from "node:module";
import { LRUCache } from "lru-cache";
import Keyv from "keyv";
import { formatSummary, summary } from "./stats.mjs";
import { bentocache, key, N, zipfSequence } from "./workload.mjs";

const require = createRequire(import.meta.url);
// EDGECACHE_PKG: another build to compare (a directory with edgecache.js).
const { EdgeCache } = require(process.env.EDGECACHE_PKG ?? "../pkg/npm");

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const OPS = Number(process.env.OPS ?? 200_000);
const sequence = zipfSequence(OPS);

// Rounds interleave the subjects (round 1 of each, then round 2 of each, ...), so a burst of
// load from elsewhere on a shared machine hits every subject alike.
async function interleaved(runs) {
  const rates = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
  // One unmeasured round each first: steady state, not warm-up (JIT, the npm memo), is measured.
  for (const run of Object.values(runs)) await run();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const start = process.hrtime.bigint();
      const ops = await run();
      rates[name].push(ops / (Number(process.hrtime.bigint() - start) / 1e9));
    }
  }
  return Object.fromEntries(Object.entries(rates).map(([name, xs]) => [name, summary(xs)]));
}

function subjects(valueSize, capacity) {
  return {
    edgecache: {
      // The defaults a user gets, sized for the keys.
      make: () => new EdgeCache({ maxBytes: Math.min(4_000_000_000, capacity * (valueSize + 400)) }),
      // A cache's wasm memory is returned to the allocator when it is freed (the finalizer would
      // do it some time after GC); without this, each round's throw-away cache grows the one wasm
      // memory anew, which an application with its one long-lived cache never does.
      dispose: (c) => c.free(),
      get: (c, k) => c.get(k),
      set: (c, k, v) => c.set(k, v, { ttl: 60_000 }),
      getOrSet: (c, k, v) => c.getOrSet(k, () => v, { ttl: 60_000, tags: ["articles", `a${k.length % 7}`] }),
    },
    "lru-cache": { make: () => new LRUCache({ max: capacity, ttl: 60_000 }), get: (c, k) => c.get(k), set: (c, k, v) => c.set(k, v) },
    bentocache: {
      make: () => bentocache(capacity),
      get: (c, k) => c.get({ key: k }),
      set: (c, k, v) => c.set({ key: k, value: v, ttl: "1m" }),
      getOrSet: (c, k, v) => c.getOrSet({ key: k, factory: () => v, ttl: "1m", tags: ["articles", `a${k.length % 7}`] }),
    },
    keyv: { make: () => new Keyv(), get: (c, k) => c.get(k), set: (c, k, v) => c.set(k, v, 60_000) },
    Map: { make: () => new Map(), get: (c, k) => c.get(k), set: (c, k, v) => c.set(k, v) },
  };
}

const lines = [];
const out = (line) => { lines.push(line); console.log(line); };
const figures = {}; // for the before/after summary

for (const valueSize of process.argv[2] === "--heap" ? [] : [200, 2048]) {
  const value = "x".repeat(valueSize);
  const all = subjects(valueSize, N);
  const hitRuns = {}, setRuns = {}, getOrSetRuns = {};
  for (const [name, s] of Object.entries(all)) {
    const cache = s.make();
    for (let i = 0; i < N; i++) await s.set(cache, key(i), value);
    hitRuns[name] = async () => {
      for (let i = 0; i < OPS; i++) await s.get(cache, key(sequence[i]));
      return OPS;
    };
    const bounded = subjects(valueSize, N / 2)[name];
    const small = bounded.make();
    setRuns[name] = async () => {
      for (let i = 0; i < OPS; i++) await bounded.set(small, key(sequence[i]), value);
      return OPS;
    };
    if (s.getOrSet) {
      let round = 0;
      getOrSetRuns[name] = async () => {
        const fresh = s.make();
        const n = 20_000;
        round++;
        for (let i = 0; i < n; i++) await s.getOrSet(fresh, `${key(i)}&r=${round}`, value);
        s.dispose?.(fresh);
        return n;
      };
    }
  }
  const hit = await interleaved(hitRuns), set = await interleaved(setRuns), getOrSet = await interleaved(getOrSetRuns);
  const results = Object.fromEntries(Object.keys(all).map((name) => [name, { hit: hit[name], set: set[name], getOrSet: getOrSet[name] }]));
  const fmt = (m) => (m ? formatSummary(m) : "n/a");
  const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : "n/a");
  out(`\n### ${valueSize} B values, ${N.toLocaleString("en")} keys, Zipf(1), ${OPS.toLocaleString("en")} requests a round, ${ROUNDS} rounds`);
  out("\n| subject | get hit ops/s | set at capacity ops/s | getOrSet miss + 2 tags ops/s |");
  out("|---|---|---|---|");
  for (const [name, r] of Object.entries(results)) out(`| ${name} | ${fmt(r.hit)} | ${fmt(r.set)} | ${fmt(r.getOrSet)} |`);
  const e = results.edgecache;
  figures[valueSize] = {
    hitVsLru: e.hit.median / results["lru-cache"].hit.median,
    hitVsBento: e.hit.median / results.bentocache.hit.median,
    getOrSetVsBento: e.getOrSet.median / results.bentocache.getOrSet.median,
    setVsBento: e.set.median / results.bentocache.set.median,
  };
  out(`\nRatios: get hit ${ratio(e.hit, results["lru-cache"].hit)} of lru-cache (target ≥ 0.8×), ${ratio(e.hit, results.bentocache.hit)} of bentocache (target ≥ 4×); set at capacity ${ratio(e.set, results.bentocache.set)} of bentocache (target ≥ 1×); getOrSet with tags ${ratio(e.getOrSet, results.bentocache.getOrSet)} of bentocache (target ≥ 1×).`);
}

// Heap after 100k entries of 200 B, each subject alone in a fresh process (so no other
// subject's garbage is collected during its measurement). Wasm memory counts as arrayBuffers.
if (process.argv[2] === "--heap") {
  const s = subjects(200, N)[process.argv[3]];
  global.gc();
  const before = process.memoryUsage();
  const cache = s.make();
  // A global reference: V8 may otherwise find `cache` dead before the GC below and collect it.
  globalThis.measured = cache;
  for (let i = 0; i < N; i++) await s.set(cache, key(i), "x".repeat(200));
  global.gc();
  const after = process.memoryUsage();
  const used = (m) => m.heapUsed + m.external;
  console.log(((used(after) - used(before)) / 1e6).toFixed(1));
  process.exit(0);
}
const { execFileSync } = await import("node:child_process");
out("\n### Memory after 100,000 entries of 200 B (MB, JS heap + external incl. wasm memory, after GC, one process each)");
out("\n| subject | MB |");
out("|---|---|");
for (const name of Object.keys(subjects(200, N))) {
  const mb = execFileSync(process.execPath, ["--expose-gc", new URL(import.meta.url).pathname, "--heap", name], { env: { ...process.env, OPS: "1" } }).toString().trim();
  figures.heap = { ...figures.heap, [name]: Number(mb) };
  out(`| ${name} | ${mb} |`);
}
out(`\nRatio: edgecache ${(figures.heap.edgecache / figures.heap["lru-cache"]).toFixed(2)}× the heap of lru-cache (target ≤ 1.5×).`);
if (process.env.BENCH_OUT) {
  const fs = await import("node:fs");
  fs.writeFileSync(process.env.BENCH_OUT, lines.join("\n") + "\n");
  fs.writeFileSync(process.env.BENCH_OUT.replace(/\.md$/, ".json"), JSON.stringify(figures));
}
