// The soak: the built worker in workerd under concurrent load (plain, conditional and range
// requests, private and cookie-setting pages) while signed purges land several times a second,
// in front of an origin that changes content at every purge and injects faults (5xx, answers
// past the timeout, connection resets, malformed headers, huge bodies), over a KV that fails or
// slows down in windows. An oracle judges every response against the origin's version history.
//
//   node tests/soak/soak.mjs            SOAK_SECONDS (default 600), SOAK_CLIENTS (default 24)
//
// Exit status 0 only when every rule held; the table is printed either way.
import http from "node:http";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { Webhook } from "standardwebhooks";
import { startWorker, cacheStatus, SECRET, AUTHORITY } from "../worker/harness.mjs";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 24);
const ORIGIN_TIMEOUT_MS = 1000;
const MAX_BODY_BYTES = 1 << 20;
/** The edge isolate's memory bound: its wasm linear memory (where every cache structure lives)
 * stays within the entry budget plus this much, however long the run. */
const MEMORY_BUDGET_MB = 8;
const WASM_MEMORY_BOUND_MB = MEMORY_BUDGET_MB + 16;

// ---- the origin: versions per path, bumped before each purge (a save, then its purge) ----
const versions = new Map();
const version = (p) => versions.get(p) ?? 0;
const bump = (paths) => paths.forEach((p) => versions.set(p, version(p) + 1));
const TAGGED = Array.from({ length: 20 }, (_, i) => `/t/${i}`);
const DEEP = [0, 1, 2].flatMap((a) => [0, 1, 2, 3, 4].map((b) => `/d/${a}/${b}`));
const SOFT = Array.from({ length: 6 }, (_, i) => `/s/${i}`);
const FAULTY = ["/f/5xx", "/f/slow", "/f/reset", "/f/badheader", "/f/huge"];
const PRIVATE = ["/u/0", "/u/1", "/u/2"];
const COOKIE = ["/c/0", "/c/1"];
const tagsOf = (p) => {
  if (p.startsWith("/t/")) { const i = Number(p.slice(3)); return ["all", `g${i % 4}`, `p${i}`]; }
  if (p.startsWith("/d/")) return ["all", "deep"];
  if (p.startsWith("/s/")) return ["all", `s${Number(p.slice(3)) % 2}`];
  return ["all", "faulty"];
};
const faults = { "5xx": 0, slow: 0, reset: 0, badheader: 0, huge: 0 };
let cookieSerial = 0;
const body = (p) => `v=${String(version(p)).padStart(8, "0")};path=${p};` + ".".repeat(200);
const origin = http.createServer((req, res) => {
  const p = new URL(req.url, "http://origin").pathname;
  const headers = { "content-type": "text/plain", "cache-tag": tagsOf(p).join(","), etag: `"v${version(p)}"` };
  const roll = Math.random();
  if (p === "/f/5xx" && roll < 0.3) { faults["5xx"]++; res.writeHead(503, headers); return res.end("down"); }
  if (p === "/f/slow" && roll < 0.2) { faults.slow++; setTimeout(() => { res.writeHead(200, { ...headers, "cache-control": "max-age=5" }); res.end(body(p)); }, ORIGIN_TIMEOUT_MS * 2); return; }
  if (p === "/f/reset" && roll < 0.2) { faults.reset++; return req.socket.destroy(); }
  if (p === "/f/badheader" && roll < 0.2) {
    faults.badheader++;
    req.socket.end(`HTTP/1.1 200 OK\r\ncache-control: max-age=5\r\nx-bad: a\u0001b\r\ncontent-length: 2\r\n\r\nok`);
    return;
  }
  if (p === "/f/huge") { faults.huge++; res.writeHead(200, { ...headers, "cache-control": "max-age=5" }); return res.end(body(p) + "x".repeat(MAX_BODY_BYTES * 2)); }
  if (p.startsWith("/u/")) {
    res.writeHead(200, { ...headers, "cache-control": "max-age=60" });
    return res.end(`${body(p)}user=${req.headers.authorization ?? "anonymous"}`);
  }
  if (p.startsWith("/c/")) {
    const token = `t${++cookieSerial}`;
    res.writeHead(200, { ...headers, "cache-control": "max-age=60", "set-cookie": `sid=${token}` });
    return res.end(`${body(p)}token=${token}`);
  }
  const cc = p.startsWith("/s/") ? "max-age=30, stale-while-revalidate=30" : p.startsWith("/f/") ? "max-age=2, stale-if-error=30" : "max-age=60";
  res.writeHead(200, { ...headers, "cache-control": cc });
  res.end(body(p));
});
await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
const originUrl = `http://127.0.0.1:${origin.address().port}`;

