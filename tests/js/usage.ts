// Type-checked with `tsc --noEmit --strict` against the built package's declarations: every
// option and result a user writes against must type-check, and misuse must not.
import {
  EdgeCache, EdgeCacheError, signPurge, verifyPurge, type EdgeCacheOptions, type Entry, type Fetched, type InvalidateOptions,
  type LogPage, type LogRecord, type PurgeHeaders, type SetOptions, type Stats, type VerifiedPurge,
} from "../../pkg/npm/nodejs/edgecache.js";

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
  // The declarations tsify-next generates from the Rust definitions (src/js/types.rs).
  const options: EdgeCacheOptions = { stampMemo: "250ms", staleIfError: "1h" };
  const set: SetOptions = { ttl: 1500, staleWhileRevalidate: "1.5h", tags: [], version: 3 };
  const soft: InvalidateOptions = { soft: true, by: "admin" };
  const signed: PurgeHeaders = signPurge("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "{}", { id: "msg_1", timestamp: 1 });
  const checked: VerifiedPurge = verifyPurge("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", signed, "{}", { now: 1, tolerance: 5 });
  const record: LogRecord | undefined = page.records[0];
  const kind: "tag" | "key" | "prefix" | "everything" | undefined = record?.scopes[0]?.kind;
  const mode: "hard" | "soft" | undefined = record?.mode;
  // @ts-expect-error: the scope kinds are a closed set
  const wrongKind: "all" | undefined = record?.scopes[0]?.kind;
  // @ts-expect-error: tags are strings
  const badTags: SetOptions = { tags: [1] };
  // @ts-expect-error: a version is a number
  const badVersion: SetOptions = { version: "3" };
  const id: string = signed["webhook-id"];
  void [options, set, soft, checked, kind, mode, wrongKind, badTags, badVersion, id];
  void [source, version, stats, verified, staleHits, deleted, present, more, requestId, title, typed, twoTitle];
}
void usage;
