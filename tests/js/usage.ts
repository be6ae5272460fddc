// Type-checked with `tsc --noEmit --strict` against the built package's declarations: every
// option and result a user writes against must type-check, and misuse must not.
import { EdgeCache, EdgeCacheError, signPurge, verifyPurge, type Entry, type Fetched, type LogPage, type Stats } from "../../pkg/npm/nodejs/edgecache.js";

async function usage(): Promise<void> {
  const cache = new EdgeCache({ namespace: "app", defaultTtl: "1m", staleWhileRevalidate: 30_000, maxBytes: 1 << 20, store: new Map() });
  const plain = new EdgeCache();
  await plain.set("greeting", "hello");
  await cache.set("article:1", { title: "Hello" }, { ttl: "2m", tags: ["articles"], version: 2 });
  const entry: Entry | undefined = await cache.getEntry("article:1", { version: 2 });
  const article = await cache.get<{ title: string }>("article:1", { version: 2 });
  const title: string | undefined = article?.title;
  const typed: Entry<{ title: string }> | undefined = await cache.getEntry<{ title: string }>("article:1");
  if (entry && entry.status === "stale") {
    const why: "expired" | "soft_invalidated" | undefined = entry.staleReason;
    void why;
  }
  const fetched: Fetched = await cache.getOrSet("article:2", async () => ({ title: "Two" }), { tags: ["articles"] });
  const two: Fetched<{ title: string }> = await cache.getOrSet("article:2", async (ctx) => {
    ctx.ttl = "10m";
    ctx.tags.push("article:2");
    if (Math.random() < 0) ctx.skip();
    return { title: "Two" };
  });
  const twoTitle: string = two.value.title;
  const source: "cached" | "loaded" | "coalesced" | "stale" = fetched.source;
  await cache.invalidateTag("articles", { soft: true });
  await cache.invalidatePrefix("article:");
  await cache.invalidateKey("article:1");
  await cache.invalidateAll();
  const version: number = await cache.bumpVersion("article:1");
  const stats: Stats = cache.stats();
  const staleHits: number = stats.staleHits;
  const deleted: boolean = await cache.delete("article:1");
  const present: boolean = await cache.has("article:1");
  await cache.clear();
  const page: LogPage = await cache.log({ limit: 10 });
  const more: LogPage | undefined = page.cursor ? await cache.log({ cursor: page.cursor }) : undefined;
  const requestId: string | undefined = page.records[0]?.requestId;
  try {
    await cache.getOrSet("k", () => { throw new Error("down"); });
  } catch (error) {
    if (error instanceof EdgeCacheError) {
      const code: string = error.code;
      const cause: unknown = error.cause;
      void [code, cause];
    }
  }
  if (fetched.source === "stale") {
    const why: "expired" | "soft_invalidated" | undefined = fetched.staleReason;
    const status: "fresh" | "stale" = fetched.status;
    void [why, status];
  }
  const follower = cache.followEdge("https://example.com", { tags: ["articles"], interval: "5s" });
  follower.stop();
  const headers = signPurge("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", JSON.stringify({ tags: ["articles"] }));
  const verified: { id: string; timestamp: number } = verifyPurge("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, "{}");
  // @ts-expect-error: a duration string needs its unit
  await cache.set("k", "v", { ttl: "60" });
  // @ts-expect-error: the loader context has no such field
  await cache.getOrSet("k", (ctx) => ctx.maxAge);
  // @ts-expect-error: unknown option
  new EdgeCache({ ttl: 5 });
  void [source, version, stats, verified, staleHits, deleted, present, more, requestId, title, typed, twoTitle];
}
void usage;
