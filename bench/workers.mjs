// The workers edgecache is compared with: a pass-through worker, and a plain-JS caching worker
// written for the comparison (in-isolate memory, then KV with a TTL, one purge stamp per
// Cache-Tag checked on every hit, stamps reused for 1 s), started in workerd by Miniflare.
import { Miniflare } from "miniflare";
import { freePort, startOrigin } from "../tests/worker/harness.mjs";

/** The origin the load test and the worker profile cache: a 2 KB tagged page, an hour fresh. */
export function startPageOrigin() {
  return startOrigin({
    "/page": (req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "max-age=3600", "cache-tag": "pages,page:1" });
      res.end("x".repeat(2048));
    },
  });
}

export const PASS_THROUGH = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { headers: request.headers });
  },
};`;

// What a user would write by hand: no RFC 9111 beyond max-age, no single-flight, no fencing.
export const JS_CACHE = `
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

// The floor: the fixed page and headers a cache hit answers, no cache work. FLOOR_JS in plain JS;
// startFloor() the same from Rust through worker-build's shim (bench/floor, built by bench/run.sh).
export const FLOOR_JS = `
const body = "x".repeat(2048);
export default {
  fetch() {
    return new Response(body, { status: 200, headers: [["age", "0"], ["cache-control", "max-age=3600"], ["cache-status", "edgecache; hit; ttl=3599"], ["content-type", "text/plain"], ["date", "Fri, 27 Nov 2026 00:00:00 GMT"]] });
  },
};`;

export function startFloor() {
  return serve({
    scriptPath: new URL("./floor/build/index.js", import.meta.url).pathname,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
  });
}

export function startScript(script, originUrl, vars, { inspectorPort } = {}) {
  return serve({
    script,
    kvNamespaces: ["CACHE"],
    bindings: { ORIGIN_URL: originUrl, ...vars },
    ...(inspectorPort !== undefined ? { inspectorPort } : {}),
  });
}

// A worker in its own workerd on a free loopback port.
async function serve(options) {
  const port = await freePort();
  const mf = new Miniflare({ host: "127.0.0.1", port, modules: true, compatibilityDate: "2026-07-01", ...options });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, fetch: (p, init) => mf.dispatchFetch(`http://edge.test${p}`, init), close: () => mf.dispose() };
}
