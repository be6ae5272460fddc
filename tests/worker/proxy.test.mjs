// The caching proxy, end to end: the built worker in workerd (Miniflare 4) with real local KV,
// in front of a scripted origin.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker, cacheStatus, purge, sleep } from "./harness.mjs";

let origin;
let edge;
const slowGate = { release: null };

function text(res, status, headers, body) {
  // No automatic Date: a whole-second Date gives a response up to a second of apparent age
  // (RFC 9111 §4.2.3), so the 1-second lifetimes below would sometimes be stale on arrival.
  // Routes that test Date-based rules send their own.
  res.sendDate = false;
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
}

before(async () => {
  origin = await startOrigin({
    "/plain": (req, res, n) => text(res, 200, { "cache-control": "max-age=60", "cache-tag": "a,b", "surrogate-key": "c d", "surrogate-control": "max-age=60", "x-hop": "1", connection: "x-hop" }, `plain ${n}`),
    "/no-store": (req, res, n) => text(res, 200, { "cache-control": "no-store" }, `ns ${n}`),
    "/private": (req, res, n) => text(res, 200, { "cache-control": "private, max-age=60" }, `p ${n}`),
    "/cookie": (req, res, n) => text(res, 200, { "cache-control": "max-age=60", "set-cookie": "s=1" }, `c ${n}`),
    "/cdn": (req, res, n) => text(res, 200, { "cache-control": "max-age=0, must-revalidate", "cdn-cache-control": "max-age=60" }, `cdn ${n}`),
    "/smaxage": (req, res, n) => text(res, 200, { "cache-control": "max-age=1, s-maxage=60" }, `s ${n}`),
    "/expires": (req, res, n) => text(res, 200, { date: new Date().toUTCString(), expires: new Date(Date.now() + 60_000).toUTCString() }, `e ${n}`),
    "/aged": (req, res, n) => text(res, 200, { "cache-control": "max-age=100", age: "40" }, `aged ${n}`),
    "/short": (req, res, n) => text(res, 200, { "cache-control": "max-age=1" }, `short ${n}`),
    // Answer once, then close the connection without answering (an origin that went away).
    "/gone": (req, res, n) => (n === 1 ? text(res, 200, { "cache-control": "max-age=1" }, "gone 1") : req.socket.destroy()),
    "/gone-purged": (req, res, n) => (n === 1 ? text(res, 200, { "cache-control": "max-age=1", "cache-tag": "gone" }, "gp 1") : req.socket.destroy()),
    "/gone-revalidate": (req, res, n) => (n === 1 ? text(res, 200, { "cache-control": "max-age=1, must-revalidate" }, "gr 1") : req.socket.destroy()),
    "/etag": (req, res, n) => {
      if (req.headers["if-none-match"] === '"v1"') return text(res, 304, { etag: '"v1"', "cache-control": "max-age=1, stale-if-error=60", "x-refreshed": String(n) }, "");
      text(res, 200, { etag: '"v1"', "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT", "cache-control": "max-age=1, stale-if-error=60" }, `etag ${n}`);
    },
    // Origins that answer a repeat request only when it is conditional (502 otherwise).
    "/insists-etag": (req, res, n) => {
      if (n === 1) return text(res, 200, { etag: 'W/"e1"', "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT", "cache-control": "max-age=1", "x-version": "1" }, "insists-etag body");
      if (req.headers["if-none-match"] === 'W/"e1"') return text(res, 304, { etag: 'W/"e1"', "cache-control": "max-age=60", "x-version": String(n), "content-length": "0" }, "");
      text(res, 502, {}, "unconditional refetch refused");
    },
    "/insists-date": (req, res, n) => {
      if (n === 1) return text(res, 200, { "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT", "cache-control": "max-age=1" }, "insists-date body");
      if (req.headers["if-modified-since"] === "Sun, 06 Nov 1994 08:49:37 GMT") return text(res, 304, { "cache-control": "max-age=60" }, "");
      text(res, 502, {}, "unconditional refetch refused");
    },
    "/ranged": (req, res, n) => text(res, 200, { "cache-control": "max-age=600", etag: '"r1"', "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT", "content-length": "26" }, "abcdefghijklmnopqrstuvwxyz"),
    "/swr": (req, res, n) => text(res, 200, { "cache-control": "max-age=1, stale-while-revalidate=30" }, `swr ${n}`),
    "/sie": (req, res, n) => (n === 1 ? text(res, 200, { "cache-control": "max-age=1, stale-if-error=60" }, "sie good") : text(res, 503, {}, "down")),
    "/fails": (req, res) => text(res, 503, {}, "origin says 503"),
    "/vary": (req, res, n) => text(res, 200, { "cache-control": "max-age=60", vary: "Accept-Language" }, `${req.headers["accept-language"]} ${n}`),
    "/tagged": (req, res, n) => text(res, 200, { "cache-control": "max-age=60, stale-while-revalidate=60", "cache-tag": "articles,article:1" }, `tagged ${n}`),
    "/slow": (req, res, n) => {
      const respond = () => text(res, 200, { "cache-control": "max-age=600", "cache-tag": "slow" }, `slow ${n}`);
      if (n === 1) slowGate.release = respond; else respond();
    },
    "/stampede": (req, res, n) => setTimeout(() => text(res, 200, { "cache-control": "max-age=600" }, `stampede ${n}`), 200),
    "/write": (req, res, n, body) => text(res, 200, { "cache-control": "max-age=600" }, `write ${n} ${req.method} ${body}`),
    "/big": (req, res, n) => text(res, 200, { "cache-control": "max-age=600", "content-length": "3000" }, "x".repeat(3000)),
    "/redirect": (req, res) => text(res, 302, { location: "/plain", "cache-control": "max-age=60" }, ""),
    "/timeout": (req, res) => setTimeout(() => text(res, 200, {}, "late"), 2_000),
    "/lm": (req, res, n) => text(res, 200, { "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT", date: new Date().toUTCString() }, `lm ${n}`),
    "/nothing": (req, res, n) => text(res, 200, {}, `nothing ${n}`),
    "/expires-invalid": (req, res, n) => {
      const soon = new Date(Date.now() + 3_600_000).toUTCString().replace(/ 0(\d):/, " $1:"); // a one-digit hour when it has one
      text(res, 200, { date: new Date().toUTCString(), expires: soon.replace(", ", ",  ") }, `expires-invalid ${n}`); // doubled space: never valid
    },
    "/huge-max-age": (req, res, n) => text(res, 200, { "cache-control": "max-age=99999999999" }, `huge ${n}`),
    "/huge-cdn-max-age": (req, res, n) => text(res, 200, { "cdn-cache-control": "max-age=2147483648" }, `huge-cdn ${n}`),
    "/age-list": (req, res, n) => text(res, 200, { "cache-control": "max-age=3600", age: "7200, 0" }, `age-list ${n}`),
    "/cdn-malformed": (req, res, n) => text(res, 200, { "cdn-cache-control": "max-age=10000, &&&&&", "cache-control": "no-store" }, `private ${n}`),
    "/cdn-mistyped": (req, res, n) => text(res, 200, { "cdn-cache-control": 'max-age="10000"', "cache-control": "no-store" }, `private ${n}`),
  });
  edge = await startWorker(origin.url, { MAX_BODY_BYTES: "1000", ORIGIN_TIMEOUT_MS: "500" });
});

