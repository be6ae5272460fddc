// The Django example purging the running worker for real: Django serves the articles, the
// worker caches them, and saving an article (django-edgecache: its outbox, delivered after the
// commit, signed by PyPI standardwebhooks) makes the next request a miss with the new content.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startWorker, startDjango, cacheStatus, SECRET } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let origin;
let edge;

// The edge keeps its KV and Durable Object storage here, so it can be stopped and started again.
const persist = mkdtempSync(path.join(tmpdir(), "edgecache-django-edge-"));

before(async () => {
  origin = await startDjango();
  edge = await startWorker(origin.url, {}, { port: 0, persist });
  origin.env.EDGECACHE_PURGE_URL = `${edge.url}/_edgecache/purge`;
});

after(async () => {
  await edge?.close();
  origin?.close();
  rmSync(persist, { recursive: true, force: true });
});

/** Requests `p` until the edge answers it from its cache: a first fill is not stored while a tag
 * it reports was purged less than the race skew (5 s) before it began (`raced-purge`), and an
 * earlier test purged the author's tag. */
async function cachedAtTheEdge(p) {
  let last;
  for (let i = 0; i < 50; i++) {
    last = await page(p);
    if (last.status.hit) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${p} never became a hit: ${last.status.raw}`);
}

async function page(p) {
  const res = await fetch(`${edge.url}${p}`);
  return { body: await res.text(), status: cacheStatus(res), res };
}

test("saving an article in Django purges it at the edge: the next request is a miss with the new content", async () => {
  const first = await page("/articles/hello-edge");
  assert.match(first.body, /Hello from the edge/);
  assert.equal(first.status.fwd, "uri-miss");
  assert.equal(first.res.headers.get("cache-tag"), null, "tags never reach the client");
  const second = await page("/articles/hello-edge");
  assert.equal(second.status.hit, true);
  const listing = await page("/");
  assert.equal((await page("/")).status.hit, true, listing.status.raw);
  const other = await page("/articles/fencing");

  origin.manage("edit_article", "hello-edge", "--title", "Edited at the origin");

  const after = await page("/articles/hello-edge");
  assert.equal(after.status.fwd, "miss", after.status.raw);
  assert.match(after.body, /Edited at the origin/);
  const listingAfter = await page("/");
  assert.match(listingAfter.body, /Edited at the origin/, "the listing carries the articles tag");
  assert.equal((await page("/articles/fencing")).status.hit, true, `an article by another author, not on a purged tag, stays cached (${other.status.raw})`);
});

test("the edgecache CLI purges the running worker and prints its receipt", async () => {
  const cli = path.join(root, "target/debug/edgecache");
  assert.equal((await page("/articles/fencing")).status.hit, true, "cached by the previous test, not purged since");
  const out = execFileSync(cli, ["purge", "--endpoint", `${edge.url}/_edgecache/purge`, "--tag", "article:fencing"], {
    env: { ...process.env, EDGECACHE_PURGE_SECRET: SECRET },
  }).toString();
  const receipt = JSON.parse(out);
  assert.deepEqual(receipt.purged, { tags: ["article:fencing"] });
  assert.equal((await page("/articles/fencing")).status.fwd, "miss");
  // A wrong secret: exit code 4 and the reason, nothing purged.
  let failure;
  try {
    execFileSync(cli, ["purge", "--endpoint", `${edge.url}/_edgecache/purge`, "--tag", "article:fencing"], {
      env: { ...process.env, EDGECACHE_PURGE_SECRET: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD" },
      stdio: "pipe",
    });
  } catch (error) {
    failure = error;
  }
  assert.equal(failure?.status, 4);
  assert.match(failure.stderr.toString(), /signature_mismatch/);
  assert.equal((await page("/articles/fencing")).status.hit, true);
});

test("the README's curl line reads the log with headers from `edgecache sign --read`, once", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const snippet = readme.match(/Reading the log with curl[^\n]*\n\n```sh\n([\s\S]*?)```/)[1];
  const script = snippet.replaceAll("https://example.com", edge.url);
  const env = { ...process.env, EDGECACHE_PURGE_SECRET: SECRET, PATH: `${path.join(root, "target/debug")}:${process.env.PATH}` };
  const log = JSON.parse(execFileSync("bash", ["-c", script], { env }).toString());
  assert.ok(Array.isArray(log.records) && log.records.length > 0, JSON.stringify(log));
  assert.ok(log.records.some((r) => r.scopes.some((s) => s.value === "article:fencing")), "the CLI purge of the previous test is logged");
  // The same headers twice: the second read is refused.
  const headers = execFileSync(path.join(root, "target/debug/edgecache"), ["sign", "--read", "/_edgecache/log?limit=10"], { env }).toString();
  const args = headers.trim().split("\n").flatMap((line) => ["-H", line.replace(": ", ":")]);
  const status = (h) => execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...h, `${edge.url}/_edgecache/log?limit=10`]).toString();
  assert.equal(status(args), "200");
  assert.equal(status(args), "409");
});

test("a rolled-back save sends nothing: the edge keeps serving the cached page", async () => {
  await cachedAtTheEdge("/articles/tag-purges");
  const out = origin.manage("edit_article", "tag-purges", "--title", "Never committed", "--rollback");
  assert.match(out, /rolled back/);
  const after = await page("/articles/tag-purges");
  assert.equal(after.status.hit, true, after.status.raw);
  assert.doesNotMatch(after.body, /Never committed/);
  assert.match(origin.manage("edgecache_deliver"), /0 purge\(s\) waiting/, "nothing was queued");
});

test("with the edge down, saves succeed and purges wait in the outbox; once it is back, edgecache_deliver brings every one", async () => {
  for (const p of ["/articles/hello-edge", "/articles/fencing", "/"]) await cachedAtTheEdge(p);
  await edge.close();
  // The edge is down: the saves succeed at the origin, their purges wait.
  origin.manage("edit_article", "hello-edge", "--title", "Saved while the edge was down");
  origin.manage("edit_article", "fencing", "--title", "Also saved while down");
  assert.match(await (await fetch(`${origin.url}/articles/hello-edge`)).text(), /Saved while the edge was down/);
  assert.match(origin.manage("edgecache_deliver"), /2 purge\(s\) waiting/);
  // The edge is back, with what it had cached: the old pages, still fresh to it.
  edge = await startWorker(origin.url, {}, { port: 0, persist });
  origin.env.EDGECACHE_PURGE_URL = `${edge.url}/_edgecache/purge`;
  const stale = await page("/articles/hello-edge");
  assert.equal(stale.status.hit, true, stale.status.raw);
  assert.doesNotMatch(stale.body, /Saved while the edge was down/);
  // One run delivers both (whatever their backoff); a retried purge is no failure.
  assert.match(origin.manage("edgecache_deliver", "--all"), /sent 1, retrying 0, failed 0; 0 purge\(s\) waiting/);
  for (const [p, text] of [["/articles/hello-edge", /Saved while the edge was down/], ["/articles/fencing", /Also saved while down/], ["/", /Also saved while down/]]) {
    const now = await page(p);
    assert.equal(now.status.hit, false, `${p} was purged`);
    assert.match(now.body, text, p);
  }
});
