//! The embedded default store: an ordered map in memory with exact TTL expiry against the
//! injected clock.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use super::{page_of, validate_key, validate_put, KvStore, ListOptions, ListPage, ListedKey, PutOptions, StoreError};
use crate::core::clock::{Clock, Millis};

struct Item {
    value: Bytes,
    expires_at: Millis,
    metadata: Option<String>,
    /// Its place in the recency order.
    used: u64,
}

impl Item {
    fn size(&self, key: &str) -> usize {
        key.len() + self.value.len() + self.metadata.as_ref().map_or(0, String::len)
    }
}

#[derive(Default)]
struct State {
    items: BTreeMap<String, Item>,
    // Expiry queue; an overwritten key leaves an outdated row, skipped when popped.
    expiries: BinaryHeap<Reverse<(Millis, String)>>,
    // Recency order, least recently used first (only kept when the store is bounded).
    recency: BTreeMap<u64, String>,
    tick: u64,
    bytes: usize,
}

impl State {
    fn remove(&mut self, key: &str) {
        if let Some(item) = self.items.remove(key) {
            self.bytes -= item.size(key);
            self.recency.remove(&item.used);
        }
    }

    fn touch(&mut self, key: &str, bounded: bool) {
        if !bounded {
            return;
        }
        self.tick += 1;
        let tick = self.tick;
        if let Some(item) = self.items.get_mut(key) {
            self.recency.remove(&item.used);
            item.used = tick;
            self.recency.insert(tick, key.to_owned());
        }
    }

    fn evict_to(&mut self, max_bytes: usize) {
        while self.bytes > max_bytes {
            let Some((_, key)) = self.recency.pop_first() else { break };
            if let Some(item) = self.items.remove(&key) {
                self.bytes -= item.size(&key);
            }
        }
    }

    fn reap(&mut self, now: Millis) {
        while let Some(Reverse((at, _))) = self.expiries.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, key))) = self.expiries.pop() else {
                break;
            };
            if self.items.get(&key).is_some_and(|item| item.expires_at == at) {
                self.remove(&key);
            }
        }
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

    /// An empty store holding at most `max_bytes` (keys, values and metadata), evicting the
    /// least recently used first. An evicted stamp reads as absent, which never makes an
    /// entry valid, so eviction can cost hits but never correctness.
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

    /// Bytes held (keys, values, metadata).
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

    fn read(&self, state: &State, key: &str, now: Millis) -> Option<Bytes> {
        state.items.get(key).filter(|item| item.expires_at > now).map(|item| item.value.clone())
    }
}

impl KvStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        validate_key(key)?;
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.touch(key, self.max_bytes.is_some());
        Ok(self.read(&state, key, now))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        keys.iter()
            .map(|key| {
                validate_key(key)?;
                state.touch(key, self.max_bytes.is_some());
                Ok(self.read(&state, key, now))
            })
            .collect()
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        validate_put(key, &options)?;
        let now = self.clock.now_ms();
        let expires_at = now.saturating_add(options.ttl.millis());
        let mut state = self.lock();
        state.reap(now);
        state.remove(key);
        let item = Item { value, expires_at, metadata: options.metadata, used: 0 };
        if self.max_bytes.is_some_and(|max| item.size(key) > max) {
            return Ok(()); // larger than the whole store: kept nowhere, like an instant eviction
        }
        state.bytes += item.size(key);
        state.expiries.push(Reverse((expires_at, key.to_owned())));
        state.items.insert(key.to_owned(), item);
        if let Some(max) = self.max_bytes {
            state.touch(key, true);
            state.evict_to(max);
        }
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
        Ok(page_of(&state.items, &options, |name, item| {
            Some(ListedKey {
                name: name.to_owned(),
                expires_at: Some(item.expires_at),
                metadata: item.metadata.clone(),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{KvTtl, ManualClock};
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
            seen.extend(page.keys.into_iter().map(|k| k.name));
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
    fn list_returns_metadata_and_expiry_and_skips_expired() {
        let clock = ManualClock::new(0);
        let store = MemoryStore::new(clock.clone());
        block_on(store.put("a", Bytes::new(), ttl(60).metadata("{\"x\":1}"))).unwrap();
        block_on(store.put("b", Bytes::new(), ttl(120))).unwrap();
        clock.advance(60_000);
        let page = block_on(store.list(ListOptions::prefix(""))).unwrap();
        assert_eq!(page.keys.len(), 1);
        assert_eq!(page.keys[0].name, "b");
        assert_eq!(page.keys[0].expires_at, Some(120_000));
        let page = block_on(store.list(ListOptions::prefix("b"))).unwrap();
        assert_eq!(page.keys[0].metadata, None);
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
        let big_meta = PutOptions::new(KvTtl::covering_ms(0)).metadata("x".repeat(1025));
        assert!(matches!(block_on(store.put("k", Bytes::new(), big_meta)), Err(StoreError::Rejected(_))));
        assert!(block_on(store.delete("absent")).is_ok());
    }
}
