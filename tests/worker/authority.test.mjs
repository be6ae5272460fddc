// The purge authority (the PURGES Durable Object) in real workerd: purges reach other isolates
// through its feed within the feed interval, fills racing a purge are fenced, its storage
// survives a restart, its log and replay set are shared by every isolate, and an unreachable
// authority makes the worker fall back to KV stamps and say so.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { startOrigin, startWorker, cacheStatus, purge, sleep, AUTHORITY, SECRET } from "./harness.mjs";

const skip = AUTHORITY ? false : "KV-only run (EDGECACHE_AUTHORITY=off)";
const FEED = 300; // PURGE_FEED_MS in these tests
const vars = { PURGE_FEED_MS: String(FEED), STAMP_MEMO_MS: undefined };
let origin;

before(async () => {
  const page = (tag, delay) => (req, res, n) =>
    setTimeout(() => {
      res.writeHead(200, { "cache-control": "max-age=300", "cache-tag": tag });
      res.end(`${tag} fill ${n}`);
    }, delay);
  origin = await startOrigin({ "/a": page("a", 0), "/b": page("b", 0), "/slow": page("slow", 400) });
});

after(async () => {
  await origin?.close();
});

async function get(edge, p) {
  const res = await edge.fetch(p);
  return { status: res.status, body: await res.text(), cs: cacheStatus(res) };
}

async function signedGet(edge, p) {
  const id = `msg_${Math.random().toString(16).slice(2)}`;
  const now = new Date();
  const signature = new Webhook(SECRET).sign(id, now, `GET ${p}`);
  const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": signature };
  return edge.fetch(p, { headers });
}

const stats = async (edge) => (await edge.fetch("/_edgecache/stats")).json();

test("a purge through one isolate reaches another at its next feed read, and feed reads do not grow with requests", { skip }, async () => {
  const edge = await startWorker(origin.url, vars, { twin: true });
  try {
    assert.equal((await get(edge, "/a")).cs.stored, true);
    assert.equal((await get(edge, "/a")).cs.hit, true);
    assert.equal((await get(edge.twin, "/a")).cs.hit, true, "the twin finds the entry in KV");
    const before = await stats(edge);
    const started = Date.now();
    let requests = 0;
    while (Date.now() - started < 1_500) {
      assert.equal((await get(edge, "/a")).cs.hit, true);
      requests++;
    }
    const reads = (await stats(edge)).authority.feed_reads - before.authority.feed_reads;
    assert.ok(requests > 20 && reads <= Math.ceil(1_500 / FEED) + 2, `${reads} feed reads for ${requests} requests`);
    const receipt = await (await purge(edge.twin, { tags: ["a"] })).json();
    assert.equal(typeof receipt.seq, "number");
    assert.equal((await get(edge.twin, "/a")).cs.hit, false, "the isolate that sent it sees it at once");
    await sleep(FEED + 50);
    const after = await get(edge, "/a");
    assert.equal(after.cs.hit, false, "seen by the other isolate after the feed interval");
    assert.equal((await stats(edge)).authority.feed_position, receipt.seq);
  } finally {
    await edge.close();
  }
});

test("a fill racing a purge in another isolate never becomes fresh", { skip }, async () => {
  const edge = await startWorker(origin.url, vars, { twin: true });
  try {
    const racing = get(edge, "/slow"); // the origin takes 400 ms
    await sleep(150);
    assert.equal((await purge(edge.twin, { tags: ["slow"] })).status, 200);
    const raced = await racing;
    assert.equal(raced.status, 200);
    await sleep(FEED + 50);
    for (const isolate of [edge, edge.twin]) {
      const next = await get(isolate, "/slow");
      assert.notEqual(next.body, raced.body, "the raced fill was served after the purge");
    }
  } finally {
    await edge.close();
  }
});

test("the log comes from the authority, and a replay sent to another isolate gets the first receipt and applies nothing", { skip }, async () => {
  const edge = await startWorker(origin.url, vars, { twin: true });
  try {
    const first = await (await purge(edge, { keys: ["/b"] }, { id: "msg_once" })).json();
    const replay = await purge(edge.twin, { keys: ["/b"] }, { id: "msg_once" });
    assert.equal(replay.status, 200);
    const again = await replay.json();
    assert.equal(again.replayed, true);
    assert.equal(again.seq, first.seq);
    assert.equal(again.applied_at, first.applied_at);
    await purge(edge.twin, { tags: ["b"] }, { id: "msg_twice" });
    const logs = [];
    for (const isolate of [edge, edge.twin]) {
      const res = await signedGet(isolate, "/_edgecache/log");
      assert.equal(res.status, 200);
      logs.push((await res.json()).records.map((r) => r.request_id));
    }
    assert.deepEqual(logs[0], ["msg_twice", "msg_once"], "newest first, the replay not logged");
    assert.deepEqual(logs[1], logs[0], "one log, whichever isolate is asked");
  } finally {
    await edge.close();
  }
});

test("the authority's storage survives a restart with the same persist folder", { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "edgecache-persist-"));
  try {
    let edge = await startWorker(origin.url, vars, { persist: dir });
    const first = await (await purge(edge, { tags: ["a"] }, { id: "msg_kept" })).json();
    await edge.close();
    edge = await startWorker(origin.url, vars, { persist: dir });
    try {
      const replay = await (await purge(edge, { tags: ["a"] }, { id: "msg_kept" })).json();
      assert.equal(replay.replayed, true, "the replay set survived");
      assert.equal(replay.seq, first.seq);
      const next = await (await purge(edge, { tags: ["b"] })).json();
      assert.equal(next.seq, first.seq + 1, "the sequence continues");
      const log = await (await signedGet(edge, "/_edgecache/log")).json();
      assert.ok(log.records.some((r) => r.request_id === "msg_kept"), "the log survived");
    } finally {
      await edge.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("with the authority failing the worker falls back to KV stamps and says so, then follows it again", { skip }, async () => {
  const edge = await startWorker(origin.url, vars, { flakyAuthority: true });
  try {
    await get(edge, "/a");
    assert.equal((await purge(edge, { tags: ["a"] })).status, 200);
    assert.equal((await get(edge, "/a")).cs.hit, false, "purged");
    assert.equal((await get(edge, "/a")).cs.hit, true, "refilled");
    for (const mode of ["fail", "hang"]) {
      edge.setAuthority(mode);
      await sleep(FEED + 50);
      const started = Date.now();
      const res = await get(edge, "/a");
      assert.equal(res.status, 200);
      assert.ok(Date.now() - started < 3_000, `${mode}: waited ${Date.now() - started} ms`);
      assert.equal(res.cs.detail, "authority-unreachable", `${mode}: ${res.cs.raw}`);
      const s = await stats(edge);
      assert.equal(s.stamps, "kv");
      assert.ok(s.authority.fallback_reason, JSON.stringify(s));
      assert.equal(s.staleness_bound_ms, 61_000, "the KV bound (propagation and memo), not the authority's");
      const refused = await purge(edge, { tags: ["a"] });
      assert.equal(refused.status, 503);
      assert.equal((await refused.json()).error, "authority_unavailable");
      // The purge applied while it was up is in KV's mirror: still honoured.
      assert.equal((await get(edge, "/a")).cs.hit, true);
    }
    edge.setAuthority("ok");
    await sleep(FEED + 50);
    const back = await get(edge, "/a");
    assert.notEqual(back.cs.detail, "authority-unreachable");
    const s = await stats(edge);
    assert.equal(s.stamps, "authority");
    assert.equal(s.staleness_bound_ms, FEED + 1_000);
  } finally {
    await edge.close();
  }
});
