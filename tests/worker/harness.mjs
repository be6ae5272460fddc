// Test harness: the built worker (build/index.js) in real workerd through Miniflare 4, with a
// real local KV namespace, in front of a scripted origin on loopback.
import http from "node:http";
import net from "node:net";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { Webhook } from "standardwebhooks";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A scripted origin: `routes[path](req, res, count)` answers; every request is recorded. */
export async function startOrigin(routes) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://origin");
    requests.push({ method: req.method, path: url.pathname + url.search, headers: req.headers });
    const route = routes[url.pathname];
    if (!route) {
      res.writeHead(404, { "content-type": "text/plain" });
      return res.end("no route");
    }
    const count = requests.filter((r) => r.path === url.pathname + url.search).length;
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => route(req, res, count, body));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hits: (p) => requests.filter((r) => r.path === p).length,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** Whether workers start with the purge authority (the PURGES Durable Object) bound: on unless
 * EDGECACHE_AUTHORITY=off, so that `make test` runs the suites in both modes. */
export const AUTHORITY = process.env.EDGECACHE_AUTHORITY !== "off";

/** The built worker in workerd, with `vars` over sensible test defaults. With `flakyKv`, the
 * CACHE binding is a real KV namespace behind a wrapper whose failures the test switches on
 * (`edge.setKv("fail-all" | "fail-writes" | "ok")`); `port` also serves it over HTTP.
 * `authority` binds the purge authority (default: AUTHORITY); `persist` keeps KV and Durable
 * Object storage in that folder across restarts. `twin` adds a second worker with the same
 * script and bindings (another isolate: `edge.twin.fetch`). `flakyAuthority` puts the
 * authority behind a wrapper the test switches (`edge.setAuthority("fail" | "hang" | "ok")`).
 * `flakyKv` also has `"slow"` (every operation 300 ms late). `onRuntimeOutput(text)` receives
 * workerd's own stdout and stderr (console output, uncaught errors) instead of the terminal. */
