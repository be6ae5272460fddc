// Benchmark 2 of issue 6: the worker in workerd (Miniflare 4) under load from wrk on loopback,
// against a pass-through worker and a plain-JS caching worker written for the comparison (same
// job: in-isolate memory, then KV with a TTL, one purge stamp per Cache-Tag checked on every hit,
// stamps reused for 1 s). Scenarios: an in-isolate hit, a KV-backed hit (in-isolate memory off
// in both caching workers), a miss (a new URL per request). Prints a Markdown section.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { startOrigin, startWorker, freePort } from "../tests/worker/harness.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = Number(process.env.SECONDS_PER_ROUND ?? 3);
const CONNECTIONS = 8;
const BODY = "x".repeat(2048);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const PASS_THROUGH = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { headers: request.headers });
  },
};`;

// What a user would write by hand: no RFC 9111 beyond max-age, no single-flight, no fencing.
const JS_CACHE = `
const memory = new Map();
const stamps = new Map();
const MEMORY_MAX = 10000;
async function stamp(env, tag, now) {
  const memo = stamps.get(tag);
  if (memo && now - memo.at < 1000) return memo.value;
  const value = (await env.CACHE.get("stamp:" + tag)) ?? "0";
  stamps.set(tag, { value, at: now });
  return value;
}
async function valid(env, entry, now) {
  if (entry.expires <= now) return false;
  for (const [tag, seen] of entry.tags) if ((await stamp(env, tag, now)) !== seen) return false;
  return true;
}
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const key = url.pathname + url.search;
    const now = Date.now();
    const useMemory = env.MEMORY !== "0";
    let entry = useMemory ? memory.get(key) : undefined;
    if (!entry) {
      const stored = await env.CACHE.get("e:" + key, "json");
      if (stored && useMemory) memory.set(key, stored);
      entry = stored;
    }
    if (entry && (await valid(env, entry, now))) {
      return new Response(entry.body, { status: entry.status, headers: { ...entry.headers, "x-cache": "hit" } });
    }
    const response = await fetch(env.ORIGIN_URL + key);
    const body = await response.text();
    const maxAge = /max-age=(\\d+)/.exec(response.headers.get("cache-control") ?? "");
    if (response.status === 200 && maxAge) {
      const tags = (response.headers.get("cache-tag") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
      const seen = [];
      for (const tag of tags) seen.push([tag, await stamp(env, tag, now)]);
      const headers = { "content-type": response.headers.get("content-type") ?? "text/plain" };
      const fresh = { status: 200, headers, body, tags: seen, expires: now + Number(maxAge[1]) * 1000 };
      ctx.waitUntil(env.CACHE.put("e:" + key, JSON.stringify(fresh), { expirationTtl: Math.max(60, Number(maxAge[1])) }));
      if (useMemory) {
        if (memory.size >= MEMORY_MAX) memory.delete(memory.keys().next().value);
        memory.set(key, fresh);
      }
    }
    return new Response(body, { status: response.status, headers: { "content-type": "text/plain", "x-cache": "miss" } });
  },
};`;

async function startScript(script, originUrl, vars) {
  const port = await freePort();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    modules: true,
    script,
    compatibilityDate: "2026-07-01",
    kvNamespaces: ["CACHE"],
    bindings: { ORIGIN_URL: originUrl, ...vars },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, close: () => mf.dispose() };
}

// A wrk Lua script giving every request its own URL (a miss each time).
const missScript = "/tmp/edgecache-bench-miss.lua";
writeFileSync(missScript, `local n = 0
local run = tostring(math.random(1, 1e9))
request = function()
  n = n + 1
  return wrk.format("GET", "/page?miss=" .. run .. "-" .. n)
end
`);

// Asynchronous: the origin runs in this process and must keep answering.
async function wrk(url, { unique = false } = {}) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", ...(unique ? ["-s", missScript] : []), url];
  const { stdout: text } = await promisify(execFile)("wrk", args, { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]);
  const ms = (label) => {
    const [, value, unit] = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit];
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} error responses from ${url}:\n${text}`);
  return { rps, p50: ms(" 50"), p99: ms(" 99") };
}

async function measure(url, options) {
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await wrk(url, options));
  const pick = (k) => ({ median: median(rounds.map((x) => x[k])), min: Math.min(...rounds.map((x) => x[k])), max: Math.max(...rounds.map((x) => x[k])) });
  return { rps: pick("rps"), p50: pick("p50"), p99: pick("p99") };
}

const origin = await startOrigin({
  "/page": (req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "cache-control": "max-age=3600", "cache-tag": "pages,page:1" });
    res.end(BODY);
  },
});

const results = {};
// SCENARIOS=hit (or any part of "worker/scenario" names) measures a subset, while optimising.
const only = process.env.SCENARIOS;
async function subject(name, start, scenarios) {
  for (const [scenario, vars, options] of scenarios) {
    if (only && !`${name}/${scenario}`.includes(only)) continue;
    const server = await start(vars);
    try {
      // Warm: instantiate the isolate and fill the cache for the hit scenarios.
      for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/page?hot=1`)).arrayBuffer();
      results[`${name}/${scenario}`] = await measure(`${server.url}/page?hot=1`, options);
    } finally {
      await server.close();
    }
  }
}

const MISS = { unique: true };
await subject("edgecache", async (vars) => { const w = await startWorker(origin.url, vars, { port: await freePort() }); return { url: w.url, close: w.close }; }, [
  ["memory hit", { STAMP_MEMO_MS: "1000" }],
  ["KV hit", { STAMP_MEMO_MS: "1000", MEMORY_BUDGET: "0" }],
  ["miss", { STAMP_MEMO_MS: "1000" }, MISS],
]);
await subject("plain-JS cache", (vars) => startScript(JS_CACHE, origin.url, vars), [
  ["memory hit", {}],
  ["KV hit", { MEMORY: "0" }],
  ["miss", {}, MISS],
]);
await subject("pass-through", (vars) => startScript(PASS_THROUGH, origin.url, vars), [["every request", {}]]);
await origin.close();

const lines = [];
const out = (l) => { lines.push(l); console.log(l); };
const n = (x, digits = 0) => x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const fmt = (m, digits) => `${n(m.median, digits)} (${n(m.min, digits)}–${n(m.max, digits)})`;
out(`\n## 2. The worker in workerd under load (wrk, ${CONNECTIONS} connections, ${SECONDS} s a round, ${ROUNDS} rounds, 2 KB pages)`);
out("\n| worker | scenario | requests/s | p50 ms | p99 ms |");
out("|---|---|---|---|---|");
for (const [key, r] of Object.entries(results)) {
  const [name, scenario] = key.split("/");
  out(`| ${name} | ${scenario} | ${fmt(r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} |`);
}
const pass = results["pass-through/every request"]?.rps.median;
out("\n| scenario | edgecache ÷ plain-JS cache (target ≥ 0.85× for hits) | edgecache ÷ pass-through (target ≥ 0.7× for hits) |");
out("|---|---|---|");
for (const scenario of ["memory hit", "KV hit", "miss"]) {
  const e = results[`edgecache/${scenario}`]?.rps.median;
  const js = results[`plain-JS cache/${scenario}`]?.rps.median;
  out(`| ${scenario} | ${(e / js).toFixed(2)}× | ${(e / pass).toFixed(2)}× |`);
}
out("\nThe origin, wrk, Miniflare's loopback proxy and workerd share the machine's cores, so the pass-through figure is bounded by the origin as much as by workerd.");
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, lines.join("\n") + "\n");