after(async () => {
  await edge?.close();
  await origin?.close();
});

async function get(path, headers = {}) {
  const res = await edge.fetch(path, { headers });
  return { res, body: await res.text(), status: cacheStatus(res) };
}

test("a miss is stored, the next request is a hit; edge-only and hop-by-hop headers never reach the client", async () => {
  const first = await get("/plain");
  assert.equal(first.body, "plain 1");
  assert.equal(first.status.fwd, "uri-miss");
  assert.equal(first.status.stored, true);
  const second = await get("/plain");
  assert.equal(second.body, "plain 1");
  assert.equal(second.status.hit, true);
  assert.ok(second.status.ttl > 50 && second.status.ttl <= 60, second.status.raw);
  assert.equal(origin.hits("/plain"), 1);
  for (const h of ["cache-tag", "surrogate-key", "surrogate-control", "cdn-cache-control", "x-hop"]) {
    assert.equal(second.res.headers.get(h), null, h);
    assert.equal(first.res.headers.get(h), null, h);
  }
  // Whole seconds since it was stored: 0, or 1 on a machine slow enough to cross a second.
  assert.match(second.res.headers.get("age"), /^[01]$/);
});

test("no-store, private and Set-Cookie responses are never stored", async () => {
  for (const [path, detail] of [["/no-store", "no-store"], ["/private", "private"], ["/cookie", "set-cookie"]]) {
    const a = await get(path);
    const b = await get(path);
    assert.notEqual(a.body, b.body, path);
    assert.equal(b.status.detail, detail, b.status.raw);
    assert.equal(b.status.stored, false);
    assert.equal(origin.hits(path), 2, path);
  }
});

