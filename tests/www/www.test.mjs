// The browser demo end to end: Debian's Chromium (headless, driven by playwright-core) loads
// www/ through the edge worker in front of the Django origin; a change at the origin purges the
// edge, and followEdge brings the purge into the page's IndexedDB cache.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startWorker, startDjango, freePort } from "../worker/harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let origin;
let edge;
let browser;

before(async () => {
  const edgePort = await freePort();
  origin = await startDjango({ EDGECACHE_PURGE_URL: `http://127.0.0.1:${edgePort}/_edgecache/purge` });
  edge = await startWorker(origin.url, {}, { port: edgePort });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await edge?.close();
  origin?.close();
});

const badge = (page, slug) => page.locator(`[data-slug="${slug}"] .badge`);
const title = (page, slug) => page.locator(`[data-slug="${slug}"] h3`);

test("miss then hit, a change at the origin arrives through followEdge, and the cache survives a reload", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${edge.url}/www/`);
  await page.locator('[data-slug="hello-edge"]').waitFor({ timeout: 15_000 });
  assert.equal(await badge(page, "hello-edge").textContent(), "miss");
  // The next refresh (every 2 s) is served from the browser's cache.
  await page.waitForFunction(() => document.querySelector('[data-slug="hello-edge"] .badge')?.textContent === "hit", null, { timeout: 10_000 });
  const before = await title(page, "hello-edge").textContent();

  await page.locator('[data-slug="hello-edge"] button').click();
  await page.waitForFunction(() => /\(edited/.test(document.querySelector('[data-slug="hello-edge"] h3')?.textContent ?? ""), null, { timeout: 15_000 });
  const after = await title(page, "hello-edge").textContent();
  assert.notEqual(after, before);
  assert.ok(Number(await page.getByTestId("purges").textContent()) >= 1, "followEdge counted the purge");
  assert.match(await page.locator("#log").textContent(), /purge arrived from the edge/);
  mkdirSync(path.join(root, "target"), { recursive: true });
  await page.screenshot({ path: path.join(root, "target/www.png"), fullPage: true });

  // IndexedDB survives a reload: the first load after it is already a hit.
  await page.reload();
  await page.locator('[data-slug="hello-edge"]').waitFor({ timeout: 15_000 });
  assert.equal(await badge(page, "hello-edge").textContent(), "hit");
  assert.equal(await title(page, "hello-edge").textContent(), after);
  assert.deepEqual(errors, []);
  await context.close();
});
