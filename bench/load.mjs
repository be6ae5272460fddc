// Benchmark 2 of issue 6: the worker in workerd (Miniflare 4) under load from wrk on loopback,
// against a pass-through worker and a plain-JS caching worker written for the comparison (same
// job: in-isolate memory, then KV with a TTL, one purge stamp per Cache-Tag checked on every hit,
// stamps reused for 1 s). Scenarios: an in-isolate hit, a KV-backed hit (in-isolate memory off
// in both caching workers), a miss (a new URL per request). Prints a Markdown section.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import { startWorker, freePort } from "../tests/worker/harness.mjs";
import { FLOOR_JS, JS_CACHE, PASS_THROUGH, startFloor, startPageOrigin, startScript } from "./workers.mjs";
import { formatSummary, summary } from "./stats.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = Number(process.env.SECONDS_PER_ROUND ?? 3);
const CONNECTIONS = 8;

// A wrk Lua script giving every request its own URL (a miss each time).
const missScript = "/tmp/edgecache-bench-miss.lua";
writeFileSync(missScript, `local n = 0
local run = tostring(math.random(1, 1e9))
request = function()
  n = n + 1
  return wrk.format("GET", "/page?miss=" .. run .. "-" .. n)
end
`);

// CPU seconds a process has used (all threads), from /proc: throughput on a shared 2-core
// machine swings with whatever else runs, the CPU each request costs workerd much less.
const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime
}
function workerdPids() {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)]).toString();
  return new Set(out.split("\n").filter((l) => l.includes("workerd")).map((l) => Number(l.trim().split(/\s+/)[0])));
}

// Asynchronous: the origin runs in this process and must keep answering.
async function wrk(url, { unique = false, pid } = {}) {
  const cpuBefore = cpuSeconds(pid);
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", ...(unique ? ["-s", missScript] : []), url];
  const { stdout: text } = await promisify(execFile)("wrk", args, { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]);
  const ms = (label) => {
    const [, value, unit] = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit];
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} error responses from ${url}:\n${text}`);
  const requests = Number(/(\d+) requests in/.exec(text)[1]);
  const cpuUs = ((cpuSeconds(pid) - cpuBefore) / requests) * 1e6;
  return { rps, p50: ms(" 50"), p99: ms(" 99"), cpuUs };
}

const origin = await startPageOrigin();

// Every configuration runs at once in its own workerd; rounds interleave them, so a burst of
// load from elsewhere on the machine hits every subject alike and the ratios stay fair.
const MISS = { unique: true };
const configs = [
  ["edgecache", "memory hit", (o) => startEdge(o, { STAMP_MEMO_MS: "1000" })],
  ["edgecache", "KV hit", (o) => startEdge(o, { STAMP_MEMO_MS: "1000", MEMORY_BUDGET: "0" })],
  ["edgecache", "miss", (o) => startEdge(o, { STAMP_MEMO_MS: "1000" }), MISS],
  ["plain-JS cache", "memory hit", (o) => startScript(JS_CACHE, o, {})],
  ["plain-JS cache", "KV hit", (o) => startScript(JS_CACHE, o, { MEMORY: "0" })],
  ["plain-JS cache", "miss", (o) => startScript(JS_CACHE, o, {}), MISS],
  ["pass-through", "every request", (o) => startScript(PASS_THROUGH, o, {})],
  // No cache work: the same fixed answer from Rust (worker-build's shim, wasm-bindgen) and JS.
  ["floor", "Rust", () => startFloor()],
  ["floor", "plain JS", () => startScript(FLOOR_JS, "http://unused", {})],
].filter(([name, scenario]) => !process.env.SCENARIOS || `${name}/${scenario}`.includes(process.env.SCENARIOS));
async function startEdge(originUrl, vars) {
  const worker = await startWorker(originUrl, vars, { port: await freePort() });
  return { url: worker.url, close: worker.close };
}
const servers = [];
for (const [, , start] of configs) {
  const before = workerdPids();
  const server = await start(origin.url);
  server.pid = [...workerdPids()].find((pid) => !before.has(pid));
  // Warm: instantiate the isolate and fill the cache for the hit scenarios.
  for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/page?hot=1`)).arrayBuffer();
  servers.push(server);
}
const rounds = configs.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, [, , , options]] of configs.entries()) rounds[i].push(await wrk(`${servers[i].url}/page?hot=1`, { ...options, pid: servers[i].pid }));
}
for (const server of servers) await server.close();
const results = {};
const pick = (xs, k) => summary(xs.map((x) => x[k]));
for (const [i, [name, scenario]] of configs.entries()) {
  results[`${name}/${scenario}`] = { rps: pick(rounds[i], "rps"), p50: pick(rounds[i], "p50"), p99: pick(rounds[i], "p99"), cpuUs: pick(rounds[i], "cpuUs") };
}
await origin.close();

