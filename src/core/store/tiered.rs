//! An in-memory tier (the worker's in-isolate cache): a byte-bounded LRU of entry values in
//! front of Workers KV, so hot hits cost no KV read. Only entries are kept here; their validity
//! is still checked against tag stamps (memoised for the stamp-memo interval), so purges are
//! honoured within it. The tier is a bounded [`MemoryStore`]: one LRU for the whole crate.

use bytes::Bytes;

use super::{KvStore, KvTtl, ListOptions, ListPage, MemoryStore, PutOptions, StoreError};
use crate::core::clock::Clock;

/// How long a value read from the store below is kept in memory: KV does not say when a value
/// expires, so it is kept briefly and another isolate's newer write is picked up soon (its
/// validity is checked against stamps either way).
const READ_KEPT_MS: u64 = 60_000;

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
    memory: MemoryStore,
}

impl<S> Tiered<S> {
    /// `below` with up to `budget` bytes of entries in memory (0: none).
    pub fn new(below: S, budget: usize, clock: impl Clock + Send + Sync + 'static) -> Self {
        Self { below, budget, memory: MemoryStore::bounded(clock, budget) }
    }

    fn holds(&self, key: &str) -> bool {
        self.budget > 0 && key.contains("/e/")
    }

    /// Keeps `value` in memory unless it would take over a quarter of the budget.
    async fn remember(&self, key: &str, value: &Bytes, ttl: KvTtl) -> Result<(), StoreError> {
        if key.len() + value.len() > self.budget / 4 {
            return self.memory.delete(key).await;
        }
        self.memory.put(key, value.clone(), PutOptions::new(ttl)).await
    }

    /// Bytes held in memory.
    pub fn memory_bytes(&self) -> usize {
        self.memory.bytes()
    }
}

impl<S: KvStore> KvStore for Tiered<S> {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        if !self.holds(key) {
            return self.below.get(key).await;
        }
        if let Some(value) = self.memory.get(key).await? {
            return Ok(Some(value));
        }
        let value = self.below.get(key).await?;
        match &value {
            Some(v) => self.remember(key, v, KvTtl::covering_ms(READ_KEPT_MS)).await?,
            None => self.memory.delete(key).await?,
        }
        Ok(value)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.below.get_many(keys).await
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        let ttl = options.ttl;
        self.below.put(key, value.clone(), options).await?;
        if self.holds(key) {
            self.remember(key, &value, ttl).await?;
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        if self.holds(key) {
            self.memory.delete(key).await?;
        }
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
    fn a_value_too_big_to_keep_replaces_the_kept_one() {
        let clock = ManualClock::new(0);
        let tiered = Tiered::new(MemoryStore::new(clock.clone()), 1000, clock);
        block_on(tiered.put("n:0/e/a", Bytes::from_static(b"old"), opts())).unwrap();
        block_on(tiered.put("n:0/e/a", Bytes::from(vec![7; 400]), opts())).unwrap();
        assert_eq!(block_on(tiered.get("n:0/e/a")).unwrap(), Some(Bytes::from(vec![7; 400])));
        assert_eq!(tiered.memory_bytes(), 0, "over a quarter of the budget: not kept");
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
