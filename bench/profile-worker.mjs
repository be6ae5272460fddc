// A CPU profile of the worker inside workerd (through Miniflare's inspector) while it serves
// in-isolate hits, KV hits or misses, for finding where a request's time goes. Prints the top
// functions by self time and the total sampled time a request.
// Usage: node bench/profile-worker.mjs [memory|kv|miss] [requests]; for Rust function names, build
// the worker with `touch src/lib.rs && KEEP_NAMES=1 scripts/build-worker.sh` first.
import { startWorker, freePort } from "../tests/worker/harness.mjs";
import { JS_CACHE, startPageOrigin, startScript } from "./workers.mjs";

const mode = process.argv[2] ?? "memory";
const requests = Number(process.argv[3] ?? 3000);
const origin = await startPageOrigin();
const inspectorPort = await freePort();
// SUBJECT=js profiles the plain-JS caching worker instead, for comparison.
const edge = process.env.SUBJECT === "js"
  ? await startScript(JS_CACHE, origin.url, mode === "kv" ? { MEMORY: "0" } : {}, { inspectorPort })
  : await startWorker(origin.url, { STAMP_MEMO_MS: "1000", ...(mode === "kv" ? { MEMORY_BUDGET: "0" } : {}) }, { inspectorPort });
await (await edge.fetch("/page?hot=1")).arrayBuffer();
const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
const ws = new WebSocket(targets.find((t) => t.title?.includes("edgecache") || true).webSocketDebuggerUrl);
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
let id = 0;
const pending = new Map();
ws.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message.id && pending.has(message.id)) { pending.get(message.id)(message.result); pending.delete(message.id); }
};
const send = (method, params = {}) => new Promise((resolve) => { const n = ++id; pending.set(n, resolve); ws.send(JSON.stringify({ id: n, method, params })); });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
let unique = 0;
const path = () => (mode === "miss" ? `/page?miss=${unique++}` : "/page?hot=1");
for (let i = 0; i < requests; i += 8) {
  await Promise.all(Array.from({ length: 8 }, () => edge.fetch(path()).then((r) => r.arrayBuffer())));
}
const { profile } = await send("Profiler.stop");
ws.close();
await edge.close();
await origin.close();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
profile.samples.forEach((sample, i) => {
  const node = byId.get(sample);
  const dt = profile.timeDeltas[i] ?? 0;
  const name = `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.split("/").pop()}`.slice(0, 120);
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
});
// Inclusive time of the worker's own Rust functions.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
profile.samples.forEach((sample, i) => {
  const seen = new Set();
  for (let q = sample; q; q = parent.get(q)) {
    const name = byId.get(q).callFrame.functionName.replace(/::h[0-9a-f]{16}$/, "").slice(0, 110);
    if (!(process.env.ALL || name.startsWith("edgecache::")) || seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
});
const idle = self.get("(idle) ") ?? 0;
console.log(`${requests} requests, ${(total / 1000).toFixed(0)} ms sampled (${mode === "miss" ? "misses" : `${mode} hits`}), isolate busy ${((total - idle) / requests).toFixed(0)} µs a request`);
for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((t / total) * 100).toFixed(1).padStart(5)}% ${name}`);
console.log("\ninclusive, edgecache functions:");
for (const [name, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((t / total) * 100).toFixed(1).padStart(5)}% ${name}`);
