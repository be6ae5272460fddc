// Which request URLs share a cache entry, tried with raw HTTP requests (no client rewrites the
// target) against the worker in workerd: two URLs share an entry only when the origin is asked
// for the same target, so no two URLs the origin could answer differently ever share one. And
// a fill never forwards the request headers that would let one client shape what everyone gets.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { startWorker, cacheStatus } from "./harness.mjs";

let origin;
let edge;
let port;
const asked = [];

before(async () => {
  origin = http.createServer((req, res) => {
    asked.push({ target: req.url, headers: req.headers });
    res.writeHead(200, { "cache-control": "max-age=600", "content-type": "text/plain" });
    res.end(`target=${req.url} n=${asked.length}`);
  });
  await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
  edge = await startWorker(`http://127.0.0.1:${origin.address().port}`, {}, { port: 0 });
  port = new URL(edge.url).port;
});

after(async () => {
  await edge?.close();
  origin?.close();
});

/** A GET of `target` exactly as written on the request line, with `headers`. */
function raw(target, headers = {}) {
  const lines = Object.entries({ host: `127.0.0.1:${port}`, ...headers, connection: "close" }).map(([k, v]) => `${k}: ${v}\r\n`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`GET ${target} HTTP/1.1\r\n${lines.join("")}\r\n`));
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head, ...body] = data.split("\r\n\r\n");
      const cs = /^cache-status: (.*)$/im.exec(head)?.[1] ?? "";
      resolve({ status: Number(head.split(" ")[1]), body: body.join("\r\n\r\n"), cs: cacheStatus({ headers: new Headers({ "cache-status": cs }) }) });
    });
  });
}

test("URL forms the platform normalises are one entry, and the origin is asked for that one form", async () => {
  const first = await raw("/one/a");
  assert.equal(first.cs.stored, true, first.cs.raw);
  // Dot segments (also percent-encoded), fragments and raw non-ASCII are resolved before the
  // worker sees the URL: the same target goes to the origin, so sharing is safe.
  for (const same of ["/one/./a", "/one/b/../a", "/one/%2e%2e/one/a", "/one/a#fragment"]) {
    const res = await raw(same);
    assert.equal(res.cs.hit, true, `${same}: ${res.cs.raw}`);
    assert.equal(res.body, first.body, same);
  }
  const accented = await raw("/one/é");
  assert.equal(accented.body.split(" ")[0], "target=/one/%C3%A9", "sent percent-encoded");
  assert.equal((await raw("/one/%C3%A9")).cs.hit, true, "the encoded spelling is the same entry");
});

test("URL forms the origin could tell apart are separate entries, each filled from its own target", async () => {
  const distinct = [
    "/two/a", "/two/A", "/two/%61", "/two/a?", "/two/a?x=1&y=2", "/two/a?y=2&x=1", "/two/a;p=1", "/two//a",
    "/two/%7e", "/two/%7E", "/two/a?x=%41", "/two/a?x=A", "/two/a/", "/two2/a",
  ];
  for (const target of distinct) {
    const res = await raw(target);
    assert.equal(res.cs.hit, false, `${target} was served another URL's entry (${res.body})`);
    assert.equal(res.cs.stored, true, `${target}: ${res.cs.raw}`);
    assert.equal(res.body.split(" ")[0], `target=${target}`, "the origin was asked for exactly this target");
  }
  for (const target of distinct) {
    const res = await raw(target);
    assert.equal(res.cs.hit, true, `${target} is its own entry`);
    assert.equal(res.body.split(" ")[0], `target=${target}`);
  }
});

test("a fill never forwards what would let one client shape everyone's response; the Host is the origin's", async () => {
  const overrides = {
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "gopher",
    "x-forwarded-scheme": "nothttps",
    "x-original-url": "/admin",
    "x-rewrite-url": "/admin",
    "x-http-method-override": "DELETE",
    forwarded: "host=evil.example;proto=http",
    host: "evil.example",
  };
  const res = await raw("/three/page", { ...overrides, accept: "text/html", "accept-language": "fr" });
  assert.equal(res.cs.stored, true, res.cs.raw);
  const sent = asked.at(-1).headers;
  for (const name of Object.keys(overrides).filter((n) => !["host", "x-forwarded-proto"].includes(n))) {
    assert.equal(sent[name], undefined, `${name} reached the origin`);
  }
  assert.equal(sent["x-forwarded-proto"], "http", "the scheme the request came with, not the client's claim");
  assert.equal(sent.host, `127.0.0.1:${origin.address().port}`, "the origin's own host");
  assert.equal(sent.accept, "text/html", "ordinary request headers still go");
  assert.equal(sent["accept-language"], "fr");
  // The next client, without any of it, gets the same (unshaped) entry.
  const next = await raw("/three/page");
  assert.equal(next.cs.hit, true);
  assert.equal(next.body, res.body);
});
