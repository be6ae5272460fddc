// The targets of issues 6, 12 and 13, before and after the optimisation work, as one Markdown table.
// "Before" is fixed: the figures `make bench` printed at commit 464116b (npm, purge, stampede,
// sizes) and the first runs of bench/load.mjs on the worker of that code (one 2 s round each,
// so rougher). "After" is read from this run's target/bench-*.json.
// Usage: node bench/summary.mjs <npm wasm gz bytes> <worker gz bytes> <verify µs>
import { readFileSync } from "node:fs";

const [npmGz, workerGz, verifyUs] = process.argv.slice(2).map(Number);
const read = (name) => JSON.parse(readFileSync(`target/bench-${name}.json`, "utf8"));
const node = read("node");
const load = read("load");
const edge = read("edge");
const costs = read("costs");
const reach = Object.fromEntries(readFileSync("target/bench-reach.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((r) => [r.mode, r]));
const authority = costs["edgecache, purge authority"];

const x = (v) => `${v.toFixed(2)}×`;
const ms = (v) => `${v.toFixed(1)} ms`;
const kb = (v) => `${(v / 1024).toFixed(0)} KiB`;
const purgeMs = (n) => edge.purge.find((p) => p.n === n).ms;
const p99 = (c) => edge.stampede.find((s) => s.c === c).p99;

const rows = [
  ["npm get hit ÷ lru-cache, 200 B", "≥ 0.8×", "0.06×", node[200].hitVsLru, x, (v) => v >= 0.8],
  ["npm get hit ÷ lru-cache, 2 KB", "≥ 0.8×", "0.02×", node[2048].hitVsLru, x, (v) => v >= 0.8],
  ["npm get hit ÷ bentocache, 200 B", "≥ 4×", "0.29×", node[200].hitVsBento, x, (v) => v >= 4],
  ["npm get hit ÷ bentocache, 2 KB", "≥ 4×", "0.21×", node[2048].hitVsBento, x, (v) => v >= 4],
  ["npm set at capacity ÷ bentocache, 200 B", "≥ 1×", "0.30×", node[200].setVsBento, x, (v) => v >= 1],
  ["npm set at capacity ÷ bentocache, 2 KB", "≥ 1×", "—", node[2048].setVsBento, x, (v) => v >= 1],
  ["npm getOrSet + 2 tags ÷ bentocache, 200 B", "≥ 1×", "0.11×", node[200].getOrSetVsBento, x, (v) => v >= 1],
  ["npm getOrSet + 2 tags ÷ bentocache, 2 KB", "≥ 1×", "0.10×", node[2048].getOrSetVsBento, x, (v) => v >= 1],
  ["npm heap after 100k entries of 200 B ÷ lru-cache", "≤ 1.5×", "4.2× (161.6 MB)", node.heap.edgecache / node.heap["lru-cache"], (v) => `${x(v)} (${node.heap.edgecache.toFixed(1)} MB)`, (v) => v <= 1.5],
  ["worker in-isolate hit ÷ plain-JS worker", "≥ 0.85×", "≈ 0.62×", load["memory hit"].vsJs, x, (v) => v >= 0.85],
  ["worker floor (no cache work): Rust ÷ plain JS", "—", "—", load.floor?.vsJs ?? NaN, x, null],
  ["worker KV hit ÷ plain-JS worker", "≥ 0.85×", "≈ 0.6–0.85×", load["KV hit"].vsJs, x, (v) => v >= 0.85],
  ["worker in-isolate hit ÷ pass-through", "≥ 0.7×", "≈ 1.16×", load["memory hit"].vsPass, x, (v) => v >= 0.7],
  ["worker KV hit ÷ pass-through", "≥ 0.7×", "≈ 0.51×", load["KV hit"].vsPass, x, (v) => v >= 0.7],
  ["worker miss ÷ plain-JS worker", "≥ 0.7×", "≈ 0.26×", load.miss.vsJs, x, (v) => v >= 0.7],
  ["purge reach p99, purge authority, feed 1 s (simulation)", "≤ 1.2 s", "≈ 60 s (KV)", reach.authority.p99_ms, ms, (v) => v <= 1_200],
  ["KV writes a first fill (3 tags), purge authority", "1", "8.2", authority.writesPerFill, (v) => v.toFixed(1), (v) => v <= 1],
  ["KV writes a first fill (3 tags), KV-only", "1", "8.2", costs["edgecache, KV-only"].writesPerFill, (v) => v.toFixed(1), (v) => v <= 1],
  ["authority requests an isolate a feed interval (simulation)", "≤ 1", "—", reach.authority.feed_reads_per_isolate_minute / 60, (v) => v.toFixed(2), (v) => v <= 1],
  ["purge, 10,000 entries ÷ 1 entry", "≤ 2×", "0.48×", purgeMs(10_000) / purgeMs(1), x, (v) => v <= 2],
  ["signature verification", "≤ 50 µs", "2.89 µs", verifyUs, (v) => `${v} µs`, (v) => v <= 50],
  ["stampede p99, 1 request", "≤ 55 ms", "73.5 ms", p99(1), ms, (v) => v <= 55],
  ["stampede p99, 1000 concurrent", "≤ 55 ms", "1922.3 ms", p99(1000), ms, (v) => v <= 55],
  ["npm wasm, gzipped", "≤ 100 KiB", "137 KiB", npmGz, kb, (v) => v <= 102_400],
  ["worker bundle, gzipped", "≤ 300 KiB", "306 KiB", workerGz, kb, (v) => v <= 307_200],
];

console.log("| figure | target | before | after | |");
console.log("|---|---|---|---|---|");
for (const [name, target, before, after, fmt, met] of rows) {
  console.log(`| ${name} | ${target} | ${before} | ${fmt(after)} | ${met ? (met(after) ? "met" : "missed") : ""} |`);
}
