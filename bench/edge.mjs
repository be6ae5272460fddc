// Benchmarks 3 and 4 of issue 6, against the built worker in workerd (Miniflare 4, real local
// KV): purge cost through the signed endpoint with 1, 100 and 10,000 tagged entries (time and
// KV operations), and stampedes of 1-1000 concurrent misses on one key against a 50 ms origin.
import { startOrigin, startWorker, purge, cacheStatus } from "../tests/worker/harness.mjs";
import { PASS_THROUGH, startScript } from "./workers.mjs";
import { median, percentile } from "./stats.mjs";

const lines = [];
const out = (l) => { lines.push(l); console.log(l); };
const results = { purge: [], stampede: [] };

const origin = await startOrigin({
  "/p": (req, res) => { res.writeHead(200, { "cache-control": "max-age=3600", "cache-tag": "bulk" }); res.end("x".repeat(200)); },
  "/slow": (req, res) => setTimeout(() => { res.writeHead(200, { "cache-control": "max-age=3600" }); res.end("slow"); }, 50),
});
// The origin routes on the path; every entry is its own key through the query string.
const originUrl = origin.url;

out("\n## 3. Purge cost through the signed endpoint");
out("\n| tagged entries | purge time ms, median of 5 (min–max) | KV operations per purge | a purged entry is then a miss |");
out("|---|---|---|---|");
for (const n of [1, 100, 10_000]) {
  const edge = await startWorker(originUrl, {}, { flakyKv: true });
  try {
    for (let i = 0; i < n; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => edge.fetch(`/p?i=${i + j}`).then((r) => r.arrayBuffer())));
    }
    const times = [];
    edge.resetKvOps();
    for (let round = 0; round < 5; round++) {
      const start = performance.now();
      const res = await purge(edge, { tags: ["bulk"] });
      await res.arrayBuffer();
      times.push(performance.now() - start);
      if (res.status !== 200) throw new Error(`purge answered ${res.status}`);
    }
    const ops = Object.values(edge.kvOps()).reduce((a, b) => a + b, 0) / 5;
    const after = cacheStatus(await edge.fetch(`/p?i=${n - 1}`));
    results.purge.push({ n, ms: median(times) });
    out(`| ${n.toLocaleString("en")} | ${median(times).toFixed(1)} (${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}) | ${ops} | ${after.hit ? "no" : "yes"} |`);
  } finally {
    await edge.close();
  }
}

out("\n## 4. Stampede: concurrent misses on one key, origin takes 50 ms");
out("\nThe pass-through worker (no cache: every request goes to the origin) measured the same way shows what");
out("Miniflare's dispatch and the origin alone cost at each concurrency.");
out("\n| concurrent requests | origin requests | p50 ms | p99 ms | pass-through p50 / p99 ms | target p99 ≤ origin + 5 ms |");
out("|---|---|---|---|---|---|");
const edge = await startWorker(originUrl);
const pass = await startScript(PASS_THROUGH, originUrl, {});
const wave = async (server, c, path) => {
  const latencies = await Promise.all(Array.from({ length: c }, async () => {
    const start = performance.now();
    await (await server.fetch(path)).arrayBuffer();
    return performance.now() - start;
  }));
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
};
try {
  // Warm both isolates (wasm instantiation) so the first level measures the stampede only.
  await (await edge.fetch("/p?warm=1")).arrayBuffer();
  await (await pass.fetch("/p?warm=1")).arrayBuffer();
  for (const c of [1, 10, 100, 1000]) {
    const path = `/slow?c=${c}`;
    const before = origin.hits(path);
    const { p50, p99 } = await wave(edge, c, path);
    const origins = origin.hits(path) - before;
    const base = await wave(pass, c, `/slow?c=${c}&pass=1`);
    results.stampede.push({ c, p99, p50 });
    out(`| ${c} | ${origins} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${base.p50.toFixed(1)} / ${base.p99.toFixed(1)} | ${p99 <= 55 ? "met" : "missed"} |`);
  }
} finally {
  await edge.close();
  await pass.close();
  await origin.close();
}

// One SVG with both curves (log-scaled x).
function chart(title, points, x, y, xLabel, yLabel, left) {
  const w = 300, h = 180, pad = 40;
  const xs = points.map((p) => Math.log10(p[x]));
  const ys = points.map((p) => p[y]);
  const xmax = Math.max(...xs, 1), ymax = Math.max(...ys) * 1.2 || 1;
  const px = (v) => left + pad + (v / xmax) * (w - pad - 10);
  const py = (v) => 20 + (h - 50) * (1 - v / ymax);
  const path = points.map((p, i) => `${i ? "L" : "M"}${px(xs[i]).toFixed(1)},${py(ys[i]).toFixed(1)}`).join(" ");
  const dots = points.map((p, i) => `<circle cx="${px(xs[i]).toFixed(1)}" cy="${py(ys[i]).toFixed(1)}" r="3"/><text x="${px(xs[i]).toFixed(1)}" y="${(py(ys[i]) - 6).toFixed(1)}" font-size="9" text-anchor="middle">${ys[i].toFixed(1)}</text>`).join("");
  const ticks = points.map((p, i) => `<text x="${px(xs[i]).toFixed(1)}" y="${h - 15}" font-size="9" text-anchor="middle">${p[x]}</text>`).join("");
  return `<g font-family="sans-serif"><text x="${left + w / 2}" y="12" font-size="11" text-anchor="middle">${title}</text>` +
    `<line x1="${left + pad}" y1="${h - 30}" x2="${left + w - 10}" y2="${h - 30}" stroke="#999"/><line x1="${left + pad}" y1="20" x2="${left + pad}" y2="${h - 30}" stroke="#999"/>` +
    `<path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/><g fill="#2563eb">${dots}</g>${ticks}` +
    `<text x="${left + w / 2}" y="${h - 2}" font-size="9" text-anchor="middle">${xLabel}</text><text x="${left + 10}" y="${h / 2}" font-size="9" transform="rotate(-90 ${left + 10} ${h / 2})" text-anchor="middle">${yLabel}</text></g>`;
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 620 190" width="620" height="190">` +
  chart("Purge time vs tagged entries", results.purge, "n", "ms", "tagged entries (log)", "ms", 0) +
  chart("Stampede p99 vs concurrency", results.stampede, "c", "p99", "concurrent misses (log)", "p99 ms", 310) + `</svg>\n`;
const fs = await import("node:fs");
fs.writeFileSync(process.env.BENCH_SVG ?? "target/bench-curves.svg", svg);
if (process.env.BENCH_OUT) {
  fs.writeFileSync(process.env.BENCH_OUT, lines.join("\n") + "\n");
  fs.writeFileSync(process.env.BENCH_OUT.replace(/\.md$/, ".json"), JSON.stringify(results));
}
