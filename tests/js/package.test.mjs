// The npm package as a user meets it: the built `nodejs` target imported by path, in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fs from "node:fs";
import { Webhook } from "standardwebhooks";

const require = createRequire(import.meta.url);
// Resolved through pkg/npm/package.json "exports", as `require("edgecache")` would be.
const { EdgeCache, EdgeCacheError, signPurge, verifyPurge } = require("../../pkg/npm");
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function throwsCode(promiseOrFn, code) {
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
  } catch (error) {
    assert.equal(error.name, "EdgeCacheError", String(error));
    assert.ok(error instanceof Error);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected an EdgeCacheError with code ${code}`);
}

test("values come back as they were given: strings, Uint8Arrays, JSON", async () => {
  const cache = new EdgeCache();
  await cache.set("s", "héllo", { ttl: 60_000 });
  await cache.set("b", new Uint8Array([0, 255, 7]), { ttl: 60_000 });
  await cache.set("j", { a: [1, "two", null], n: 3.5, t: "héllo 𝄞" }, { ttl: 60_000 });
  await cache.set("empty", new Uint8Array(0));
  assert.equal(await cache.get("s"), "héllo");
  assert.deepEqual(await cache.get("b"), new Uint8Array([0, 255, 7]));
  assert.deepEqual(await cache.get("j"), { a: [1, "two", null], n: 3.5, t: "héllo 𝄞" });
  assert.deepEqual(await cache.get("empty"), new Uint8Array(0));
  assert.equal(await cache.get("absent"), undefined);
  const entry = await cache.getEntry("s");
  assert.equal(entry.status, "fresh");
  assert.ok(entry.freshUntil > entry.storedAt);
});

test("text of every kind comes back exactly: empty, ASCII, 2-, 3- and 4-byte UTF-8, long, mixed", async () => {
  // Text is encoded straight into wasm memory, one byte per UTF-16 unit first and grown for
  // what did not fit: every branch of that (none, once, at a surrogate pair) is here.
  const cache = new EdgeCache();
  const texts = ["", "a", "x".repeat(100_000), "é", "ü".repeat(70_000), "€uro", "𝄞".repeat(1000),
    "ascii first " + "ö€𝄞".repeat(500) + " ascii last", "a".repeat(5) + "𝄞"];
  for (const [i, text] of texts.entries()) {
    await cache.set(`t${i}`, text);
    assert.equal(await cache.get(`t${i}`), text, `text ${i} (${text.length} units)`);
  }
  // A lone surrogate has no UTF-8: it is stored as U+FFFD, as TextEncoder (and wasm-bindgen's
  // own string passing) does.
  await cache.set("lone", "ab\uD800c");
  assert.equal(await cache.get("lone"), "ab\uFFFDc");
  // A string key and value cross together through one buffer, 16 KiB of room for the value and
  // 2 KiB for the key after it (value.rs, encode_pair); a value that does not fit, by a byte or
  // only once encoded, goes the other way.
  const pairs = [["k", "x".repeat(16_384)], ["k", "x".repeat(16_385)], ["ké€", "x".repeat(16_384)],
    ["ké€", "x".repeat(16_385)], ["k", "€".repeat(5_461)], ["k", "€".repeat(5_462)],
    ["🗝".repeat(512), "x".repeat(16_384)], ["🗝".repeat(511) + "!!!!", "€".repeat(5_461)]];
  for (const [key, text] of pairs) {
    await cache.set(key, text);
    assert.equal(await cache.get(key), text, `${key.length}-unit key, ${text.length}-unit text`);
  }
  // A key longer than its room is longer than keys may be: refused either way.
  await throwsCode(cache.set("🗝".repeat(512) + "!", "x"), "invalid_key");
  assert.equal(await cache.has("ké€"), true);
});

test("TTLs (fractions of a second included) and stale windows", async () => {
  const cache = new EdgeCache();
  await cache.set("k", "v", { ttl: 50, staleWhileRevalidate: "10s" });
  await sleep(80);
  const stale = await cache.getEntry("k");
  assert.equal(stale.status, "stale");
  assert.equal(stale.staleReason, "expired");
  assert.equal(stale.serveWhileRevalidating, true);
  await cache.set("gone", "v", { ttl: 50 });
  await sleep(80);
  assert.equal(await cache.get("gone"), undefined);
});

test("tags, keys, prefixes and everything, hard and soft; versions", async () => {
  const cache = new EdgeCache({ stampMemo: 0 });
  await cache.set("article:1", "a1", { tags: ["articles"], staleWhileRevalidate: "1m" });
  await cache.set("article:2", "a2", { tags: ["articles"] });
  await cache.set("user:1", "u1");
  await cache.invalidateTag("articles", { soft: true });
  assert.equal((await cache.getEntry("article:1")).staleReason, "soft_invalidated");
  assert.equal(await cache.get("article:2"), undefined, "soft without a stale window is gone");
  await cache.invalidateTag("articles");
  assert.equal(await cache.get("article:1"), undefined);
  await cache.set("blog/a", "x");
  await cache.invalidatePrefix("blog/");
  assert.equal(await cache.get("blog/a"), undefined);
  await throwsCode(cache.invalidatePrefix("blo"), "invalid_prefix");
  await cache.set("v", "one", { version: 1 });
  assert.equal(await cache.get("v", { version: 1 }), "one");
  assert.equal(await cache.get("v", { version: 2 }), undefined);
  assert.equal(await cache.bumpVersion("v"), 1);
  assert.equal(await cache.get("v", { version: 1 }), undefined);
  assert.equal(await cache.has("user:1"), true);
  assert.equal(await cache.delete("user:1"), true);
  assert.equal(await cache.get("user:1"), undefined);
  assert.equal(await cache.has("user:1"), false);
  assert.equal(await cache.delete("user:1"), false, "nothing left to delete");
  await cache.set("z", "z");
  await cache.invalidateAll();
  assert.equal(await cache.get("z"), undefined);
  const { records: log, cursor } = await cache.log({ limit: 10 });
  assert.ok(log.length >= 6);
  assert.equal(cursor, undefined);
  assert.equal(log[0].scopes[0].kind, "everything");
  assert.equal(cache.stats().invalidations, log.length);
  // Pages: the cursor continues where a page ended, newest first throughout.
  const first = await cache.log({ limit: 2 });
  assert.equal(first.records.length, 2);
  const rest = await cache.log({ limit: 100, cursor: first.cursor });
  assert.deepEqual([...first.records, ...rest.records].map((r) => r.at), log.map((r) => r.at));
  await throwsCode(cache.log({ limit: 0 }), "invalid_option");
});

test("getOrSet: one load for concurrent callers, sources, stale on error", async () => {
  const cache = new EdgeCache();
  let loads = 0;
  const loader = async () => {
    loads++;
    await sleep(30);
    return { page: "hello" };
  };
  const results = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet("hot", loader, { ttl: "1m", tags: ["t"] })));
  assert.equal(loads, 1);
  assert.deepEqual(results[0].value, { page: "hello" });
  assert.equal(results.filter((r) => r.source === "coalesced").length, 19);
  assert.equal((await cache.getOrSet("hot", loader)).source, "cached");
  await cache.set("old", "stale value", { ttl: 10, staleIfError: 60_000 });
  await sleep(30);
  const rescued = await cache.getOrSet("old", () => { throw new Error("origin down"); });
  assert.equal(rescued.source, "stale");
  assert.equal(rescued.value, "stale value");
  const failed = await throwsCode(cache.getOrSet("nothing", async () => { throw new Error("origin down"); }), "load_failed");
  assert.match(failed.message, /origin down/);
  assert.equal((await cache.getOrSet("sync", () => "plain value")).value, "plain value");
});

test("getOrSet answers stale at once inside staleWhileRevalidate and after a soft purge, refreshing in the background", async () => {
  const cache = new EdgeCache();
  await cache.getOrSet("k", () => "v1", { ttl: 50, staleWhileRevalidate: "1m" });
  await sleep(80);
  let loads = 0;
  const slow = (value) => () => { loads++; return sleep(300).then(() => value); };
  let started = Date.now();
  const stale = await cache.getOrSet("k", slow("v2"), { ttl: "1m", staleWhileRevalidate: "1m" });
  assert.ok(Date.now() - started < 150, `answered after ${Date.now() - started} ms, not at once`);
  assert.deepEqual([stale.value, stale.source, stale.status, stale.staleReason], ["v1", "stale", "stale", "expired"]);
  for (let i = 0; i < 100 && await cache.get("k") !== "v2"; i++) await sleep(20);
  assert.deepEqual([await cache.get("k"), loads], ["v2", 1]);
  await cache.invalidateKey("k", { soft: true });
  started = Date.now();
  const soft = await cache.getOrSet("k", slow("v3"), { ttl: "1m", staleWhileRevalidate: "1m" });
  assert.ok(Date.now() - started < 150, `answered after ${Date.now() - started} ms, not at once`);
  assert.deepEqual([soft.value, soft.source, soft.staleReason], ["v2", "stale", "soft_invalidated"]);
  for (let i = 0; i < 100 && await cache.get("k") !== "v3"; i++) await sleep(20);
  assert.equal(await cache.get("k"), "v3");
});

test("a stale-if-error answer says it is stale; a loader's error is the cause of load_failed", async () => {
  const cache = new EdgeCache();
  await cache.set("old", "stale value", { ttl: 10, staleIfError: 60_000 });
  await sleep(30);
  const rescued = await cache.getOrSet("old", () => { throw new Error("origin down"); });
  assert.deepEqual([rescued.value, rescued.source, rescued.status, rescued.staleReason], ["stale value", "stale", "stale", "expired"]);
  assert.ok(rescued.freshUntil < Date.now());
  const mine = new TypeError("database down");
  const failed = await throwsCode(cache.getOrSet("nothing", () => Promise.reject(mine)), "load_failed");
  assert.equal(failed.cause, mine);
  const thrown = await throwsCode(cache.getOrSet("sync-throw", () => { throw mine; }), "load_failed");
  assert.equal(thrown.cause, mine);
  assert.ok(failed instanceof EdgeCacheError);
});

test("delete, has and clear, as on a Map; a delete costs nothing for a key never stored and fences a load under way", async () => {
  const writes = [];
  const map = new Map();
  const store = {
    get: (k) => map.get(k) ?? null,
    put: (k, v) => { writes.push(k); map.set(k, v); },
    delete: (k) => { map.delete(k); },
    list: async () => ({ keys: [], list_complete: true }),
  };
  const cache = new EdgeCache({ store });
  assert.equal(await cache.delete("never"), false);
  assert.deepEqual(writes, [], "no write for a key never stored");
  let release;
  const pending = cache.getOrSet("loading", () => new Promise((r) => (release = r)));
  while (!release) await sleep(1);
  assert.equal(await cache.delete("loading"), false, "no value was there yet");
  release("old");
  assert.match((await pending).notStored, /raced/);
  assert.equal(await cache.has("loading"), false);
  await cache.set("a", 1);
  await cache.set("b", 2);
  await cache.clear();
  assert.deepEqual([await cache.has("a"), await cache.has("b")], [false, false]);
});

test("durations are milliseconds or strings with a unit", async () => {
  const cache = new EdgeCache({ defaultTtl: "2h" });
  const now = Date.now();
  for (const [ttl, ms] of [[1500, 1500], ["250ms", 250], ["30s", 30_000], ["1.5m", 90_000], ["2h", 7_200_000], ["7d", 604_800_000], [undefined, 7_200_000]]) {
    await cache.set("k", "v", { ttl });
    const { freshUntil, storedAt } = await cache.getEntry("k");
    assert.equal(freshUntil - storedAt, ms, String(ttl));
    assert.ok(storedAt >= now);
  }
  for (const ttl of ["60", "5 minutes", "-1s", -1, "1w", true, Infinity]) {
    await throwsCode(cache.set("k", "v", { ttl }), "invalid_option");
  }
});

test("a loader's context: its ttl and tags keep the value, skip() keeps it out", async () => {
  const cache = new EdgeCache();
  const learnt = await cache.getOrSet("page", (ctx) => {
    ctx.ttl = "90s";
    ctx.tags.push("learnt");
    return "body";
  }, { ttl: "1m", tags: ["given"] });
  assert.deepEqual([learnt.freshUntil - learnt.storedAt, learnt.tags.sort()], [90_000, ["given", "learnt"]]);
  await cache.invalidateTag("learnt");
  assert.equal(await cache.get("page"), undefined, "a tag the loader reported is purged like a given one");
  let loads = 0;
  const skipped = await cache.getOrSet("private", async (ctx) => { loads++; ctx.skip(); return "for this caller"; });
  assert.deepEqual([skipped.value, skipped.source, typeof skipped.notStored], ["for this caller", "loaded", "string"]);
  assert.equal(await cache.get("private"), undefined);
  await cache.getOrSet("private", (ctx) => { loads++; ctx.skip(); return "again"; });
  assert.equal(loads, 2, "nothing stored, so the next call loads again");
});

test("getOrSet is fenced: a purge during the load keeps the loaded value out of the cache", async () => {
  const cache = new EdgeCache();
  let release;
  const pending = cache.getOrSet("article:1", () => new Promise((r) => (release = r)), { tags: ["articles"] });
  while (!release) await sleep(1);
  await cache.invalidateTag("articles");
  release("old content");
  const result = await pending;
  assert.equal(result.value, "old content");
  assert.match(result.notStored, /raced/);
  assert.equal(await cache.get("article:1"), undefined);
});

test("bad inputs throw EdgeCacheError with a code", async () => {
  assert.throws(() => new EdgeCache({ namespace: "no spaces" }), (e) => e.code === "invalid_option");
  assert.throws(() => new EdgeCache({ ttl: 5 }), (e) => e.code === "invalid_option" && /unknown field/.test(e.message));
  assert.throws(() => new EdgeCache({ defaultTtl: -1 }), (e) => e.code === "invalid_option");
  assert.throws(() => new EdgeCache({ store: 42 }), (e) => e.code === "invalid_option");
  const cache = new EdgeCache();
  await throwsCode(cache.set("k", undefined), "invalid_value");
  await throwsCode(cache.set("k", () => 1), "invalid_value");
  // JSON.stringify answers undefined for it (was a bare Error from an unwrap, with no code).
  await throwsCode(cache.set("k", { toJSON: () => undefined }), "invalid_value");
  const cyclic = {};
  cyclic.self = cyclic;
  await throwsCode(cache.set("k", cyclic), "invalid_value");
  assert.equal(await cache.get("k"), undefined, "nothing was stored");
  await throwsCode(cache.set("k", "v", { ttl: "60" }), "invalid_option");
  await throwsCode(cache.set("k", "v", { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }), "too_many_tags");
  await throwsCode(cache.set("k", "v", { tags: [""] }), "invalid_tag");
  await throwsCode(cache.set("", "v"), "invalid_key");
  await throwsCode(cache.set("big", "x".repeat(1_100_000)), "value_too_large");
  await throwsCode(cache.get("k", { version: 1.5 }), "invalid_option");
  // A field of the wrong type is named in the message; the call stores nothing.
  const named = (field) => (e) => e.code === "invalid_option" && e.message.includes(`\`${field}\``);
  await assert.rejects(cache.set("k", "v", { tags: "articles" }), named("tags"));
  await assert.rejects(cache.set("k", "v", { tags: ["a", 1] }), named("tags"));
  await assert.rejects(cache.invalidateTag("a", { soft: "yes" }), named("soft"));
  await assert.rejects(cache.getOrSet("k", () => "v", { staleIfError: true }), named("staleIfError"));
  assert.throws(() => new EdgeCache({ namespace: 7 }), named("namespace"));
  assert.throws(() => new EdgeCache("memory"), (e) => e.code === "invalid_option" && /must be an object/.test(e.message));
  assert.equal(await cache.get("k"), undefined, "nothing was stored by the refused calls");
  // null and undefined fields are absent, as before.
  await cache.set("k", "v", { ttl: null, tags: undefined });
  assert.equal(await cache.get("k"), "v");
});