// ---- the edge ----
let runtimeOutput = "";
const edge = await startWorker(originUrl, {
  ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS),
  MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  // Local KV is consistent at once: the documented bound is then the stamp memo (0 here).
  KV_PROPAGATION_MS: "0",
  MEMORY_BUDGET: String(MEMORY_BUDGET_MB << 20),
}, { flakyKv: true, port: 0, onRuntimeOutput: (text) => { runtimeOutput += text; } });
// The bound the edge reports once it serves (with the authority: once it follows the feed).
await (await fetch(`${edge.url}/t/0`)).text();
const BOUND_MS = (await (await fetch(`${edge.url}/_edgecache/stats`)).json()).staleness_bound_ms;

// ---- the oracle ----
/** Per path: [completedAt, version the origin had when the purge was sent], in order. */
const completed = new Map();
const violations = { stale: 0, "5xx": 0, shared_private: 0, shared_cookie: 0, panic: 0, memory: 0 };
const examples = [];
const violation = (rule, detail) => { violations[rule]++; if (examples.length < 10) examples.push(`${rule}: ${detail}`); };
const cookieTokens = new Set();
function required(p, startedAt) {
  let need = 0;
  for (const [at, v] of completed.get(p) ?? []) if (at + BOUND_MS <= startedAt) need = Math.max(need, v);
  return need;
}
function judge(p, startedAt, status, text, cs, auth, soft) {
  if (status >= 500) {
    if (!p.startsWith("/f/")) violation("5xx", `${status} for ${p} (${cs.raw}) ${text.slice(0, 120)}`);
    return;
  }
  const m = /^v=(\d{8})/.exec(text);
  if (!m) return;
  const got = Number(m[1]);
  const need = required(p, startedAt);
  if (got < need && !(soft && /fwd=stale/.test(cs.raw))) violation("stale", `${p} v${got} < v${need} (${cs.raw})`);
  if (p.startsWith("/u/")) {
    const user = /user=(.*)$/.exec(text)?.[1];
    if (user !== (auth ?? "anonymous")) violation("shared_private", `${p}: ${auth} got ${user}`);
  }
  if (p.startsWith("/c/") && status === 200) {
    const token = /token=(t\d+)/.exec(text)?.[1];
    if (cookieTokens.has(token)) violation("shared_cookie", `${p}: token ${token} served twice`);
    cookieTokens.add(token);
  }
}

