// The hot memo of the npm EdgeCache (in-memory store only). It keeps entries the core judged
// fresh and serves them without entering wasm — the boundary crossings, not the lookup, are what
// a hit costs. It is exact: an entry is served only until its freshUntil and at most `recheckMs`
// after the core last saw it (so the store's recency order keeps seeing hot keys); every write
// or invalidation through the cache drops what it may affect, and a lookup that started before
// a write is not remembered (`keep` false: the write generation is kept in Rust, near.rs).
const TEXT = 115; // 's'
const JSON_KIND = 106; // 'j'

const SOURCES = [undefined, "cached", "loaded", "coalesced", "stale"];
const REASONS = [undefined, "expired", "soft_invalidated"];

// Tags cross from wasm as one string, each tag followed by "\0" (tags never hold control
// characters): one crossing, not one per tag.
function splitTags(joined) {
  return joined === "" ? [] : joined.slice(0, -1).split("\0");
}

function build(value, tags, version, storedAt, freshUntil, reason, source, notStored, serve) {
  const entry = { value, status: reason ? "stale" : "fresh", tags, version, storedAt, freshUntil };
  if (reason) entry.staleReason = REASONS[reason];
  if (serve !== undefined) entry.serveWhileRevalidating = serve;
  if (source) entry.source = SOURCES[source];
  if (notStored !== undefined) entry.notStored = notStored;
  return entry;
}

// An entry (or getOrSet result) in one call: `reason` 0 fresh, 1 expired, 2 soft-invalidated;
// `source` 0 none, 1 cached, 2 loaded, 3 coalesced, 4 stale.
export function makeEntry(value, tags, version, storedAt, freshUntil, reason, source, notStored, serve) {
  return build(value, splitTags(tags), version, storedAt, freshUntil, reason, source, notStored, serve);
}

export class Near {
  constructor(maxEntries, maxChars, recheckMs) {
    this.slots = new Map();
    this.maxEntries = maxEntries;
    this.maxChars = maxChars;
    this.recheckMs = recheckMs;
    this.chars = 0;
    this.hits = 0;
  }

  // A Promise of the value (of the entry when `entry`), or undefined when the core must answer.
  get(key, entry) {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (Date.now() >= slot.until) {
      this.drop(key, slot);
      return undefined;
    }
    this.hits++;
    const value = slot.kind === TEXT ? slot.raw : slot.kind === JSON_KIND ? JSON.parse(slot.raw) : slot.raw.slice();
    return Promise.resolve(entry ? build(value, slot.tags.slice(), slot.version, slot.storedAt, slot.freshUntil) : value);
  }

  // Remembers a fresh entry the core returned and gives the caller its value (its entry object
  // when `wantEntry`).
  remember(keep, key, kind, value, json, joinedTags, version, storedAt, freshUntil, wantEntry) {
    const tags = splitTags(joinedTags);
    const entry = wantEntry ? build(value, tags, version, storedAt, freshUntil) : value;
    if (!keep || typeof key !== "string") return entry;
    const raw = kind === TEXT ? value : kind === JSON_KIND ? json : value.slice();
    const chars = key.length + raw.length;
    if (chars > this.maxChars) return entry;
    const old = this.slots.get(key);
    if (old !== undefined) this.drop(key, old);
    const until = Math.min(freshUntil, Date.now() + this.recheckMs);
    this.slots.set(key, { kind, raw, tags: tags.slice(), version, storedAt, freshUntil, until, chars });
    this.chars += chars;
    // Oldest remembered first out: a hot key comes back within recheckMs anyway.
    for (const [k, s] of this.slots) {
      if (this.slots.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.drop(k, s);
    }
    return entry;
  }

  drop(key, slot) {
    this.slots.delete(key);
    this.chars -= slot.chars;
  }

  forget(key) {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.drop(key, slot);
  }

  clear() {
    this.slots.clear();
    this.chars = 0;
  }
}
