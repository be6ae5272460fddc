//! The embedded default store: a hash-based LRU in memory with exact TTL expiry against the
//! injected clock.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use lru::LruCache;

use super::{page_of, validate_key, KvStore, ListOptions, ListPage, PutOptions, StoreError};
use crate::core::clock::{Clock, Millis};

/// Keys are shared by the map, the expiry queue and the listing order.
type Key = Arc<str>;

struct Item {
    value: Bytes,
    expires_at: Millis,
    /// Kept until it expires, never evicted to make room.
    pinned: bool,
}

/// A row of the expiry queue, ordered by its time alone, soonest first: rows of one
/// millisecond (a burst of writes) are never told apart by comparing their keys.
struct Expiry {
    at: Millis,
    key: Key,
}

impl Ord for Expiry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

impl PartialOrd for Expiry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Expiry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Expiry {}

impl Item {
    fn size(&self, key: &str) -> usize {
        key.len() + self.value.len()
    }
}

struct State {
    /// Every item, in a hash map (point reads are the hot path; an ordered map spent most of a
    /// hit comparing long shared key prefixes) that also keeps the recency order.
    items: LruCache<Key, Item>,
    /// Keys in order, for listing: rebuilt after a key is added; keys removed since are skipped.
    ordered: Option<Vec<Key>>,
    /// Expiry queue. An overwritten, deleted or evicted key leaves an outdated row, skipped when
    /// popped, and rebuilt away once such rows outnumber the items ([`State::compact`]).
    expiries: BinaryHeap<Expiry>,
    bytes: usize,
}

impl Default for State {
    fn default() -> Self {
        Self { items: LruCache::unbounded(), ordered: None, expiries: BinaryHeap::new(), bytes: 0 }
    }
}

impl State {
    fn remove(&mut self, key: &str) -> Option<Key> {
        let (key, item) = self.items.pop_entry(key)?;
        self.bytes -= item.size(&key);
        Some(key)
    }

    /// Evicts least recently used items until `max_bytes` are held; pinned items are passed
    /// over (moved to the recent end, so the next eviction does not meet them again first).
    fn evict_to(&mut self, max_bytes: usize) {
        let mut passed = 0;
        while self.bytes > max_bytes && passed < self.items.len() {
            let Some((key, item)) = self.items.pop_lru() else { break };
            if item.pinned {
                self.items.push(key, item);
                passed += 1;
            } else {
                self.bytes -= item.size(&key);
            }
        }
    }

    fn reap(&mut self, now: Millis) {
        while let Some(Expiry { at, .. }) = self.expiries.peek() {
            if *at > now {
                break;
            }
            let Some(Expiry { at, key }) = self.expiries.pop() else {
                break;
            };
            if self.items.peek(&*key).is_some_and(|item| item.expires_at == at) {
                self.remove(&key);
            }
        }
    }

    /// Rebuilds the expiry queue from the live items once it holds more than twice as many rows
    /// (plus a few): without it, every write left a row — and its key's memory — until the
    /// write's TTL ran out, so a bounded store written with long TTLs grew without bound beside
    /// its budget. A rebuild costs O(items) after at least as many writes: O(1) a write.
    fn compact(&mut self) {
        if self.expiries.len() > 2 * self.items.len() + 64 {
            self.expiries =
                self.items.iter().map(|(key, item)| Expiry { at: item.expires_at, key: key.clone() }).collect();
        }
    }

    /// The live value at `key`; a bounded store also marks it most recently used.
    fn read(&mut self, key: &str, now: Millis, bounded: bool) -> Option<Bytes> {
        let item = if bounded { self.items.get(key) } else { self.items.peek(key) };
        item.filter(|item| item.expires_at > now).map(|item| item.value.clone())
    }
}

/// An in-memory [`KvStore`]: the embedded default, and the reference the other adapters are
/// tested against. Reads never see an expired value; expired values are reclaimed as time
/// passes. Clones share the same data.
///
/// ```
/// use edgecache::core::{KvStore, KvTtl, ListOptions, ManualClock, MemoryStore, PutOptions};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(0);
/// let store = MemoryStore::new(clock.clone());
/// store.put("k", "v".into(), PutOptions::new(KvTtl::covering_ms(60_000))).await.unwrap();
/// clock.advance(60_000);
/// assert_eq!(store.get("k").await.unwrap(), None);
/// # });
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    clock: Arc<dyn Clock + Send + Sync>,
    state: Arc<Mutex<State>>,
    max_bytes: Option<usize>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("len", &self.lock().items.len()).finish()
    }
}

impl MemoryStore {
    /// An empty store reading time from `clock`.
    #[must_use]
    pub fn new(clock: impl Clock + Send + Sync + 'static) -> Self {
        Self { clock: Arc::new(clock), state: Arc::default(), max_bytes: None }
    }