test("a bounded memory store evicts instead of growing", async () => {
  const cache = new EdgeCache({ maxBytes: 64 * 1024 });
  for (let i = 0; i < 200; i++) await cache.set(`k${i}`, "x".repeat(1000));
  assert.equal(await cache.get("k0"), undefined, "the oldest was evicted");
  assert.equal((await cache.get("k199")).length, 1000);
});

test("a Map and a Workers-KV-shaped object plug in as stores", async () => {
  const map = new Map();
  const onMap = new EdgeCache({ store: map });
  await onMap.set("k", "v", { tags: ["t"] });
  assert.equal(await onMap.get("k"), "v");
  assert.ok([...map.keys()].some((k) => k.includes("/e/k@v0")), "entries live in the Map");
  await onMap.invalidateTag("t");
  assert.equal(await onMap.get("k"), undefined);

  const calls = [];
  const data = new Map();
  const kvLike = {
    async get(key, options) { calls.push("get"); assert.equal(options.type, "arrayBuffer"); return data.get(key) ?? null; },
    async put(key, value, options) { calls.push("put"); assert.ok(options.expirationTtl >= 60); data.set(key, value); },
    async delete(key) { calls.push("delete"); data.delete(key); },
    async list({ prefix }) { calls.push("list"); return { keys: [...data.keys()].filter((k) => k.startsWith(prefix)).sort().map((name) => ({ name })), list_complete: true }; },
  };
  const onKv = new EdgeCache({ store: kvLike });
  await onKv.set("k", { json: true }, { tags: ["t"] });
  assert.deepEqual(await onKv.get("k"), { json: true });
  await onKv.invalidateTag("t", { by: "test" });
  assert.equal(await onKv.get("k"), undefined);
  assert.equal((await onKv.log()).records[0].actor, "test");
  assert.ok(calls.includes("put") && calls.includes("get") && calls.includes("list"));

  const broken = new EdgeCache({ store: { get() { throw new Error("KV down"); }, put() {}, delete() {}, list() {} } });
  await throwsCode(broken.get("k"), "store_unavailable");
  const loaded = await broken.getOrSet("k", () => "from origin");
  assert.equal(loaded.value, "from origin", "a failing store falls through to the loader");
});

