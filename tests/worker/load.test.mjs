// The worker as a busy site uses it: concurrent misses on a few keys while purges land, with
// the default stamp memo (as deployed). Every request must get the origin's answer or the
// cache's; none may hang (workerd cancels a request whose code waits on nothing with a 500).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startWorker, cacheStatus, purge, sleep } from "./harness.mjs";

let origin;
let edge;
const PAGES = 8;

function page(req, res, n) {
  const id = Number(new URL(req.url, "http://o").pathname.split("/").pop());
  // A little origin latency, so that concurrent misses overlap a fill.
  setTimeout(() => {
    res.sendDate = false;
    res.writeHead(200, { "content-type": "text/plain", "cache-control": "max-age=300", "cache-tag": `all,g${id % 3}` });
    res.end(`page ${id} fill ${n} ${"x".repeat(1500)}`);
  }, 30);
}

before(async () => {
  const routes = { "/burst": page };
  for (let i = 0; i < PAGES; i++) routes[`/p/${i}`] = page;
  origin = await startOrigin(routes);
  // STAMP_MEMO_MS left at its default (1 s), as deployed: the harness's "0" hides the fault.
  edge = await startWorker(origin.url, { STAMP_MEMO_MS: undefined });
});

after(async () => {
  await edge?.close();
  await origin?.close();
});

/** GET `path`, failing rather than waiting forever if the worker never answers. */
async function get(path) {
  const res = await edge.fetch(path, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.text(), cacheStatus: cacheStatus(res) };
}

test("concurrent requests for a purged entry wait for one refill and all get it", async () => {
  assert.equal((await get("/burst")).status, 200);
  assert.equal((await get("/burst")).cacheStatus.hit, true);
  for (let round = 0; round < 5; round++) {
    assert.equal((await purge(edge, { keys: ["/burst"] })).status, 200);
    // The entry is in the isolate's memory and the purge in its stamp memo: each of these finds
    // it invalid without any I/O, and all but the first join the first one's fill.
    const answers = await Promise.all(Array.from({ length: 20 }, () => get("/burst")));
    const statuses = answers.map((a) => `${a.status} ${a.cacheStatus.raw}`);
    assert.deepEqual(answers.filter((a) => a.status !== 200).map((a) => a.body.slice(0, 200)), [], statuses.join("\n"));
    assert.equal(new Set(answers.map((a) => a.body)).size, 1, "one refill, shared");
    assert.ok(answers.filter((a) => a.cacheStatus.collapsed).length >= 1, statuses.join("\n"));
  }
});

test("32 clients on a few keys while purges land several times a second: every answer is a 200", async (t) => {
  const until = Date.now() + 5_000;
  const counts = {};
  const failures = [];
  const client = async () => {
    while (Date.now() < until) {
      const path = `/p/${Math.floor(Math.random() * PAGES)}`;
      const a = await get(path).catch((e) => ({ status: `error ${e.name}`, body: String(e) }));
      counts[a.status] = (counts[a.status] ?? 0) + 1;
      if (a.status !== 200) failures.push(`${path} ${a.status} ${a.body.slice(0, 160)}`);
      else assert.match(a.body, new RegExp(`^page ${path.split("/").pop()} fill \\d+ `));
    }
  };
  let purges = 0;
  const purger = async () => {
    const kinds = [
      (k) => ({ tags: [`g${k % 3}`] }),
      (k) => ({ tags: [`g${k % 3}`], mode: "soft" }),
      (k) => ({ keys: [`/p/${k % PAGES}`] }),
      () => ({ tags: ["all"] }),
    ];
    for (let k = 0; Date.now() < until; k++) {
      const res = await purge(edge, kinds[k % kinds.length](k));
      assert.equal(res.status, 200, await res.text());
      purges++;
      await sleep(100);
    }
  };
  await Promise.all([purger(), ...Array.from({ length: 32 }, client)]);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.deepEqual(failures.slice(0, 10), [], `${JSON.stringify(counts)} over ${total} requests, ${purges} purges`);
  assert.ok(purges >= 10 && total >= 300, `load too light to mean anything: ${total} requests, ${purges} purges`);
  t.diagnostic(`${total} requests, ${purges} purges: ${JSON.stringify(counts)}`);
});