    /// An empty store holding at most `max_bytes` (keys and values), evicting the
    /// least recently used first. Values put [`pinned`](PutOptions::pinned) (the cache's
    /// stamps) are never evicted, only expired: they count against the budget, and when they
    /// alone exceed it the store holds them and nothing else.
    ///
    /// ```
    /// use edgecache::core::{KvStore, KvTtl, ManualClock, MemoryStore, PutOptions};
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::bounded(ManualClock::new(0), 10);
    /// let ttl = || PutOptions::new(KvTtl::covering_ms(0));
    /// store.put("a", "1234".into(), ttl()).await.unwrap();
    /// store.put("b", "1234".into(), ttl()).await.unwrap();
    /// store.get("a").await.unwrap(); // a is now more recent than b
    /// store.put("c", "1234".into(), ttl()).await.unwrap();
    /// assert!(store.get("b").await.unwrap().is_none());
    /// assert!(store.get("a").await.unwrap().is_some());
    /// # });
    /// ```
    #[must_use]
    pub fn bounded(clock: impl Clock + Send + Sync + 'static, max_bytes: usize) -> Self {
        Self { clock: Arc::new(clock), state: Arc::default(), max_bytes: Some(max_bytes) }
    }

    /// Bytes held (keys and values).
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The number of live (unexpired) keys.
    #[must_use]
    pub fn len(&self) -> usize {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.reap(now);
        state.items.len()
    }