test("CDN-Cache-Control and s-maxage take precedence at the edge; Expires and Age count", async () => {
  await get("/cdn");
  assert.equal((await get("/cdn")).status.hit, true);
  assert.equal(origin.hits("/cdn"), 1);
  await get("/smaxage");
  await sleep(1100);
  assert.equal((await get("/smaxage")).status.hit, true, "s-maxage=60 beats max-age=1");
  await get("/expires");
  assert.equal((await get("/expires")).status.hit, true);
  await get("/aged");
  const aged = await get("/aged");
  assert.ok(aged.status.ttl <= 60, aged.status.raw);
  assert.equal(aged.res.headers.get("age"), "40");
});

test("an invalid Expires, or an Age list whose first value is old, is stale on arrival, never fresh", async () => {
  for (const path of ["/expires-invalid", "/age-list"]) {
    await get(path);
    const second = await get(path);
    assert.equal(second.status.hit, false, `${path}: ${second.status.raw}`);
    assert.equal(second.body, `${path.slice(1)} 2`, "refetched from the origin");
  }
});

test("an origin that cannot be reached gets a stored response past its lifetime served, unless purged or must-revalidate", async () => {
  for (const path of ["/gone", "/gone-purged", "/gone-revalidate"]) assert.equal((await get(path)).status.stored, true, path);
  assert.equal((await purge(edge, { tags: ["gone"] })).status, 200);
  await sleep(1_100);
  const stale = await get("/gone");
  assert.equal(stale.res.status, 200);
  assert.equal(stale.body, "gone 1");
  assert.equal(stale.status.detail, "stale-disconnected", stale.status.raw);
  for (const path of ["/gone-purged", "/gone-revalidate"]) {
    const refused = await get(path);
    assert.equal(refused.res.status, 502, `${path}: ${refused.status.raw} ${refused.body}`);
  }
});

test("huge max-age values are reused (capped at 2^31 s), in Cache-Control and CDN-Cache-Control", async () => {
  for (const path of ["/huge-max-age", "/huge-cdn-max-age"]) {
    await get(path);
    const second = await get(path);
    assert.equal(second.status.hit, true, `${path}: ${second.status.raw}`);
    assert.equal(second.status.ttl > 2_000_000_000, true, second.status.raw);
  }
});

test("a malformed or mistyped CDN-Cache-Control is ignored whole: Cache-Control's no-store holds", async () => {
  for (const path of ["/cdn-malformed", "/cdn-mistyped"]) {
    const first = await get(path);
    const second = await get(path);
    assert.deepEqual([first.body, second.body], ["private 1", "private 2"], path);
    assert.equal(second.status.hit, false);
    assert.equal(second.status.detail, "no-store", second.status.raw);
  }
});

test("short TTLs expire exactly (under KV's 60 s minimum)", async () => {
  await get("/short");
  assert.equal((await get("/short")).status.hit, true);
  await sleep(1100);
  const after = await get("/short");
  assert.equal(after.body, "short 2");
  assert.equal(origin.hits("/short"), 2);
});

