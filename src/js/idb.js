// An IndexedDB store shaped like Workers KV, for browsers: entries survive reloads.
// Values are kept with their expiry; expired ones read as absent and are removed when met.
function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export function indexedDbStore(name) {
  const opened = new Promise((resolve, reject) => {
    const open = indexedDB.open(`edgecache-${name}`, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("kv");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const store = async (mode) => (await opened).transaction("kv", mode).objectStore("kv");
  return {
    async get(key) {
      const row = await request((await store("readonly")).get(key));
      if (!row) return null;
      if (row.e <= Date.now()) {
        await request((await store("readwrite")).delete(key));
        return null;
      }
      return row.v;
    },
    async put(key, value, options) {
      const row = { v: value, e: Date.now() + options.expirationTtl * 1000, m: options.metadata };
      await request((await store("readwrite")).put(row, key));
    },
    async delete(key) {
      await request((await store("readwrite")).delete(key));
    },
    async list({ prefix, cursor, limit }) {
      const lower = cursor ?? prefix;
      const range = IDBKeyRange.bound(lower, prefix + "\uffff", cursor !== undefined, false);
      const names = await request((await store("readonly")).getAllKeys(range, limit + 1));
      const page = names.slice(0, limit);
      const complete = names.length <= limit;
      return { keys: page.map((name) => ({ name })), list_complete: complete, cursor: complete ? undefined : page[page.length - 1] };
    },
  };
}