// ---- load ----
/** A long series shown as one value a minute (every 12th 5-s sample) and the last. */
const perMinute = (series) => series.filter((_, i) => i % 12 === 0 || i === series.length - 1).join(" ");
const latencies = [];
let requests = 0;
const statuses = {};
const deadline = Date.now() + SECONDS * 1000;
const pick = (list) => list[Math.floor(Math.random() ** 2 * list.length)];
const etags = new Map();
/** Requests that got no HTTP answer, by path and cause. */
const clientErrors = {};
async function client(id) {
  while (Date.now() < deadline) {
    const roll = Math.random();
    const p = roll < 0.5 ? pick(TAGGED) : roll < 0.65 ? pick(DEEP) : roll < 0.75 ? pick(SOFT) : roll < 0.85 ? pick(FAULTY) : roll < 0.93 ? pick(PRIVATE) : pick(COOKIE);
    const headers = {};
    const kind = Math.random();
    let auth;
    if (p.startsWith("/u/")) { auth = `Bearer user${id % 3}`; headers.authorization = auth; }
    else if (kind < 0.1 && etags.has(p)) headers["if-none-match"] = etags.get(p);
    else if (kind < 0.2) headers.range = "bytes=0-10";
    const startedAt = Date.now();
    try {
      const res = await fetch(`${edge.url}${p}`, { headers, signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      latencies.push(Date.now() - startedAt);
      requests++;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const cs = cacheStatus(res);
      if (res.status === 200 && res.headers.get("etag")) etags.set(p, res.headers.get("etag"));
      // A 304 answers with the version the client holds.
      const shown = res.status === 304 ? `v=${String(Number(headers["if-none-match"].slice(2, -1))).padStart(8, "0")}` : text;
      judge(p, startedAt, res.status, shown, cs, auth, p.startsWith("/s/"));
    } catch (error) {
      requests++;
      statuses.error = (statuses.error ?? 0) + 1;
      const why = `${p}: ${error.cause?.code ?? error.name}`;
      clientErrors[why] = (clientErrors[why] ?? 0) + 1;
      if (!p.startsWith("/f/")) violation("5xx", `${p}: ${error.message}`);
    }
  }
}

// ---- purges: a save (the origin's version bump), then its signed purge, retried until a 200 ----
const purgeCounts = { tag: 0, key: 0, prefix: 0, everything: 0, soft: 0, retries: 0, unfinished: 0 };
let serial = 0;
async function send(body, paths) {
  const id = `msg_soak_${++serial}`;
  const payload = JSON.stringify(body);
  bump(paths);
  const sentVersions = paths.map((p) => [p, version(p)]);
  while (Date.now() < deadline + 5_000) {
    const now = new Date();
    const headers = {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(SECRET).sign(id, now, payload),
    };
    try {
      const res = await fetch(`${edge.url}/_edgecache/purge`, { method: "POST", headers, body: payload, signal: AbortSignal.timeout(10_000) });
      await res.text();
      if (res.status === 200) {
        const at = Date.now();
        for (const [p, v] of sentVersions) {
          if (!completed.has(p)) completed.set(p, []);
          completed.get(p).push([at, v]);
        }
        return;
      }
    } catch { /* retried below, as a webhook sender does */ }
    purgeCounts.retries++;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  purgeCounts.unfinished++;
}
async function purger() {
  while (Date.now() < deadline) {
    const roll = Math.random();
    if (roll < 0.4) {
      const k = Math.floor(Math.random() * 4);
      purgeCounts.tag++;
      await send({ tags: [`g${k}`] }, TAGGED.filter((_, i) => i % 4 === k));
    } else if (roll < 0.7) {
      const p = pick(TAGGED);
      purgeCounts.key++;
      await send({ urls: [p] }, [p]);
    } else if (roll < 0.85) {
      const a = Math.floor(Math.random() * 3);
      purgeCounts.prefix++;
      await send({ prefixes: [`/d/${a}/`] }, DEEP.filter((p) => p.startsWith(`/d/${a}/`)));
    } else if (roll < 0.97) {
      const k = Math.floor(Math.random() * 2);
      purgeCounts.soft++;
      // A soft purge: stale answers are allowed when marked so; the oracle's history still
      // records it, so a response older than it must say it is stale.
      await send({ tags: [`s${k}`], mode: "soft" }, SOFT.filter((_, i) => i % 2 === k));
    } else {
      purgeCounts.everything++;
      await send({ everything: true }, [...TAGGED, ...DEEP, ...SOFT, ...FAULTY, ...PRIVATE, ...COOKIE]);
    }
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 200));
  }
}

// ---- KV faults: windows of failing writes, failing everything, and slowness ----
const kvWindows = { "fail-writes": 0, "fail-all": 0, slow: 0 };
async function kvFaults() {
  const modes = Object.keys(kvWindows);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    if (Date.now() >= deadline) break;
    const mode = modes[Math.floor(Math.random() * modes.length)];
    kvWindows[mode]++;
    edge.setKv(mode);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    edge.setKv("ok");
  }
}

