// The npm package against real workerd: a Miniflare KV namespace as its store, and followEdge
// learning of purges made at the running worker.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startOrigin, startWorker, purge, sleep } from "../worker/harness.mjs";

const require = createRequire(import.meta.url);
const { EdgeCache } = require("../../pkg/npm");

let origin;
let edge;

before(async () => {
  origin = await startOrigin({});
  edge = await startWorker(origin.url, {}, { port: 0 });
});

after(async () => {
  await edge?.close();
  await origin?.close();
});

test("a Miniflare (workerd) KV namespace works as the store", async () => {
  const kv = await edge.mf.getKVNamespace("CACHE");
  const cache = new EdgeCache({ store: kv, namespace: "npm" });
  await cache.set("article:1", { title: "Hello" }, { ttl: "1m", tags: ["articles"] });
  assert.deepEqual(await cache.get("article:1"), { title: "Hello" });
  const keys = (await kv.list({ prefix: "npm:" })).keys.map((k) => k.name);
  assert.ok(keys.some((k) => k.startsWith("npm:0/e/article:1")), keys.join(" "));
  await cache.invalidateTag("articles");
  assert.equal(await cache.get("article:1"), undefined);
  assert.equal((await cache.log()).records[0].scopes[0].value, "articles");
});

test("followEdge: a purge at the edge reaches the local cache", async () => {
  const cache = new EdgeCache();
  await cache.set("article:1", "cached in the app", { ttl: "10m", tags: ["articles"] });
  await cache.set("user:1", "other", { ttl: "10m", tags: ["users"] });
  const follower = cache.followEdge(edge.url, { tags: ["articles", "users"], interval: 50 });
  try {
    for (let i = 0; i < 100 && follower.polls < 2; i++) await sleep(20);
    assert.ok(follower.polls >= 2, "polling");
    assert.equal(await cache.get("article:1"), "cached in the app", "the baseline poll invalidates nothing");
    assert.equal((await purge(edge, { tags: ["articles"] })).status, 200);
    for (let i = 0; i < 100 && follower.invalidations < 1; i++) await sleep(20);
    assert.equal(follower.invalidations, 1);
    assert.equal(await cache.get("article:1"), undefined, "purged at the edge, gone here");
    assert.equal(await cache.get("user:1"), "other");
  } finally {
    follower.stop();
  }
  const stopped = follower.polls;
  await sleep(200);
  assert.ok(follower.polls <= stopped + 1, "stop() stops polling");
});

test("followEdge counts failures and keeps going when the edge is unreachable", async () => {
  const cache = new EdgeCache();
  const follower = cache.followEdge("http://127.0.0.1:9", { tags: ["a"], interval: "50ms" });
  for (let i = 0; i < 100 && follower.failures < 2; i++) await sleep(20);
  follower.stop();
  assert.ok(follower.failures >= 2);
  assert.throws(() => cache.followEdge(edge.url, { tags: [] }), (e) => e.code === "invalid_option");
  assert.throws(() => cache.followEdge(edge.url, { tags: ["a"], interval: 0 }), (e) => e.code === "invalid_option");
  assert.throws(() => cache.followEdge(edge.url), (e) => e.code === "invalid_option");
  assert.throws(() => cache.followEdge(edge.url, { tags: ["a"], every: 5 }), (e) => /unknown field `every`/.test(e.message));
});
