// What a busy site's traffic costs in platform operations (issue 13): a mix of 90 % hits on 20
// hot pages, 10 % misses (new pages) and one tag purge a second, 8 clients, against edgecache
// behind the purge authority, edgecache in the KV-only mode and the plain-JS caching worker,
// each in workerd (Miniflare 4) with its KV operations counted at the binding (and the
// authority's requests at its binding); then the bill for 10 million requests at the published
// prices, beside a design that asks a Durable Object on every request (OpenNext's DO tag cache).
import { writeFileSync } from "node:fs";
import { startOrigin, startWorker, purge } from "../tests/worker/harness.mjs";
import { JS_CACHE } from "./workers.mjs";
import { Miniflare } from "miniflare";

const SECONDS = Number(process.env.COSTS_SECONDS ?? 20);
const CLIENTS = 8;
const HOT = 20;
const lines = [];
const out = (l) => { lines.push(l); console.log(l); };

const origin = await startOrigin({
  "/page": (req, res) => {
    const n = new URL(req.url, "http://o").searchParams.get("n");
    res.writeHead(200, { "cache-control": "max-age=3600", "cache-tag": `pages,page:${n},section:${n % 5}` });
    res.end(`page ${n} ${"x".repeat(2000)}`);
  },
});

// The plain-JS worker, its KV counted in the script and purged by writing a tag's stamp.
const COUNTED_JS = JS_CACHE.replace("export default {", "const handler = {") + `
const ops = { get: 0, put: 0 };
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__ops") return Response.json(ops);
    const cache = {
      get: (...a) => { ops.get++; return env.CACHE.get(...a); },
      put: (...a) => { ops.put++; return env.CACHE.put(...a); },
    };
    if (url.pathname === "/__purge") {
      await cache.put("stamp:" + url.searchParams.get("tag"), String(Date.now()) + Math.random());
      return new Response("purged");
    }
    return handler.fetch(request, { ...env, CACHE: cache }, ctx);
  },
};`;

async function startPlainJs() {
  const mf = new Miniflare({ modules: true, script: COUNTED_JS, compatibilityDate: "2026-07-01", kvNamespaces: ["CACHE"], bindings: { ORIGIN_URL: origin.url } });
  await mf.ready;
  const fetch = (p, init) => mf.dispatchFetch(`http://edge.test${p}`, init);
  return {
    fetch,
    purge: (tag) => fetch(`/__purge?tag=${encodeURIComponent(tag)}`).then((r) => r.text()),
    ops: async () => ({ ...(await (await fetch("/__ops")).json()), authority: 0 }),
    close: () => mf.dispose(),
  };
}

async function startEdge(authority) {
  const edge = await startWorker(origin.url, { STAMP_MEMO_MS: undefined }, { flakyKv: true, authority, flakyAuthority: authority });
  return {
    fetch: edge.fetch,
    purge: (tag) => purge(edge, { tags: [tag] }).then((r) => r.text()),
    ops: async () => {
      const kv = edge.kvOps();
      return { get: kv.get ?? 0, put: (kv.put ?? 0) + (kv.delete ?? 0), list: kv.list ?? 0, authority: edge.authorityCalls() };
    },
    close: edge.close,
  };
}

async function measure(subject) {
  // Warm the hot pages first (their first fills are misses of the warm-up, not of the mix):
  // what a first fill costs in KV writes, from an empty KV.
  const empty = await subject.ops();
  for (let n = 0; n < HOT; n++) await (await subject.fetch(`/page?n=${n}`)).arrayBuffer();
  const before = await subject.ops();
  const writesPerFill = (before.put - empty.put) / HOT;
  let requests = 0;
  let fresh = 1_000_000;
  const until = Date.now() + SECONDS * 1000;
  const client = async () => {
    while (Date.now() < until) {
      const miss = Math.random() < 0.1;
      const path = miss ? `/page?n=${fresh++}` : `/page?n=${Math.floor(Math.random() * HOT)}`;
      await (await subject.fetch(path)).arrayBuffer();
      requests++;
    }
  };
  let purges = 0;
  const purger = async () => {
    while (Date.now() < until) {
      await subject.purge(`page:${Math.floor(Math.random() * HOT)}`);
      purges++;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  await Promise.all([...Array.from({ length: CLIENTS }, client), purger()]);
  const after = await subject.ops();
  const per = (k) => ((after[k] ?? 0) - (before[k] ?? 0)) / requests * 1000;
  const seconds = SECONDS;
  return { requests, purges, seconds, writesPerFill, reads: per("get") + per("list"), writes: per("put"), authority: per("authority") };
}

const subjects = [
  ["edgecache, purge authority", () => startEdge(true)],
  ["edgecache, KV-only", () => startEdge(false)],
  ["plain-JS caching worker", startPlainJs],
];
const results = {};
for (const [name, start] of subjects) {
  const subject = await start();
  try {
    results[name] = await measure(subject);
  } finally {
    await subject.close();
  }
}
await origin.close();

// Published prices (USD): KV $0.50 per million reads, $5 per million writes; Durable Objects
// $0.15 per million requests; Workers $0.30 per million requests (CPU left out: it is the same
// order for all and measured in section 2).
const bill = (r, extraDo = 0) => {
  const m = 10; // million requests
  const kv = m * (r.reads / 1000) * 0.5 + m * (r.writes / 1000) * 5;
  const dos = m * (r.authority / 1000 + extraDo) * 0.15;
  return { kv, dos, workers: m * 0.3, total: kv + dos + m * 0.3 };
};
out("\n## 6. Platform operations and the bill (purge authority, issue 13)");
out(`\n${CLIENTS} clients for ${SECONDS} s a subject: 90 % hits on ${HOT} hot pages (3 tags each), 10 % misses on new pages, one tag purge a second; operations counted at the KV binding and at the authority's.`);
out("\n| subject | requests | KV writes a first fill | KV reads / 1,000 req | KV writes / 1,000 req | authority requests / 1,000 req | bill for 10 M requests: KV + DO + Workers = total |");
out("|---|---|---|---|---|---|---|");
const row = (name, r, b) =>
  out(`| ${name} | ${r.requests.toLocaleString("en")} | ${r.writesPerFill.toFixed(1)} | ${r.reads.toFixed(1)} | ${r.writes.toFixed(1)} | ${r.authority.toFixed(1)} | $${b.kv.toFixed(2)} + $${b.dos.toFixed(2)} + $${b.workers.toFixed(2)} = **$${b.total.toFixed(2)}** |`);
for (const [name, r] of Object.entries(results)) row(name, r, bill(r));
const a = results["edgecache, purge authority"];
row("a DO request per page request (OpenNext's DO tag cache), with edgecache's KV figures", { ...a, authority: 1000 }, bill({ ...a, authority: 1000 }));
out("\nAuthority requests are feed reads (at most one an isolate a second, so they scale with busy isolates, not requests) and the purges themselves. An isolate that gets a request less than once a second reads the feed on each, so at low traffic per isolate this approaches the per-request design's count; the bill shows the busy case measured here.");
if (process.env.BENCH_OUT) {
  writeFileSync(process.env.BENCH_OUT, lines.join("\n") + "\n");
  writeFileSync(process.env.BENCH_OUT.replace(/\.md$/, ".json"), JSON.stringify(results, null, 1));
}