test("heuristic freshness from Last-Modified; nothing explicit means not stored", async () => {
  await get("/lm");
  assert.equal((await get("/lm")).status.hit, true);
  await get("/nothing");
  const again = await get("/nothing");
  assert.equal(again.status.detail, "no-lifetime");
  assert.equal(origin.hits("/nothing"), 2);
});

test("HEAD is served from a cached GET, without a body", async () => {
  await get("/plain");
  const before = origin.hits("/plain");
  const res = await edge.fetch("/plain", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
  assert.equal(cacheStatus(res).hit, true);
  assert.equal(origin.hits("/plain"), before);
});

test("conditional requests from clients are answered 304 from the cache", async () => {
  await get("/etag");
  const inm = await get("/etag", { "if-none-match": '"v0", "v1"' });
  assert.equal(inm.res.status, 304);
  assert.equal(inm.res.headers.get("etag"), '"v1"');
  const ims = await get("/etag", { "if-modified-since": "Mon, 07 Nov 1994 00:00:00 GMT" });
  assert.equal(ims.res.status, 304);
  const modified = await get("/etag", { "if-none-match": '"v2"' });
  assert.equal(modified.res.status, 200);
  assert.equal(origin.hits("/etag"), 1, "the client's conditions were never forwarded");
});

test("a stale entry is revalidated with its validators; a 304 refreshes it", async () => {
  await sleep(1100); // /etag from the previous test is now stale (stale-if-error window)
  const revalidated = await get("/etag");
  assert.equal(revalidated.body, "etag 1", "the stored body, freshened");
  assert.equal(revalidated.status.fwd, "stale");
  assert.equal(revalidated.status.fwdStatus, 304);
  assert.equal(revalidated.res.headers.get("x-refreshed"), "2", "headers from the 304 were merged");
  const conditional = origin.requests.filter((r) => r.path === "/etag").at(-1);
  assert.equal(conditional.headers["if-none-match"], '"v1"');
  assert.equal((await get("/etag")).status.hit, true);
});

test("an entry past every window is revalidated with its validators, not refetched (ETag, else Last-Modified)", async () => {
  assert.equal((await get("/insists-etag")).body, "insists-etag body");
  assert.equal((await get("/insists-date")).body, "insists-date body");
  await sleep(1100); // expired, no stale window: only its validators are left to use
  const byTag = await get("/insists-etag", { "if-none-match": 'W/"e1"' });
  assert.equal(byTag.res.status, 304, "the client's own condition still holds after the revalidation");
  assert.equal(byTag.status.fwd, "stale");
  assert.equal(byTag.status.fwdStatus, 304);
  const etagRequest = origin.requests.filter((r) => r.path === "/insists-etag").at(-1);
  assert.equal(etagRequest.headers["if-none-match"], 'W/"e1"', "the weak tag, as stored");
  assert.equal(etagRequest.headers["if-modified-since"], undefined, "an ETag is enough");
  const refreshed = await get("/insists-etag");
  assert.equal(refreshed.status.hit, true, "freshened for another 60 s");
  assert.equal(refreshed.body, "insists-etag body");
  assert.equal(refreshed.res.headers.get("x-version"), "2", "the 304's headers replaced the stored ones");
  const byDate = await get("/insists-date");
  assert.equal(byDate.res.status, 200);
  assert.equal(byDate.body, "insists-date body");
  assert.equal(byDate.status.fwdStatus, 304);
  assert.equal(origin.requests.filter((r) => r.path === "/insists-date").at(-1).headers["if-modified-since"], "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(origin.hits("/insists-etag") + origin.hits("/insists-date"), 4, "one fill and one revalidation each");
});

test("a byte range of a stored response is answered 206 from the cache; If-Range, 416 and several ranges as RFC 9110 §14 says", async () => {
  assert.equal((await get("/ranged")).body, "abcdefghijklmnopqrstuvwxyz");
  const part = async (headers) => {
    const r = await get("/ranged", headers);
    return [r.res.status, r.res.headers.get("content-range"), r.body, r.status.hit];
  };
  assert.deepEqual(await part({ range: "bytes=0-4" }), [206, "bytes 0-4/26", "abcde", true]);
  assert.deepEqual(await part({ range: "bytes=20-" }), [206, "bytes 20-25/26", "uvwxyz", true]);
  assert.deepEqual(await part({ range: "bytes=-3" }), [206, "bytes 23-25/26", "xyz", true]);
  assert.deepEqual(await part({ range: "bytes=24-100" }), [206, "bytes 24-25/26", "yz", true]);
  assert.deepEqual(await part({ range: "bytes=26-" }), [416, "bytes */26", "", true]);
  assert.deepEqual(await part({ range: "bytes=0-1,4-5" }), [200, null, "abcdefghijklmnopqrstuvwxyz", true], "several ranges: the whole");
  assert.deepEqual(await part({ range: "bytes=0-1", "if-range": '"r1"' }), [206, "bytes 0-1/26", "ab", true]);
  assert.deepEqual(await part({ range: "bytes=0-1", "if-range": '"r0"' }), [200, null, "abcdefghijklmnopqrstuvwxyz", true], "changed: the whole");
  assert.deepEqual(await part({ range: "bytes=0-1", "if-range": "Sun, 06 Nov 1994 08:49:37 GMT" }), [206, "bytes 0-1/26", "ab", true]);
  const head = await edge.fetch("/ranged", { method: "HEAD", headers: { range: "bytes=0-4" } });
  assert.equal(head.status, 200, "HEAD ignores Range");
  assert.equal(origin.hits("/ranged"), 1, "every answer came from the cache");
});

test("stale-while-revalidate serves stale at once and refreshes in the background", async () => {
  await get("/swr");
  await sleep(1100);
  const stale = await get("/swr");
  assert.equal(stale.body, "swr 1");
  assert.equal(stale.status.hit, true);
  assert.equal(stale.status.detail, "stale-while-revalidate");
  for (let i = 0; i < 250 && origin.hits("/swr") < 2; i++) await sleep(20);
  assert.equal(origin.hits("/swr"), 2, "the refresh reached the origin");
  await sleep(300); // the refresh stores after the origin answers
  const fresh = await get("/swr");
  assert.equal(fresh.body, "swr 2");
  assert.equal(fresh.status.hit, true);
});

test("stale-if-error serves stale when the origin fails; without stale the origin's error passes through", async () => {
  await get("/sie");
  await sleep(1100);
  const rescued = await get("/sie");
  assert.equal(rescued.res.status, 200);
  assert.equal(rescued.body, "sie good");
  assert.equal(rescued.status.detail, "stale-if-error");
  assert.equal(rescued.status.fwdStatus, 503);
  const failing = await get("/fails");
  assert.equal(failing.res.status, 503);
  assert.equal(failing.body, "origin says 503");
});

test("Vary keeps several variants per URL, selected whitespace-normalised, all purged with the URL", async () => {
  const de = await get("/vary", { "accept-language": "de" });
  assert.equal((await get("/vary", { "accept-language": "de" })).status.hit, true);
  const fr = await get("/vary", { "accept-language": "fr" });
  assert.equal(fr.status.fwd, "vary-miss");
  assert.equal(fr.status.stored, true, fr.status.raw);
  assert.notEqual(fr.body, de.body);
  assert.ok(fr.body.startsWith("fr"));
  // Both stay: neither replaced the other.
  const hits = [["de", de.body], ["fr", fr.body], [" fr ", fr.body], ["de", de.body]];
  for (const [language, body] of hits) {
    const again = await get("/vary", { "accept-language": language });
    assert.equal(again.status.hit, true, `${language}: ${again.status.raw}`);
    assert.equal(again.body, body, language);
  }
  // A purge of the URL reaches every variant.
  assert.equal((await purge(edge, { keys: ["/vary"] })).status, 200);
  for (const language of ["de", "fr"]) {
    const after = await get("/vary", { "accept-language": language });
    assert.equal(after.status.hit, false, `${language} after the purge: ${after.status.raw}`);
  }
});

test("a hard tag purge makes the next request a miss with new content; a soft one serves stale while refreshing", async () => {
  await get("/tagged");
  assert.equal((await get("/tagged")).status.hit, true);
  const receipt = await purge(edge, { tags: ["article:1"] });
  assert.equal(receipt.status, 200, await receipt.clone().text());
  const after = await get("/tagged");
  assert.equal(after.body, "tagged 2");
  assert.equal(after.status.fwd, "miss");
  // Hits of the new entry answer its content, never the response prepared for the old one.
  for (let i = 0; i < 2; i++) {
    const hit = await get("/tagged");
    assert.deepEqual([hit.body, hit.status.hit], ["tagged 2", true]);
  }
  const soft = await purge(edge, { tags: ["articles"], mode: "soft" });
  assert.equal(soft.status, 200);
  const stale = await get("/tagged");
  assert.equal(stale.body, "tagged 2", stale.status.raw);
  assert.equal(stale.status.detail, "stale-while-revalidate");
  for (let i = 0; i < 250 && origin.hits("/tagged") < 3; i++) await sleep(20);
  await sleep(300);
  assert.equal((await get("/tagged")).body, "tagged 3");
});

test("a purge landing while a fill is in flight: the slow fill never resurrects purged content", async () => {
  const pending = get("/slow");
  for (let i = 0; i < 100 && !slowGate.release; i++) await sleep(10);
  assert.ok(slowGate.release, "the origin saw the fill");
  assert.equal((await purge(edge, { tags: ["slow"] })).status, 200);
  slowGate.release();
  const first = await pending;
  assert.equal(first.body, "slow 1", "the request that started before the purge gets its answer");
  const next = await get("/slow");
  assert.equal(next.body, "slow 2", "but nobody after the purge does");
  assert.equal(origin.hits("/slow"), 2);
});

test("100 concurrent misses for one key make one origin request", async () => {
  const results = await Promise.all(Array.from({ length: 100 }, () => get("/stampede")));
  assert.equal(origin.hits("/stampede"), 1);
  assert.deepEqual([...new Set(results.map((r) => `${r.res.status} ${r.body.slice(0, 200)}`))], ["200 stampede 1"]);
  assert.equal(results.filter((r) => r.status.collapsed).length, 99, JSON.stringify(results.map((r) => r.status.raw).slice(0, 5)));
});

test("unsafe methods pass through with their body and invalidate the URL", async () => {
  await get("/write");
  assert.equal((await get("/write")).status.hit, true);
  const post = await edge.fetch("/write", { method: "POST", body: "payload" });
  assert.equal(await post.text(), "write 2 POST payload");
  assert.equal(cacheStatus(post).fwd, "method");
  assert.equal(cacheStatus(post).detail, "invalidated");
  const after = await get("/write");
  assert.equal(after.body, "write 3 GET ");
  const propfind = await edge.fetch("/write", { method: "PROPFIND" });
  assert.ok((await propfind.text()).includes("PROPFIND"), "unknown methods keep their name");
});

test("bodies over MAX_BODY_BYTES stream through uncached", async () => {
  const a = await get("/big");
  assert.equal(a.body.length, 3000);
  assert.equal(a.status.detail, "too-large");
  await get("/big");
  assert.equal(origin.hits("/big"), 2);
});

test("redirects pass through unfollowed; a slow origin times out with 504", async () => {
  const redirect = await edge.fetch("/redirect", { redirect: "manual" });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get("location"), "/plain");
  const slow = await edge.fetch("/timeout");
  assert.equal(slow.status, 504);
  assert.equal((await slow.json()).error, "origin_timeout");
  // The same for a request passed through uncached (the failure's kind decides, not its message).
  const slowPost = await edge.fetch("/timeout", { method: "POST", body: "x" });
  assert.equal(slowPost.status, 504);
  assert.equal((await slowPost.json()).error, "origin_timeout");
});