test("signPurge and verifyPurge interoperate with npm standardwebhooks both ways", () => {
  const body = JSON.stringify({ tags: ["articles"] });
  const headers = signPurge(SECRET, body, {});
  assert.match(headers["webhook-id"], /^msg_/);
  assert.deepEqual(new Webhook(SECRET).verify(body, headers), { tags: ["articles"] });
  const id = "msg_js";
  const now = new Date();
  const theirs = {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(SECRET).sign(id, now, body),
  };
  assert.deepEqual(verifyPurge(SECRET, theirs, body, {}), { id, timestamp: Math.floor(now.getTime() / 1000) });
  assert.deepEqual(verifyPurge(SECRET, new Headers(theirs), new TextEncoder().encode(body), {}).id, id);
  assert.throws(() => verifyPurge(SECRET, theirs, body + " ", {}), (e) => e.code === "signature_mismatch");
  assert.throws(() => verifyPurge(SECRET, { ...theirs, "webhook-timestamp": "123abc" }, body, {}), (e) => e.code === "invalid_timestamp");
  assert.throws(() => verifyPurge(SECRET, theirs, body, { now: Math.floor(now.getTime() / 1000) + 1000 }), (e) => e.code === "timestamp_too_old");
  assert.throws(() => signPurge("not-a-secret", body, {}), (e) => e.code === "invalid_secret");
  assert.throws(() => signPurge(SECRET, 42, {}), (e) => e.code === "invalid_body");
  assert.throws(() => signPurge(SECRET, body, { id: "has.dot" }), (e) => e.code === "invalid_id");
});