    /// Whether the store holds no live keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map half-updated (every mutation is a
        // single insert/remove), so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KvStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        validate_key(key)?;
        let now = self.clock.now_ms();
        Ok(self.lock().read(key, now, self.max_bytes.is_some()))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        keys.iter()
            .map(|key| {
                validate_key(key)?;
                Ok(state.read(key, now, self.max_bytes.is_some()))
            })
            .collect()
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        validate_key(key)?;
        let now = self.clock.now_ms();
        let expires_at = now.saturating_add(options.ttl.millis());
        let mut state = self.lock();
        state.reap(now);
        let item = Item { value, expires_at, pinned: options.pinned };
        let size = item.size(key);
        if !item.pinned && self.max_bytes.is_some_and(|max| size > max) {
            state.remove(key);
            return Ok(()); // larger than the whole store: kept nowhere, like an instant eviction
        }
        let state = &mut *state;
        let key = match state.items.get_key_value_mut(key) {
            // Replaced in place (and made most recent): one lookup, the key kept.
            Some((existing, slot)) => {
                state.bytes -= slot.size(existing);
                *slot = item;
                existing.clone()
            }
            None => {
                state.ordered = None;
                let key = Key::from(key);
                state.items.push(key.clone(), item);
                key
            }
        };
        state.bytes += size;
        state.expiries.push(Expiry { at: expires_at, key });
        if let Some(max) = self.max_bytes {
            state.evict_to(max);
        }
        state.compact();
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        validate_key(key)?;
        self.lock().remove(key);
        Ok(())
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.reap(now);
        let State { items, ordered, .. } = &mut *state;
        let ordered = ordered.get_or_insert_with(|| {
            let mut keys: Vec<Key> = items.iter().map(|(k, _)| k.clone()).collect();
            keys.sort_unstable();
            keys
        });
        let live = ordered[options.start_in(ordered)..].iter().filter(|k| items.peek(&***k).is_some());
        Ok(page_of(live.map(|k| &**k), &options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::ManualClock;
    use crate::core::store::KvTtl;
    use futures::executor::block_on;

    fn ttl(secs: u64) -> PutOptions {
        PutOptions::new(KvTtl::covering_ms(secs * 1000))
    }

    #[test]
    fn expiry_is_exact_to_the_millisecond() {
        let clock = ManualClock::new(10);
        let store = MemoryStore::new(clock.clone());
        block_on(store.put("k", "v".into(), ttl(61))).unwrap();
        clock.set(10 + 61_000 - 1);
        assert!(block_on(store.get("k")).unwrap().is_some());
        clock.set(10 + 61_000);
        assert!(block_on(store.get("k")).unwrap().is_none());
        assert!(store.is_empty());
    }

    #[test]
    fn overwrite_resets_expiry() {
        let clock = ManualClock::new(0);
        let store = MemoryStore::new(clock.clone());
        block_on(store.put("k", "a".into(), ttl(60))).unwrap();
        clock.advance(30_000);
        block_on(store.put("k", "b".into(), ttl(60))).unwrap();
        clock.advance(40_000); // past the first write's expiry, before the second's
        assert_eq!(block_on(store.get("k")).unwrap().as_deref(), Some(&b"b"[..]));
        clock.advance(20_000);
        assert_eq!(block_on(store.get("k")).unwrap(), None);
    }

    #[test]
    fn list_pages_by_prefix_with_cursor() {
        let store = MemoryStore::new(ManualClock::new(0));
        for i in 0..2500 {
            block_on(store.put(&format!("p/{i:05}"), Bytes::new(), ttl(60))).unwrap();
        }
        block_on(store.put("q/other", Bytes::new(), ttl(60))).unwrap();
        block_on(store.put("o/before", Bytes::new(), ttl(60))).unwrap();
        let mut cursor = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = block_on(store.list(ListOptions::prefix("p/").cursor(cursor))).unwrap();
            assert!(page.keys.len() <= 1000);
            pages += 1;
            seen.extend(page.keys);
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 2500);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        assert!(seen.iter().all(|k| k.starts_with("p/")));
    }

    #[test]
    fn listing_sees_keys_added_and_removed_between_pages() {
        let store = MemoryStore::bounded(ManualClock::new(0), 1 << 20);
        for name in ["p/0", "p/1", "p/2", "p/3"] {
            block_on(store.put(name, Bytes::new(), ttl(60))).unwrap();
        }
        let names = |page: ListPage| page.keys;
        let first = block_on(store.list(ListOptions::prefix("p/").limit(2))).unwrap();
        let cursor = first.cursor.clone();
        assert_eq!(names(first), ["p/0", "p/1"]);
        block_on(store.delete("p/2")).unwrap();
        block_on(store.put("p/1a", Bytes::new(), ttl(60))).unwrap();
        let rest = block_on(store.list(ListOptions::prefix("p/").limit(2).cursor(cursor))).unwrap();
        assert_eq!(names(rest), ["p/1a", "p/3"]);
        block_on(store.delete("p/3")).unwrap();
        assert_eq!(names(block_on(store.list(ListOptions::prefix("p/"))).unwrap()), ["p/0", "p/1", "p/1a"]);
    }

    #[test]
    fn list_skips_expired() {
        let clock = ManualClock::new(0);
        let store = MemoryStore::new(clock.clone());
        block_on(store.put("a", Bytes::new(), ttl(60))).unwrap();
        block_on(store.put("b", Bytes::new(), ttl(120))).unwrap();
        clock.advance(60_000);
        let page = block_on(store.list(ListOptions::prefix(""))).unwrap();
        assert_eq!(page.keys, ["b"]);
    }

    #[test]
    fn the_expiry_queue_stays_proportional_to_what_is_held() {
        let clock = ManualClock::new(0);
        let day = || PutOptions::new(KvTtl::covering_ms(86_400_000));
        let bounded = MemoryStore::bounded(clock.clone(), 1_000);
        let unbounded = MemoryStore::new(clock.clone());
        for i in 0..10_000 {
            // Evicted at once (a bounded store of ten), or overwritten (the same key).
            block_on(bounded.put(&format!("k{i:05}"), Bytes::from(vec![0; 90]), day())).unwrap();
            block_on(unbounded.put("same", Bytes::from(vec![0; 90]), day())).unwrap();
        }
        for store in [&bounded, &unbounded] {
            let rows = store.lock().expiries.len();
            assert!(rows <= 2 * store.len() + 64, "{rows} queued rows for {} items", store.len());
        }
        assert_eq!(bounded.len(), 10);
        assert!(block_on(bounded.get("k09999")).unwrap().is_some());
        clock.advance(86_400_000);
        assert_eq!((bounded.len(), unbounded.len()), (0, 0), "compacted rows still expire what they hold");
    }

    #[test]
    fn a_bounded_store_keeps_its_budget_and_its_accounting() {
        let clock = ManualClock::new(0);
        let store = MemoryStore::bounded(clock.clone(), 1_000);
        for i in 0..100 {
            block_on(store.put(&format!("k{i:02}"), Bytes::from(vec![0; 97]), ttl(60))).unwrap();
            assert!(store.bytes() <= 1_000);
        }
        assert_eq!(store.len(), 10, "100-byte items in a 1000-byte store");
        assert!(block_on(store.get("k99")).unwrap().is_some() && block_on(store.get("k89")).unwrap().is_none());
        block_on(store.delete("k99")).unwrap();
        clock.advance(60_000);
        assert_eq!((store.len(), store.bytes()), (0, 0), "expiry and delete release their bytes");
    }

    #[test]
    fn rejects_what_workers_kv_rejects() {
        let store = MemoryStore::new(ManualClock::new(0));
        let long = "k".repeat(513);
        assert!(matches!(block_on(store.put(&long, Bytes::new(), ttl(60))), Err(StoreError::Rejected(_))));
        assert!(matches!(block_on(store.get("")), Err(StoreError::Rejected(_))));
        assert!(block_on(store.delete("absent")).is_ok());
    }
}
