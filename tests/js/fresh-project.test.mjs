// The packed package installed into empty projects, used as each kind of user would: CommonJS
// `require`, ESM `import`, a TypeScript project under a plain `tsc --strict` (the default lib
// of its target, and the tsconfig `tsc --init` writes), and an esbuild browser bundle run in
// headless Chromium.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";
import { bin, freshProject, readmeExample, root, write } from "./fresh.mjs";

let dir;
before(() => {
  dir = freshProject("node");
});

const node = (file) => execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8" }).trim();

test("CommonJS require", () => {
  write(dir, {
    "cjs.cjs": `
      const { EdgeCache, EdgeCacheError } = require("edgecache");
      (async () => {
        const cache = new EdgeCache();
        await cache.set("greeting", "hello", { ttl: "30s", tags: ["greetings"] });
        const entry = await cache.getEntry("greeting");
        let code;
        try { new EdgeCache({ ttl: 5 }); } catch (e) { code = e instanceof EdgeCacheError && e.code; }
        console.log(entry.value, entry.status, code);
      })();`,
  });
  assert.equal(node("cjs.cjs"), "hello fresh invalid_option");
});

test("the README's Node example runs as written", () => {
  // As the ES module it says it is; fetchArticle is the reader's own.
  const example = readmeExample("// Node (or a bundler)");
  write(dir, {
    "readme.mjs": `${example}
async function fetchArticle(id) { return { id, title: "Hello", author: 7 }; }
console.log(JSON.stringify({ value, source, status: entry.status, tags: entry.tags.sort(), records: records.length, cursor, hits, staleHits, misses }));
`,
  });
  const out = JSON.parse(node("readme.mjs"));
  assert.deepEqual(out, { value: { id: 1, title: "Hello", author: 7 }, source: "loaded", status: "stale", tags: ["article:1", "articles", "author:7"], records: 2, hits: 3, staleHits: 1, misses: 1 });
});

test("ESM import; a loader's own error is the cause of the EdgeCacheError", () => {
  write(dir, {
    "esm.mjs": `
      import { EdgeCache, EdgeCacheError } from "edgecache";
      const cache = new EdgeCache();
      const first = await cache.getOrSet("k", async () => ({ n: 1 }), { ttl: 60_000 });
      const again = await cache.getOrSet("k", async () => ({ n: 2 }), { ttl: 60_000 });
      const mine = new Error("database down");
      const failure = await cache.getOrSet("other", async () => { throw mine; }).catch((e) => e);
      console.log(first.source, again.source, again.value.n, failure instanceof EdgeCacheError, failure.code, failure.cause === mine);`,
  });
  assert.equal(node("esm.mjs"), "loaded cached 1 true load_failed true");
});

test("TypeScript: usage.ts under plain tsc --strict and under the tsconfig tsc --init writes", () => {
  const usage = readFileSync(path.join(root, "tests/js/usage.ts"), "utf8").replace("../../pkg/npm/nodejs/edgecache.js", "edgecache");
  write(dir, { "usage.ts": usage });
  const tsc = (...args) => {
    try {
      return execFileSync(bin("tsc"), args, { cwd: dir, encoding: "utf8" });
    } catch (e) {
      assert.fail(`tsc ${args.join(" ")}:\n${e.stdout}${e.stderr}`);
    }
  };
  // No --lib: the default lib of the target, as a fresh project has it.
  tsc("--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "usage.ts");
  // A new TypeScript project: ES modules ("type": "module") and the tsconfig `tsc --init` writes.
  const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  write(dir, { "package.json": JSON.stringify({ ...pkg, type: "module" }, null, 2) });
  tsc("--init");
  tsc("--noEmit", "-p", ".");
});

/** Serves `folder` (its index.html at /) on loopback while `run(url)` runs. */
async function serving(folder, run) {
  const server = http.createServer((req, res) => {
    const name = req.url === "/" ? "index.html" : decodeURIComponent(req.url.split("?")[0]);
    const file = path.join(folder, path.normalize(name).replace(/^(\.\.[/\\])+/, ""));
    let body;
    try {
      body = readFileSync(file);
    } catch {
      return res.writeHead(404).end();
    }
    const type = file.endsWith(".wasm") ? "application/wasm" : file.endsWith(".html") ? "text/html" : "text/javascript";
    res.writeHead(200, { "content-type": type }).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    return await run(`http://127.0.0.1:${server.address().port}/`);
  } finally {
    server.close();
  }
}

/** `use(page, errors)` on a new page of headless Chromium; `errors` collects page errors. */
async function inChromium(use) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    return await use(page, errors);
  } finally {
    await browser.close();
  }
}

/** What the page at `url` shows once it has run, in headless Chromium; page errors fail. */
function pageText(url) {
  return inChromium(async (page, errors) => {
    await page.goto(url);
    await page.waitForFunction(() => document.body.textContent !== "loading", null, { timeout: 10_000 }).catch(() => {});
    assert.deepEqual(errors, []);
    return await page.textContent("body");
  });
}