// The in-memory store answers repeated fresh hits from a memo on the JS side (no wasm call);
// these check it never answers differently from the core.
test("the hot memo never serves what a write, purge or expiry changed", async () => {
  const cache = new EdgeCache();
  const value = async (key) => await cache.get(key);
  await cache.set("k", "v1", { ttl: "1m", tags: ["t"] });
  assert.equal(await value("k"), "v1");
  assert.equal(await value("k"), "v1", "remembered");
  const setting = cache.set("k", "v2", { ttl: "1m", tags: ["t"] }); // not awaited
  assert.equal(await value("k"), "v2", "a get issued after set() sees it");
  await setting;
  // A lookup that was in flight when a write began is not remembered.
  const before = cache.get("k");
  const writing = cache.set("k", "v3", { ttl: "1m", staleWhileRevalidate: "1m", tags: ["t"] });
  assert.equal(await before, "v2");
  await writing;
  assert.equal(await value("k"), "v3");
  assert.equal(await value("k"), "v3");
  await cache.invalidateTag("t", { soft: true });
  assert.equal((await cache.getEntry("k")).status, "stale");
  await cache.set("k", "v4", { ttl: "1m", tags: ["t"] });
  assert.equal(await value("k"), "v4");
  await cache.invalidateTag("t");
  assert.equal(await value("k"), undefined, "a tag purge empties the memo");
  await cache.set("k", "v5", { ttl: 60_000 });
  await cache.set("other", "o", { ttl: 60_000 });
  assert.equal(await value("k"), "v5");
  assert.equal(await value("other"), "o");
  await cache.delete("k");
  assert.equal(await value("k"), undefined);
  assert.equal(await value("other"), "o", "deleting a key keeps the others remembered");
  await cache.getOrSet("k", () => "loaded", { ttl: 50 });
  assert.equal(await value("k"), "loaded");
  assert.equal(await value("k"), "loaded");
  await sleep(80);
  assert.equal(await value("k"), undefined, "expired while remembered");
  await cache.set("k", "v6", { ttl: 60_000 });
  assert.equal(await value("k"), "v6");
  assert.equal(await cache.bumpVersion("k"), 1);
  assert.equal(await value("k"), undefined, "bumpVersion invalidates every version");
});