const lines = [];
const out = (l) => { lines.push(l); console.log(l); };
out(`\n## 2. The worker in workerd under load (wrk, ${CONNECTIONS} connections, ${SECONDS} s a round, ${ROUNDS} rounds, 2 KB pages)`);
out("\n| worker | scenario | requests/s | p50 ms | p99 ms | workerd CPU µs a request |");
out("|---|---|---|---|---|---|");
for (const [key, r] of Object.entries(results)) {
  const [name, scenario] = key.split("/");
  out(`| ${name} | ${scenario} | ${formatSummary(r.rps)} | ${formatSummary(r.p50, 2)} | ${formatSummary(r.p99, 2)} | ${formatSummary(r.cpuUs)} |`);
}
const pass = results["pass-through/every request"]?.rps.median;
out("\n| scenario | edgecache ÷ plain-JS cache, requests/s (target ≥ 0.85× for hits) | edgecache ÷ pass-through, requests/s (target ≥ 0.7× for hits) | plain-JS cache ÷ edgecache, workerd CPU a request |");
out("|---|---|---|---|");
for (const scenario of ["memory hit", "KV hit", "miss"]) {
  const e = results[`edgecache/${scenario}`]?.rps.median;
  const js = results[`plain-JS cache/${scenario}`]?.rps.median;
  const cpu = (name) => results[`${name}/${scenario}`]?.cpuUs.median;
  out(`| ${scenario} | ${(e / js).toFixed(2)}× | ${(e / pass).toFixed(2)}× | ${(cpu("plain-JS cache") / cpu("edgecache")).toFixed(2)}× |`);
}
const floor = (k) => results[`floor/${k}`];
if (floor("Rust") && floor("plain JS")) {
  out(`\nThe floor (the same fixed page, no cache work): a Rust worker through worker-build's shim and wasm-bindgen answers ${(floor("Rust").rps.median / floor("plain JS").rps.median).toFixed(2)}× the requests/s of plain JS, at ${(floor("Rust").cpuUs.median - floor("plain JS").cpuUs.median).toFixed(0)} µs more workerd CPU a request — the part of any Rust worker's gap that is the platform glue.`);
}
out("\nThe origin, wrk, Miniflare's loopback proxy and workerd share the machine's cores, so the pass-through figure is bounded by the origin as much as by workerd.");
if (process.env.BENCH_OUT) {
  writeFileSync(process.env.BENCH_OUT, lines.join("\n") + "\n");
  const rps = (k) => results[k].rps.median;
  const figures = {};
  for (const scenario of ["memory hit", "KV hit", "miss"]) {
    figures[scenario] = {
      vsJs: rps(`edgecache/${scenario}`) / rps(`plain-JS cache/${scenario}`),
      vsPass: rps(`edgecache/${scenario}`) / rps("pass-through/every request"),
      cpuVsJs: results[`plain-JS cache/${scenario}`].cpuUs.median / results[`edgecache/${scenario}`].cpuUs.median,
    };
  }
  if (floor("Rust") && floor("plain JS")) figures.floor = { vsJs: rps("floor/Rust") / rps("floor/plain JS") };
  writeFileSync(process.env.BENCH_OUT.replace(/\.md$/, ".json"), JSON.stringify(figures));
}
