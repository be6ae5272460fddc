// The README's plain-JS Cloudflare Worker, exactly as written there, in a fresh project with the
// packed package installed, bundled by wrangler and run in workerd (Miniflare 4) with a real
// local KV namespace: one cache per isolate serving concurrent requests while purges land.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Miniflare } from "miniflare";
import { Webhook } from "standardwebhooks";
import { bin, freshProject, readmeExample, write } from "./fresh.mjs";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let mf;
let server;
const served = {};
let version = 0;

before(async () => {
  server = http.createServer((req, res) => {
    served[req.url] = (served[req.url] ?? 0) + 1;
    const body = `${req.url} v${version} fill ${served[req.url]}`;
    setTimeout(() => res.end(body), 30);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const dir = freshProject("worker");
  mkdirSync(path.join(dir, "src"));
  write(dir, {
    "src/index.js": readmeExample("// A plain-JS Cloudflare Worker"),
    "wrangler.toml": 'name = "example"\nmain = "src/index.js"\ncompatibility_date = "2026-07-01"\n'
      + '[[kv_namespaces]]\nbinding = "CACHE"\nid = "example"\n',
  });
  execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false" },
    stdio: "ignore",
  });
  mf = new Miniflare({
    modules: true,
    scriptPath: path.join(dir, "dist/index.js"),
    modulesRoot: path.join(dir, "dist"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-07-01",
    kvNamespaces: ["CACHE"],
    bindings: { ORIGIN_URL: `http://127.0.0.1:${server.address().port}`, PURGE_SECRETS: SECRET },
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  server?.close();
});

async function get(p) {
  const res = await mf.dispatchFetch(`http://example.test${p}`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.text(), source: res.headers.get("x-cache") };
}

async function purge(tags, secret = SECRET) {
  const body = JSON.stringify({ tags });
  const id = `msg_${Math.random().toString(16).slice(2)}`;
  const now = new Date();
  const res = await mf.dispatchFetch("http://example.test/purge", {
    method: "POST",
    headers: { "webhook-id": id, "webhook-timestamp": String(Math.floor(now / 1000)), "webhook-signature": new Webhook(secret).sign(id, now, body) },
    body,
  });
  return { status: res.status, body: await res.text() };
}

test("the README's worker starts, caches in KV and purges on a signed POST", async () => {
  assert.deepEqual(await get("/a"), { status: 200, body: "/a v0 fill 1", source: "loaded" });
  assert.deepEqual(await get("/a"), { status: 200, body: "/a v0 fill 1", source: "cached" });
  assert.deepEqual(await purge(["pages"], "whsec_" + Buffer.alloc(24, 7).toString("base64")), { status: 401, body: "signature_mismatch" });
  assert.equal((await get("/a")).source, "cached");
  version = 1;
  assert.deepEqual(await purge(["pages"]), { status: 200, body: "purged" });
  assert.deepEqual(await get("/a"), { status: 200, body: "/a v1 fill 2", source: "loaded" });
});

test("concurrent misses on one key after a purge make one origin fetch, and all are answered", async () => {
  await get("/burst");
  for (let round = 0; round < 3; round++) {
    assert.equal((await purge(["pages"])).status, 200);
    const before = served["/burst"];
    const answers = await Promise.all(Array.from({ length: 20 }, () => get("/burst")));
    assert.deepEqual(answers.filter((a) => a.status !== 200), []);
    assert.equal(served["/burst"] - before, 1, JSON.stringify(answers.map((a) => a.source)));
    assert.equal(new Set(answers.map((a) => a.body)).size, 1);
  }
});

test("32 clients on a few keys while purges land: every answer is a 200", async (t) => {
  const until = Date.now() + 4_000;
  const counts = {};
  let purges = 0;
  const client = async () => {
    while (Date.now() < until) {
      const a = await get(`/p/${Math.floor(Math.random() * 6)}`).catch((e) => ({ status: String(e), body: "" }));
      counts[a.status] = (counts[a.status] ?? 0) + 1;
    }
  };
  const purger = async () => {
    while (Date.now() < until) {
      assert.equal((await purge(["pages"])).status, 200);
      purges++;
      await sleep(100);
    }
  };
  await Promise.all([purger(), ...Array.from({ length: 32 }, client)]);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.deepEqual(Object.keys(counts), ["200"], JSON.stringify(counts));
  assert.ok(total >= 300 && purges >= 10, `load too light: ${total} requests, ${purges} purges`);
  t.diagnostic(`${total} requests, ${purges} purges: ${JSON.stringify(counts)}`);
});