/** workerd's resident memory (`field`: VmRSS now, VmHWM its peak) in MB, over its processes. */
function workerdMb(field) {
  let most = 0;
  for (const pid of execFileSync("pgrep", ["-f", "workerd"]).toString().trim().split("\n")) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      if (/^Name:\s+workerd/m.test(status)) most = Math.max(most, kb / 1024);
    } catch { /* gone */ }
  }
  return Math.round(most);
}
/** workerd's resident memory and the edge isolate's wasm memory (MB), every 5 s. */
const memory = [];
const wasmMemory = [];
async function sampleMemory() {
  while (Date.now() < deadline) {
    memory.push(workerdMb("VmRSS"));
    try {
      const stats = await (await fetch(`${edge.url}/_edgecache/stats`)).json();
      wasmMemory.push(Math.round((stats.wasm_memory_bytes / 1048576) * 10) / 10);
    } catch { /* judged by the clients */ }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** MB of workerd resident memory a do-nothing JS worker gains per 1,000 requests from `CLIENTS`
 * clients over `seconds`. */
async function plainWorkerMbPerKilorequest(seconds) {
  const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response("x".repeat(200)); } }', host: "127.0.0.1", port: 0, compatibilityDate: "2026-07-01" });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  await (await fetch(url)).text();
  const before = workerdMb("VmRSS");
  const until = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < until) { await (await fetch(`${url}/t/${n % 20}`)).text(); n++; }
  }));
  const grown = workerdMb("VmRSS") - before;
  await mf.dispose();
  return Math.max(0, grown) / (n / 1000);
}

const started = Date.now();
await Promise.all([...Array.from({ length: CLIENTS }, (_, i) => client(i)), purger(), kvFaults(), sampleMemory()]);
const elapsed = (Date.now() - started) / 1000;
const peakMb = workerdMb("VmHWM");
await edge.close();
const plainPerKilo = await plainWorkerMbPerKilorequest(Math.min(30, Math.max(10, SECONDS / 10)));
const wasmPeak = Math.max(0, ...wasmMemory);
if (wasmPeak > WASM_MEMORY_BOUND_MB) violation("memory", `edge isolate wasm memory ${wasmPeak} MB > ${WASM_MEMORY_BOUND_MB} MB`);
const panics = runtimeOutput.split("\n").filter((line) => /panicked|Uncaught|unhandled rejection|RuntimeError/i.test(line));
for (const line of panics) violation("panic", line.slice(0, 200));
origin.close();

latencies.sort((a, b) => a - b);
const q = (f) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? 0;
const total = Object.values(violations).reduce((a, b) => a + b, 0);
const row = (k, v) => console.log(`| ${k} | ${v} |`);
console.log(`\nSoak: ${AUTHORITY ? "purge authority" : "KV only"}, ${CLIENTS} clients, ${elapsed.toFixed(0)} s, staleness bound ${BOUND_MS} ms\n`);
console.log("| figure | value |\n|---|---|");
row("requests", `${requests} (${(requests / elapsed).toFixed(0)}/s); statuses ${JSON.stringify(statuses)}`);
row("purges", `${Object.entries(purgeCounts).filter(([k]) => !["retries", "unfinished"].includes(k)).reduce((a, [, v]) => a + v, 0)} ${JSON.stringify(purgeCounts)}`);
row("origin faults injected", JSON.stringify(faults));
row("KV fault windows (1.5 s each)", JSON.stringify(kvWindows));
row("requests without an HTTP answer", JSON.stringify(clientErrors));
row("latency p50 / p99", `${q(0.5)} ms / ${q(0.99)} ms`);
row("edge isolate wasm memory", `peak ${wasmPeak} MB (bound ${WASM_MEMORY_BOUND_MB} MB: MEMORY_BUDGET ${MEMORY_BUDGET_MB} MB + 16); each minute: ${perMinute(wasmMemory)}`);
row("workerd resident memory (informative)", `peak ${peakMb} MB, each minute: ${perMinute(memory)}; a do-nothing JS worker under the same clients grows ${plainPerKilo.toFixed(1)} MB per 1,000 requests in this local workerd (measured after), ${(((peakMb - memory[0]) / (requests / 1000))).toFixed(1)} here`);
row("violations", `${total} ${JSON.stringify(violations)}`);
for (const example of examples) console.log(`  ${example}`);
process.exit(total === 0 && purgeCounts.unfinished === 0 && requests > 0 ? 0 : 1);