export async function startWorker(originUrl, vars = {}, { flakyKv = false, port, inspectorPort, authority = AUTHORITY, persist, twin = false, flakyAuthority = false, onRuntimeOutput } = {}) {
  // Without the built worker Miniflare waits for a script that never comes: say so instead.
  if (!existsSync(path.join(root, "build/index.js"))) {
    throw new Error("build/index.js is missing: build the worker first (scripts/build-worker.sh, or make test)");
  }
  const bindings = { ORIGIN_URL: originUrl, PURGE_SECRETS: SECRET, STAMP_MEMO_MS: "0", ...vars };
  for (const [k, v] of Object.entries(bindings)) if (v === undefined) delete bindings[k];
  let kvMode = "ok";
  const kvOps = {};
  const main = {
    name: "edgecache",
    modules: true,
    scriptPath: path.join(root, "build/index.js"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-07-01",
    bindings,
    ...(flakyKv ? { wrappedBindings: { CACHE: { scriptName: "flaky-kv" } } } : { kvNamespaces: ["CACHE"] }),
    ...(authority ? { durableObjects: flakyAuthority
      // The class lives here; the binding the worker uses goes through the wrapper.
      ? { OWN: { className: "PurgeAuthority", useSQLite: true }, PURGES: { className: "FlakyAuthority", scriptName: "flaky-authority" } }
      : { PURGES: { className: "PurgeAuthority", useSQLite: true } } } : {}),
  };
  let authorityMode = "ok";
  let authorityCalls = 0;
  const flakyDo = {
    name: "flaky-authority",
    modules: true,
    durableObjects: { REAL: { className: "PurgeAuthority", scriptName: "edgecache" } },
    serviceBindings: { CONTROL: () => { authorityCalls++; return new Response(authorityMode); } },
    script: `
      export class FlakyAuthority {
        constructor(state, env) { this.env = env; }
        async fetch(request) {
          const mode = await (await this.env.CONTROL.fetch("http://control/")).text();
          if (mode === "fail") throw new Error("authority down (injected)");
          if (mode === "hang") await new Promise(() => {});
          const real = this.env.REAL.get(this.env.REAL.idFromName("purges"));
          return real.fetch(request);
        }
      }
      export default { fetch() { return new Response("flaky authority"); } };`,
  };
  // The twin shares the KV namespace and the authority (by the class's script name).
  const twinWorker = { ...main, name: "edgecache-twin", durableObjects: authority ? { PURGES: { className: "PurgeAuthority", scriptName: "edgecache" } } : undefined };
  if (!authority) delete twinWorker.durableObjects;
  const flaky = {
    name: "flaky-kv",
    modules: true,
    kvNamespaces: ["INNER"],
    serviceBindings: {
      CONTROL: (request) => {
        const op = new URL(request.url).pathname.slice(1);
        kvOps[op] = (kvOps[op] ?? 0) + 1;
        return new Response(kvMode);
      },
    },
    script: `
      class FlakyKV {
        constructor(env) { this.inner = env.INNER; this.control = env.CONTROL; }
        async check(op) {
          const mode = await (await this.control.fetch("http://control/" + op)).text();
          if (mode === "slow") await new Promise((resolve) => setTimeout(resolve, 300));
          if (mode === "fail-all" || (mode === "fail-writes" && (op === "put" || op === "delete")))
            throw new Error("KV unavailable (injected " + op + " failure)");
        }
        async get(k, o) { await this.check("get"); return this.inner.get(k, o); }
        async getWithMetadata(k, o) { await this.check("get"); return this.inner.getWithMetadata(k, o); }
        async put(k, v, o) { await this.check("put"); return this.inner.put(k, v, o); }
        async delete(k) { await this.check("delete"); return this.inner.delete(k); }
        async list(o) { await this.check("list"); return this.inner.list(o); }
      }
      export default function (env) { return new FlakyKV(env); }`,
  };
  const workers = [main, ...(flakyKv ? [flaky] : []), ...(flakyAuthority ? [flakyDo] : []), ...(twin ? [twinWorker] : [])];
  const mf = new Miniflare({
    workers,
    ...(persist ? { kvPersist: path.join(persist, "kv"), durableObjectsPersist: path.join(persist, "do") } : {}),
    ...(port !== undefined ? { host: "127.0.0.1", port } : {}),
    ...(inspectorPort !== undefined ? { inspectorPort } : {}),
    ...(onRuntimeOutput ? { handleRuntimeStdio: (stdout, stderr) => {
      stdout.on("data", (chunk) => onRuntimeOutput(chunk.toString()));
      stderr.on("data", (chunk) => onRuntimeOutput(chunk.toString()));
    } } : {}),
  });
  const url = await mf.ready;
  const fetch = (p, init) => mf.dispatchFetch(`http://edge.test${p}`, init);
  const twinFetch = twin ? async (p, init) => (await mf.getWorker("edgecache-twin")).fetch(`http://edge.test${p}`, init) : undefined;
  return {
    mf,
    url: url.toString().replace(/\/$/, ""),
    fetch,
    twin: twin ? { fetch: twinFetch } : undefined,
    setKv: (mode) => { kvMode = mode; },
    setAuthority: (mode) => { authorityMode = mode; },
    /** Requests the authority received (flakyAuthority only). */
    authorityCalls: () => authorityCalls,
    /** KV operations by kind since the last reset (flakyKv only). */
    kvOps: () => ({ ...kvOps }),
    resetKvOps: () => { for (const k of Object.keys(kvOps)) delete kvOps[k]; },
    close: () => mf.dispose(),
  };
}

/** Sends a signed purge (signed by the npm standardwebhooks library). */
export async function purge(edge, body, { id = `msg_${Math.random().toString(16).slice(2)}`, secret = SECRET, headers = {} } = {}) {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const now = new Date();
  const signature = new Webhook(secret).sign(id, now, payload);
  return edge.fetch("/_edgecache/purge", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
      ...headers,
    },
    body: payload,
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads a Cache-Status header into { hit, fwd, fwdStatus, stored, collapsed, detail, ttl }. */
export function cacheStatus(response) {
  const value = response.headers.get("cache-status") ?? "";
  const params = Object.fromEntries(
    value.split(";").slice(1).map((p) => p.trim()).map((p) => {
      const [k, v] = p.split("=");
      return [k, v === undefined ? true : v.replace(/^"|"$/g, "")];
    }),
  );
  return { raw: value, hit: params.hit === true, fwd: params.fwd, fwdStatus: params["fwd-status"] && Number(params["fwd-status"]), stored: params.stored === true, collapsed: params.collapsed === true, detail: params.detail, ttl: params.ttl && Number(params.ttl) };
}

/** The Django example (examples/django) on a free port with a fresh database and the sample
 * articles; `manage(...args)` runs a management command against the same database. */
export async function startDjango(extraEnv = {}) {
  const django = path.join(root, "examples/django");
  const python = process.env.EDGECACHE_PYTHON ?? path.join(root, ".venv/bin/python");
  const dir = mkdtempSync(path.join(tmpdir(), "edgecache-django-"));
  const env = { ...process.env, DEMO_DB: path.join(dir, "db.sqlite3"), DJANGO_DEBUG: "1", EDGECACHE_PURGE_SECRET: SECRET, ...extraEnv };
  const manage = (...args) => execFileSync(python, ["manage.py", ...args], { cwd: django, env }).toString();
  manage("migrate", "--noinput", "-v", "0");
  // Seeding purges nothing (django_edgecache.suppressed): the edge holds none of it yet.
  execFileSync(python, ["manage.py", "seed_articles"], { cwd: django, env, stdio: "ignore" });
  const port = await freePort();
  const server = spawn(python, ["manage.py", "runserver", `127.0.0.1:${port}`, "--noreload"], { cwd: django, env, stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${url}/`)).ok) break; } catch { /* not up yet */ }
    await sleep(100);
  }
  return {
    url,
    env,
    python,
    dir: django,
    manage,
    close: () => { server.kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