test("memo hits hand out their own copies and count as hits", async () => {
  const cache = new EdgeCache();
  await cache.set("j", { list: [1, 2] }, { ttl: "1m", tags: ["a"] });
  await cache.set("b", new Uint8Array([1, 2, 3]), { ttl: 60_000 });
  for (let i = 0; i < 3; i++) {
    const j = await cache.getEntry("j");
    assert.deepEqual(j.value, { list: [1, 2] });
    assert.deepEqual(j.tags, ["a"]);
    j.value.list.push(99);
    j.tags.push("mutated");
    const b = await cache.get("b");
    assert.deepEqual(b, new Uint8Array([1, 2, 3]));
    b[0] = 42;
    const value = await cache.get("j");
    assert.deepEqual(value, { list: [1, 2] });
    value.list.push(100);
  }
  assert.equal(cache.stats().hits, 9);
  await throwsCode(cache.get(42), "invalid_key");
});

test("getOrSet loaders may return a value, a promise or any thenable", async () => {
  const cache = new EdgeCache();
  assert.equal((await cache.getOrSet("sync", () => "plain")).value, "plain");
  assert.deepEqual((await cache.getOrSet("object", () => ({ then: 1 }))).value, { then: 1 }, "a `then` that is no function");
  assert.equal((await cache.getOrSet("promise", async () => "awaited")).value, "awaited");
  assert.equal((await cache.getOrSet("thenable", () => ({ then: (resolve) => resolve("thenable") }))).value, "thenable");
  await throwsCode(cache.getOrSet("rejected", () => ({ then: (_, reject) => reject(new Error("no")) })), "load_failed");
});

