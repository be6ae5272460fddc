//! An in-memory tier (the worker's in-isolate cache): a byte-bounded LRU of entry values in front of Workers KV, so
//! hot hits cost no KV read. Only entries are kept here; their validity is still checked
//! against tag stamps (memoised for the stamp-memo interval), so purges are honoured within it.

use std::cell::RefCell;

use bytes::Bytes;

use super::{KvStore, ListOptions, ListPage, PutOptions, StoreError};
use crate::core::clock::{Clock, Millis};
use crate::core::hash_map::HashMap;

struct Slot {
    value: Bytes,
    expires_at: Millis,
    used: u64,
}

struct Lru {
    slots: HashMap<String, Slot>,
    bytes: usize,
    tick: u64,
}

/// A store that keeps entry values (`…/e/…` keys) in memory up to a byte budget, least recently
/// used out first, and everything in the store below.
///
/// ```
/// use edgecache::core::{KvStore, KvTtl, ManualClock, MemoryStore, PutOptions, Tiered};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(0);
/// let tiered = Tiered::new(MemoryStore::new(clock.clone()), 1 << 20, clock);
/// tiered.put("ns:0/e/k@v0", "v".into(), PutOptions::new(KvTtl::covering_ms(0))).await.unwrap();
/// assert_eq!(tiered.memory_bytes(), "ns:0/e/k@v0".len() + 1);
/// # });
/// ```
pub struct Tiered<S> {
    below: S,
    budget: usize,
    clock: Box<dyn Clock>,
    lru: RefCell<Lru>,
}

impl<S> Tiered<S> {
    /// `below` with up to `budget` bytes of entries in memory (0: none).
    pub fn new(below: S, budget: usize, clock: impl Clock + 'static) -> Self {
        Self {
            below,
            budget,
            clock: Box::new(clock),
            lru: RefCell::new(Lru { slots: HashMap::default(), bytes: 0, tick: 0 }),
        }
    }

    fn holds(&self, key: &str) -> bool {
        self.budget > 0 && key.contains("/e/")
    }

    fn remember(&self, key: &str, value: &Bytes, expires_at: Millis) {
        let size = key.len() + value.len();
        if !self.holds(key) || size > self.budget / 4 {
            return;
        }
        let mut lru = self.lru.borrow_mut();
        lru.tick += 1;
        let used = lru.tick;
        if let Some(old) = lru.slots.insert(key.to_owned(), Slot { value: value.clone(), expires_at, used }) {
            lru.bytes -= key.len() + old.value.len();
        }
        lru.bytes += size;
        while lru.bytes > self.budget {
            let Some(oldest) = lru.slots.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(gone) = lru.slots.remove(&oldest) {
                lru.bytes -= oldest.len() + gone.value.len();
            }
        }
    }

    fn forget(&self, key: &str) {
        let mut lru = self.lru.borrow_mut();
        if let Some(gone) = lru.slots.remove(key) {
            lru.bytes -= key.len() + gone.value.len();
        }
    }

    /// Bytes held in memory.
    pub fn memory_bytes(&self) -> usize {
        self.lru.borrow().bytes
    }
}

impl<S: KvStore> KvStore for Tiered<S> {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let now = self.clock.now_ms();
        {
            let mut lru = self.lru.borrow_mut();
            lru.tick += 1;
            let tick = lru.tick;
            if let Some(slot) = lru.slots.get_mut(key) {
                if slot.expires_at > now {
                    slot.used = tick;
                    return Ok(Some(slot.value.clone()));
                }
            }
        }
        let value = self.below.get(key).await?;
        match &value {
            // KV does not say when a value expires; keep it briefly so another isolate's newer
            // write is picked up soon (validity is checked against stamps either way).
            Some(v) => self.remember(key, v, now + 60_000),
            None => self.forget(key),
        }
        Ok(value)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.below.get_many(keys).await
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        let expires_at = self.clock.now_ms() + options.ttl.millis();
        self.below.put(key, value.clone(), options).await?;
        self.remember(key, &value, expires_at);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.forget(key);
        self.below.delete(key).await
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        self.below.list(options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::ManualClock;
    use crate::core::store::{KvTtl, MemoryStore, SimulatedKv, StoreOp};
    use futures::executor::block_on;

    fn opts() -> PutOptions {
        PutOptions::new(KvTtl::covering_ms(0))
    }

    #[test]
    fn hot_entries_cost_no_read_below_and_the_budget_holds() {
        let clock = ManualClock::new(0);
        let below = SimulatedKv::new(clock.clone(), 0, 1);
        let tiered = Tiered::new(below.clone(), 1000, clock.clone());
        block_on(tiered.put("n:0/e/a", Bytes::from(vec![1; 100]), opts())).unwrap();
        below.reset_counts();
        for _ in 0..10 {
            assert!(block_on(tiered.get("n:0/e/a")).unwrap().is_some());
        }
        assert_eq!(below.count(StoreOp::Get), 0);
        for i in 0..50 {
            block_on(tiered.put(&format!("n:0/e/k{i}"), Bytes::from(vec![0; 100]), opts())).unwrap();
        }
        assert!(tiered.memory_bytes() <= 1000);
        // Stamps and other keys are never held.
        block_on(tiered.put("n:0/s/t:x/h", Bytes::from_static(b"s"), opts())).unwrap();
        below.reset_counts();
        block_on(tiered.get("n:0/s/t:x/h")).unwrap();
        assert_eq!(below.count(StoreOp::Get), 1);
    }

    #[test]
    fn expiry_and_delete_reach_the_memory_tier() {
        let clock = ManualClock::new(0);
        let below = MemoryStore::new(clock.clone());
        let tiered = Tiered::new(below, 1 << 20, clock.clone());
        block_on(tiered.put("n:0/e/a", Bytes::from_static(b"v"), opts())).unwrap();
        block_on(tiered.delete("n:0/e/a")).unwrap();
        assert_eq!(block_on(tiered.get("n:0/e/a")).unwrap(), None);
        block_on(tiered.put("n:0/e/b", Bytes::from_static(b"v"), opts())).unwrap();
        clock.advance(60_000);
        assert_eq!(block_on(tiered.get("n:0/e/b")).unwrap(), None);
        assert_eq!(tiered.memory_bytes(), 0);
    }
}