// The page every bundler builds: the README's one step for it, then a getOrSet miss and hit.
const page = (setup) => `${setup}
const cache = new EdgeCache();
const loaded = await cache.getOrSet("k", () => "from the loader", { ttl: 60_000 });
const again = await cache.getOrSet("k", () => "never", { ttl: 60_000 });
document.body.textContent = [loaded.value, loaded.source, again.source].join(" ");
`;
const html = (script) => `<!doctype html><body>loading<script type="module" src="${script}"></script></body>`;

test("an esbuild browser bundle finds its wasm (one step: --loader:.wasm=file and init with its URL)", async () => {
  write(dir, {
    "esbuild-page.mjs": page(`import init, { EdgeCache } from "edgecache";
import wasm from "edgecache/web/edgecache_bg.wasm";
await init({ module_or_path: wasm });`),
  });
  execFileSync(bin("esbuild"), ["esbuild-page.mjs", "--bundle", "--format=esm", "--platform=browser", "--loader:.wasm=file", "--outdir=dist-esbuild"], { cwd: dir, stdio: "pipe" });
  write(path.join(dir, "dist-esbuild"), { "index.html": html("/esbuild-page.js") });
  assert.ok(readdirSync(path.join(dir, "dist-esbuild")).some((f) => f.endsWith(".wasm")));
  assert.equal(await serving(path.join(dir, "dist-esbuild"), pageText), "from the loader loaded cached");
});

const initPage = page(`import init, { EdgeCache } from "edgecache";
await init();`);

test("a Vite build finds its wasm (one step: await init())", async () => {
  const app = path.join(dir, "vite-app");
  mkdirSync(app, { recursive: true });
  write(app, { "index.html": html("/main.js"), "main.js": initPage });
  execFileSync(process.execPath, [path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: app, stdio: "pipe" });
  assert.ok(readdirSync(path.join(app, "dist/assets")).some((f) => f.endsWith(".wasm")));
  assert.equal(await serving(path.join(app, "dist"), pageText), "from the loader loaded cached");
});

test("a webpack 5 build finds its wasm (one step: await init())", async () => {
  write(dir, { "webpack-page.mjs": initPage });
  const script = `
    const webpack = require(${JSON.stringify(path.join(root, "node_modules/webpack"))});
    webpack({ mode: "production", context: ${JSON.stringify(dir)}, entry: "./webpack-page.mjs",
      output: { path: ${JSON.stringify(path.join(dir, "dist-webpack"))}, filename: "main.js", publicPath: "/" } },
      (err, stats) => { if (err || stats.hasErrors()) { console.error(err ?? stats.toString("errors-only")); process.exit(1); } });`;
  execFileSync(process.execPath, ["-e", script], { cwd: dir, stdio: "pipe" });
  write(path.join(dir, "dist-webpack"), { "index.html": html("/main.js") });
  assert.ok(readdirSync(path.join(dir, "dist-webpack")).some((f) => f.endsWith(".wasm")));
  assert.equal(await serving(path.join(dir, "dist-webpack"), pageText), "from the loader loaded cached");
});

test("IndexedDB keeps values across a page reload (esbuild bundle, Chromium)", async () => {
  write(dir, {
    "reload-page.mjs": `import init, { EdgeCache, indexedDbStore } from "edgecache";
import wasm from "edgecache/web/edgecache_bg.wasm";
await init({ module_or_path: wasm });
const cache = new EdgeCache({ store: indexedDbStore("reload-test"), stampMemo: 0 });
if (!sessionStorage.getItem("filled")) {
  await cache.set("k", "kept across a reload", { ttl: "1h", tags: ["t"] });
  sessionStorage.setItem("filled", "1");
  location.reload();
} else {
  const entry = await cache.getEntry("k");
  document.body.textContent = [await cache.get("k"), entry.tags.join(",")].join(" | ");
}
`,
  });
  execFileSync(bin("esbuild"), ["reload-page.mjs", "--bundle", "--format=esm", "--platform=browser", "--loader:.wasm=file", "--outdir=dist-reload"], { cwd: dir, stdio: "pipe" });
  write(path.join(dir, "dist-reload"), { "index.html": html("/reload-page.js") });
  const text = await serving(path.join(dir, "dist-reload"), (url) =>
    inChromium(async (page, errors) => {
      await page.goto(url);
      let shown = "loading";
      for (let i = 0; i < 100 && (shown === "loading" || shown === null); i++) {
        await new Promise((r) => setTimeout(r, 100));
        // The reload replaces the page under us: read again until the second load has answered.
        shown = await page.textContent("body").catch(() => "loading");
      }
      assert.deepEqual(errors, []);
      assert.equal(await page.evaluate(() => sessionStorage.getItem("filled")), "1", "the first load filled and reloaded");
      return shown;
    }),
  );
  assert.equal(text, "kept across a reload | t");
});