test("every options type takes exactly the fields its declaration names (the reader and the types cannot drift)", async () => {
  // The interfaces tsify-next generated from src/js/types.rs, as a user's editor sees them.
  const declarations = fs.readFileSync(require.resolve("../../pkg/npm/nodejs/edgecache.d.ts"), "utf8");
  const declared = (name) => {
    const body = declarations.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))[1];
    return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]).sort();
  };
  // Each reader refuses an unknown field naming the fields it takes.
  const cache = new EdgeCache();
  const readers = {
    EdgeCacheOptions: (o) => new EdgeCache(o),
    SetOptions: (o) => cache.set("k", "v", o),
    GetOptions: (o) => cache.get("k", o),
    InvalidateOptions: (o) => cache.invalidateKey("k", o),
    LogOptions: (o) => cache.log(o),
    FollowOptions: (o) => cache.followEdge("http://127.0.0.1:9/", o),
    SignOptions: (o) => signPurge(SECRET, "{}", o),
    VerifyOptions: (o) => verifyPurge(SECRET, signPurge(SECRET, "{}"), "{}", o),
  };
  const everyOptionsType = [...declarations.matchAll(/export interface (\w+Options) \{/g)].map((m) => m[1]).sort();
  assert.deepEqual(everyOptionsType, Object.keys(readers).sort());
  for (const [name, read] of Object.entries(readers)) {
    const error = await throwsCode(() => read({ notAnOption: 1 }), "invalid_option");
    const taken = [...error.message.split("expected one of:")[1].matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
    assert.deepEqual(taken, declared(name), `${name}: fields read vs fields declared`);
  }
});
