// The control endpoints and the failure paths, end to end in workerd.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { startOrigin, startWorker, cacheStatus, purge, SECRET, AUTHORITY } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let origin;
let edge;

before(async () => {
  origin = await startOrigin({
    "/page": (req, res, n) => {
      res.writeHead(200, { "cache-control": "max-age=600", "cache-tag": "articles,article:1" });
      res.end(`page ${n}`);
    },
  });
  edge = await startWorker(origin.url, {}, { port: 0 });
});

after(async () => {
  await edge?.close();
  await origin?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const sign = (id, ts, body, secret = SECRET) => new Webhook(secret).sign(id, new Date(ts * 1000), body);

async function stillCached() {
  const res = await edge.fetch("/page");
  await res.text();
  return cacheStatus(res).hit;
}

test("every bad purge is refused with its reason code and nothing is purged", async () => {
  await (await edge.fetch("/page")).text();
  assert.equal(await stillCached(), true);
  const body = JSON.stringify({ tags: ["articles"] });
  const ts = now();
  const good = sign("msg_x", ts, body);
  const v1 = (bytes) => `v1,${Buffer.alloc(bytes, 7).toString("base64")}`;
  const cases = [
    ["missing id", { "webhook-timestamp": `${ts}`, "webhook-signature": good }, body, 400, "missing_header"],
    ["missing timestamp", { "webhook-id": "msg_x", "webhook-signature": good }, body, 400, "missing_header"],
    ["missing signature", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}` }, body, 400, "missing_header"],
    // The platform trims header values, and may drop an empty one: either way a 400.
    ["empty id", { "webhook-id": " ", "webhook-timestamp": `${ts}`, "webhook-signature": good }, body, 400, ["empty_header", "missing_header"]],
    ["duplicated signature", [["webhook-id", "msg_x"], ["webhook-timestamp", `${ts}`], ["webhook-signature", good], ["webhook-signature", good]], body, 400, "duplicate_header"],
    ["id with a dot", { "webhook-id": "msg.x", "webhook-timestamp": `${ts}`, "webhook-signature": good }, body, 400, "invalid_id"],
    ["long id", { "webhook-id": "m".repeat(65), "webhook-timestamp": `${ts}`, "webhook-signature": good }, body, 400, "invalid_id"],
    ["timestamp with junk", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}abc`, "webhook-signature": good }, body, 400, "invalid_timestamp"],
    ["signed timestamp", { "webhook-id": "msg_x", "webhook-timestamp": `+${ts}`, "webhook-signature": good }, body, 400, "invalid_timestamp"],
    ["too old", { "webhook-id": "msg_x", "webhook-timestamp": `${ts - 301}`, "webhook-signature": sign("msg_x", ts - 301, body) }, body, 401, "timestamp_too_old"],
    ["too new", { "webhook-id": "msg_x", "webhook-timestamp": `${ts + 360}`, "webhook-signature": sign("msg_x", ts + 360, body) }, body, 401, "timestamp_too_new"], // margin: the test itself takes time
    ["too many signatures", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": Array(9).fill(good).join(" ") }, body, 400, "too_many_signatures"],
    ["token without comma", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": "v1" }, body, 400, "malformed_signature"],
    ["empty v1", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": "v1," }, body, 400, "empty_signature"],
    ["bad base64", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": "v1,@@@@" }, body, 400, "invalid_base64"],
    ["31-byte MAC", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": v1(31) }, body, 400, "wrong_signature_length"],
    ["no v1", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": "v1a,Zm9v" }, body, 401, "no_v1_signature"],
    ["wrong secret", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": sign("msg_x", ts, body, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD") }, body, 401, "signature_mismatch"],
    ["tampered body", { "webhook-id": "msg_x", "webhook-timestamp": `${ts}`, "webhook-signature": good }, JSON.stringify({ tags: ["other"] }), 401, "signature_mismatch"],
  ];
  const bodyCases = [
    ["too large", "x".repeat(70_000), 413, "body_too_large"],
    ["not JSON", "tags=articles", 422, "body_not_json"],
    ["unknown field", JSON.stringify({ tagz: ["articles"] }), 422, "unknown_field"],
    ["wrong type", JSON.stringify({ tags: "articles" }), 422, "wrong_type"],
    ["empty request", "{}", 422, "empty_request"],
    ["empty list", JSON.stringify({ tags: [] }), 422, "empty_list"],
    ["long list", JSON.stringify({ tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }), 422, "list_too_long"],
    ["long item", JSON.stringify({ keys: ["k".repeat(2049)] }), 422, "item_too_long"],
    ["prefix off a boundary", JSON.stringify({ prefixes: ["/art"] }), 422, "invalid_item"],
  ];
  for (const [name, b, status, code] of bodyCases) {
    const id = `msg_${code}`;
    cases.push([name, { "webhook-id": id, "webhook-timestamp": `${ts}`, "webhook-signature": sign(id, ts, b) }, b, status, code]);
  }
  for (const [name, headers, payload, status, code] of cases) {
    const res = await edge.fetch("/_edgecache/purge", { method: "POST", headers: new Headers(headers), body: payload });
    const answer = await res.json();
    assert.equal(res.status, status, `${name}: ${JSON.stringify(answer)}`);
    if (Array.isArray(code)) assert.ok(code.includes(answer.error), name);
    else assert.equal(answer.error, code, name);
    assert.equal(await stillCached(), true, `${name} purged something`);
  }
  const log = await signedLog();
  assert.equal(log.records.length, 0, "nothing was logged");
});

/** The headers of a signed read of `path` (its method and target signed in place of a body). */
function readHeaders(path, id = `msg_get_${Math.random().toString(16).slice(2)}`) {
  const ts = now();
  return { "webhook-id": id, "webhook-timestamp": `${ts}`, "webhook-signature": sign(id, ts, `GET ${path}`) };
}

/** A GET of a signed control endpoint. */
function signedGet(on, path) {
  return on.fetch(path, { headers: readHeaders(path) });
}

async function signedLog() {
  const res = await signedGet(edge, "/_edgecache/log");
  assert.equal(res.status, 200);
  return res.json();
}

test("a good purge returns a receipt, is logged, and a replay gets the same receipt without applying twice", async () => {
  const res = await purge(edge, { tags: ["article:1"] }, { id: "msg_good" });
  const receipt = await res.json();
  assert.equal(res.status, 200);
  assert.deepEqual(receipt.purged, { tags: ["article:1"] });
  assert.equal(receipt.id, "msg_good");
  assert.equal(receipt.stamp_writes, 2);
  // The bound this deployment keeps: the feed interval and one authority timeout, or KV's.
  assert.equal(receipt.staleness_bound_ms, AUTHORITY ? 2_000 : 60_000);
  assert.equal(typeof receipt.seq, AUTHORITY ? "number" : "undefined");
  assert.equal(await stillCached(), false, "purged");
  assert.equal(await stillCached(), true, "refilled");
  const replay = await purge(edge, { tags: ["article:1"] }, { id: "msg_good" });
  assert.equal(replay.status, 200);
  const again = await replay.json();
  assert.equal(again.replayed, true);
  assert.deepEqual({ ...again, replayed: undefined }, { ...receipt, replayed: undefined }, "the first receipt");
  assert.equal(await stillCached(), true, "the replay purged nothing");
  const log = await signedLog();
  assert.equal(log.records.length, 1);
  assert.equal(log.records[0].request_id, "msg_good");
  const unsigned = await edge.fetch("/_edgecache/log");
  assert.equal(unsigned.status, 400);
});

test("a signed read signs what it asks: its headers ask for nothing else, serve once, and a bad limit is a 400", async () => {
  const path = "/_edgecache/log?limit=5";
  const headers = readHeaders(path);
  const other = await edge.fetch("/_edgecache/log?limit=1000", { headers });
  assert.equal(other.status, 401, "the same headers for another query");
  assert.equal((await other.json()).error, "signature_mismatch");
  assert.equal((await edge.fetch("/_edgecache/tagged?tag=a", { headers })).status, 401, "for another endpoint");
  const first = await edge.fetch(path, { headers });
  assert.equal(first.status, 200, "as signed");
  const again = await edge.fetch(path, { headers });
  assert.equal(again.status, 409, "the same headers twice");
  assert.equal((await again.json()).error, "already_used");
  const emptyBody = sign("msg_old_style", now(), "");
  const oldStyle = { "webhook-id": "msg_old_style", "webhook-timestamp": `${now()}`, "webhook-signature": emptyBody };
  assert.equal((await edge.fetch(path, { headers: oldStyle })).status, 401, "a signature over an empty body reads nothing");
  for (const limit of ["abc", "0", "1001", "1.5", "-1"]) {
    const res = await signedGet(edge, `/_edgecache/log?limit=${limit}`);
    assert.equal(res.status, 400, `limit=${limit}`);
    assert.equal((await res.json()).error, "invalid_limit");
  }
});

test("stats and tags endpoints", async () => {
  const stats = await (await edge.fetch("/_edgecache/stats")).json();
  // Behind the authority, purges are applied there and reach this isolate through the feed.
  const purges = AUTHORITY ? stats.authority.feed_position : stats.stats.invalidations;
  assert.ok(stats.stats.hits > 0 && purges >= 1, JSON.stringify(stats));
  assert.equal(stats.stamps, AUTHORITY ? "authority" : "kv");
  const before = await (await edge.fetch("/_edgecache/tags?t=articles,never-used")).json();
  assert.equal(before.tags["never-used"], null);
  await purge(edge, { tags: ["articles"], mode: "soft" });
  const afterPurge = await (await edge.fetch("/_edgecache/tags?t=articles")).json();
  assert.notEqual(afterPurge.tags.articles, before.tags.articles, "a purge changes the published stamp");
  assert.equal((await edge.fetch("/_edgecache/tags")).status, 400);
  assert.equal((await edge.fetch("/_edgecache/nope")).status, 404);
});

test("the tags endpoint can be switched off", async () => {
  const closed = await startWorker(origin.url, { TAGS_ENDPOINT: "off" });
  try {
    assert.equal((await closed.fetch("/_edgecache/tags?t=a")).status, 404);
  } finally {
    await closed.close();
  }
});

// 20 first fills of pages under /blog/2026/, 3 tags each (one shared, one of five sections, one
// per page), 4 at a time: what each costs in KV writes, by TAG_INDEX.
async function firstFills(vars) {
  const pages = await startOrigin({
    "/blog/2026/page": (req, res) => {
      const n = new URL(req.url, "http://o").searchParams.get("n");
      res.writeHead(200, { "cache-control": "max-age=600", "cache-tag": `blog,section${n % 5},page${n}` });
      res.end(`page ${n}`);
    },
  });
  const flaky = await startWorker(pages.url, vars, { flakyKv: true });
  try {
    flaky.resetKvOps();
    for (let n = 0; n < 20; n += 4) {
      await Promise.all([0, 1, 2, 3].map(async (i) => {
        const res = await flaky.fetch(`/blog/2026/page?n=${n + i}`);
        await res.text();
        assert.equal(cacheStatus(res).stored, true, cacheStatus(res).raw);
      }));
    }
    const writes = flaky.kvOps().put ?? 0;
    const listed = await signedGet(flaky, "/_edgecache/tagged?tag=section1&limit=2");
    return { writes, listed: { status: listed.status, body: await listed.json() }, edge: flaky };
  } catch (e) {
    await flaky.close();
    throw e;
  } finally {
    await pages.close();
  }
}

test("a first fill is one KV write (no stamps for never-purged keys, tags or prefixes; no tag index by default)", async () => {
  const { writes, listed, edge: plain } = await firstFills({});
  await plain.close();
  assert.equal(writes, 20, "one entry per fill, nothing else");
  if (AUTHORITY) {
    // The purge authority keeps the tag index, from memberships the isolate reports in batches.
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.keys.length, 2);
  } else {
    assert.equal(listed.status, 409);
    assert.equal(listed.body.error, "tag_index_off");
  }
});

test("TAG_INDEX=on keeps one index key per tag, and /_edgecache/tagged lists a tag's keys (signed, paged)", async () => {
  const { writes, listed, edge: indexed } = await firstFills({ TAG_INDEX: "on" });
  try {
    // In KV: the entry and its 3 index keys; with the authority, the index is kept there.
    assert.equal(writes, AUTHORITY ? 20 : 20 * 4);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.tag, "section1");
    assert.equal(listed.body.keys.length, 2);
    assert.ok(listed.body.cursor, "more remain");
    const rest = await (await signedGet(indexed, `/_edgecache/tagged?tag=section1&cursor=${encodeURIComponent(listed.body.cursor)}`)).json();
    const keys = [...listed.body.keys, ...rest.keys].map((k) => `${k.key}@${k.version}`).sort();
    assert.deepEqual(keys, [1, 11, 16, 6].map((n) => `/blog/2026/page?n=${n}@0`).sort());
    assert.equal((await indexed.fetch("/_edgecache/tagged?tag=section1")).status, 400, "unsigned");
    assert.equal((await signedGet(indexed, "/_edgecache/tagged")).status, 400, "no tag named");
  } finally {
    await indexed.close();
  }
});

test("a missing or invalid setting fails every request with a 500 naming it", async () => {
  for (const [vars, setting] of [
    [{ ORIGIN_URL: undefined }, "ORIGIN_URL"],
    [{ ORIGIN_URL: "ftp://x" }, "ORIGIN_URL"],
    [{ PURGE_SECRETS: undefined }, "PURGE_SECRETS"],
    [{ PURGE_SECRETS: "whsec_short" }, "PURGE_SECRETS"],
    [{ DEFAULT_TTL: "ten" }, "DEFAULT_TTL"],
    [{ TAGS_ENDPOINT: "maybe" }, "TAGS_ENDPOINT"],
    [{ TAG_INDEX: "yes" }, "TAG_INDEX"],
    [{ EDGECACHE_NAMESPACE: "no spaces" }, "EDGECACHE_NAMESPACE"],
    [{ DEPLOY_VERSION: "v".repeat(17) }, "DEPLOY_VERSION"],
  ]) {
    const broken = await startWorker(origin.url, vars);
    try {
      for (const p of ["/page", "/_edgecache/stats"]) {
        const res = await broken.fetch(p);
        const body = await res.json();
        assert.equal(res.status, 500, setting);
        assert.equal(body.setting, setting);
        assert.ok(!JSON.stringify(body).includes("whsec_short") && !JSON.stringify(body).includes(SECRET.slice(6)), "no secret in the error");
      }
    } finally {
      await broken.close();
    }
  }
});

test("a failing KV never fails a request the origin can answer; a purge it cannot store is a 503", async () => {
  const flaky = await startWorker(origin.url, {}, { flakyKv: true });
  try {
    await (await flaky.fetch("/page")).text();
    flaky.setKv("fail-all");
    const before = origin.hits("/page?cold");
    const res = await flaky.fetch("/page?cold");
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^page /);
    assert.equal(cacheStatus(res).detail, "kv-unavailable");
    assert.equal(origin.hits("/page?cold"), before + 1);
    const failed = await purge(flaky, { tags: ["articles"] });
    assert.equal(failed.status, 503);
    // The authority keeps its replay set in its own storage; the stamps' KV mirror fails.
    assert.equal((await failed.json()).error, AUTHORITY ? "apply_failed" : "replay_guard_unavailable");
    flaky.setKv("fail-writes");
    // A sender retries the same message (same id) after a failure: the failed attempt is not
    // remembered as applied, so the retry applies; a retry after that gets the first receipt.
    const failedWrite = await purge(flaky, { tags: ["articles"] }, { id: "msg_retried" });
    assert.equal(failedWrite.status, 503);
    assert.equal((await failedWrite.json()).error, "apply_failed");
    const notStored = await flaky.fetch("/page");
    assert.equal(notStored.status, 200);
    await notStored.text();
    flaky.setKv("ok");
    const retried = await purge(flaky, { tags: ["articles"] }, { id: "msg_retried" });
    assert.equal(retried.status, 200, "the same purge applies once KV is back");
    const receipt = await retried.json();
    assert.equal(receipt.replayed, undefined, "applied now, not a replay");
    const again = await (await purge(flaky, { tags: ["articles"] }, { id: "msg_retried" })).json();
    assert.equal(again.replayed, true);
    assert.deepEqual({ ...again, replayed: undefined }, { ...receipt, replayed: undefined }, "the first receipt");
  } finally {
    await flaky.close();
  }
});

test("purges signed by the npm and PyPI standardwebhooks libraries, delivered twice as a retrying sender does, apply once", async () => {
  const python = process.env.EDGECACHE_PYTHON ?? path.join(root, ".venv/bin/python");
  const body = JSON.stringify({ tags: ["article:1"] });
  const ts = now();
  const signers = {
    npm: (id) => sign(id, ts, body),
    PyPI: (id) => JSON.parse(execFileSync(python, [path.join(root, "tests/interop/standardwebhooks_py.py"), "sign"], {
      input: JSON.stringify([{ secret: SECRET, id, timestamp: ts, body }]),
    }).toString())[0],
  };
  for (const [library, signer] of Object.entries(signers)) {
    const id = `msg_${library}_${Math.random().toString(16).slice(2)}`;
    const headers = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": `${ts}`, "webhook-signature": signer(id) };
    const logged = (await signedLog()).records.length;
    const first = await edge.fetch("/_edgecache/purge", { method: "POST", headers, body });
    assert.equal(first.status, 200, `${library}: ${await first.clone().text()}`);
    const receipt = await first.json();
    assert.equal(await stillCached(), false, `${library}: purged`);
    assert.equal(await stillCached(), true, `${library}: refilled`);
    const second = await edge.fetch("/_edgecache/purge", { method: "POST", headers, body });
    assert.equal(second.status, 200, `${library}: a redelivery is a success, so the sender stops retrying`);
    const replayed = await second.json();
    assert.equal(replayed.replayed, true, library);
    assert.deepEqual({ ...replayed, replayed: undefined }, { ...receipt, replayed: undefined }, `${library}: the first receipt`);
    assert.equal(await stillCached(), true, `${library}: the redelivery purged nothing`);
    assert.equal((await signedLog()).records.length, logged + 1, `${library}: logged once`);
  }
});

test("a purge body is read at most to its limit, whether or not it declares its length", async () => {
  await stillCached();
  const big = JSON.stringify({ tags: ["a"], pad: "x".repeat(70 * 1024) });
  const ts = now();
  const headers = { "content-type": "application/json", "webhook-id": "msg_big", "webhook-timestamp": `${ts}`, "webhook-signature": sign("msg_big", ts, big) };
  const declared = await edge.fetch("/_edgecache/purge", { method: "POST", headers, body: big });
  assert.equal(declared.status, 413);
  // Streamed in chunks, no Content-Length (raw HTTP/1.1, chunked): 160 KiB gets a 413.
  const { port } = new URL(edge.url);
  const head = `POST /_edgecache/purge HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  const chunk = `4000\r\n${"x".repeat(0x4000)}\r\n`;
  /** Sends up to `count` chunks of 16 KiB; the answer's first bytes and the chunks sent. */
  const chunked = (count) => new Promise((resolve) => {
    let data = "";
    let sent = 0;
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      socket.write(head);
      const more = () => {
        while (!socket.destroyed && sent < count && socket.write(chunk)) sent++;
        if (socket.destroyed) return;
        if (sent < count) socket.once("drain", more); else socket.write("0\r\n\r\n");
      };
      more();
    });
    socket.on("data", (d) => { data += d; });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ data, sent }));
    socket.setTimeout(20_000, () => socket.destroy());
  });
  const small = await chunked(10);
  assert.match(small.data, /^HTTP\/1\.1 413/, small.data.slice(0, 80));
  // An endless one: the edge stops reading at the limit and closes (the client sees the 413 or,
  // with unread bytes in flight, a reset) long before the 64 MiB it would send.
  const endless = await chunked(4096);
  assert.ok(endless.sent < 4096, `the edge read all ${endless.sent} chunks`);
  assert.equal(await stillCached(), true, "nothing purged");
});
