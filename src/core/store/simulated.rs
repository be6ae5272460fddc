//! A test store with Workers KV's weaknesses: writes become visible only after a random delay up
//! to a configurable bound, the last write (by write time) wins however late it arrives, and
//! operations can be made to fail. It also counts operations, which is how the tests measure
//! what each cache call costs in KV round trips.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use super::{page_of, validate_key, KvStore, ListOptions, ListPage, PutOptions, StoreError};
use crate::core::clock::{Clock, Millis};
use crate::core::random::SplitMix64;

/// The operations of a [`KvStore`], for counting and failure injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreOp {
    /// `get`
    Get,
    /// `get_many` (one call, whatever the number of keys)
    GetMany,
    /// `put`
    Put,
    /// `delete`
    Delete,
    /// `list`
    List,
}

const OPS: usize = 5;

impl StoreOp {
    fn index(self) -> usize {
        self as usize
    }
}

// Which operations fail, and how often.
#[derive(Debug, Clone, Default)]
struct FailurePlan {
    // Per operation: calls to let through first, then failures left (u32::MAX = until healed).
    skip: [u32; OPS],
    remaining: [u32; OPS],
    // Per operation: chance of a random failure, per thousand calls.
    per_mille: [u32; OPS],
}

impl FailurePlan {
    fn take(&mut self, op: StoreOp, rng: &mut SplitMix64) -> bool {
        let i = op.index();
        if self.per_mille[i] > 0 && (rng.next_u64() % 1000) < u64::from(self.per_mille[i]) {
            return true;
        }
        if self.remaining[i] == 0 {
            return false;
        }
        if self.skip[i] > 0 {
            self.skip[i] -= 1;
            return false;
        }
        if self.remaining[i] != u32::MAX {
            self.remaining[i] -= 1;
        }
        true
    }
}

#[derive(Clone)]
struct Version {
    // None is a delete (a tombstone that still takes part in last-write-wins).
    item: Option<(Bytes, Millis)>,
    written: (Millis, u64),
}

struct Pending {
    key: String,
    version: Version,
    visible_at: Millis,
}

struct State {
    visible: BTreeMap<String, Version>,
    pending: Vec<Pending>,
    rng: SplitMix64,
    seq: u64,
    max_delay: Millis,
    failures: FailurePlan,
    counts: [u64; OPS],
}

impl State {
    fn settle(&mut self, now: Millis) {
        if self.pending.iter().all(|p| p.visible_at > now) {
            return;
        }
        let (due, waiting): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.visible_at <= now);
        self.pending = waiting;
        for p in due {
            let newer = self.visible.get(&p.key).is_none_or(|cur| p.version.written > cur.written);
            if newer {
                self.visible.insert(p.key, p.version);
            }
        }
    }

    fn begin(&mut self, op: StoreOp, now: Millis) -> Result<(), StoreError> {
        self.counts[op.index()] += 1;
        self.settle(now);
        if self.failures.take(op, &mut self.rng) {
            return Err(StoreError::Unavailable(format!("injected {op:?} failure")));
        }
        Ok(())
    }

    fn read(&self, key: &str, now: Millis) -> Option<Bytes> {
        match &self.visible.get(key)?.item {
            Some((value, expires_at)) if *expires_at > now => Some(value.clone()),
            _ => None,
        }
    }

    fn write(&mut self, key: &str, item: Option<(Bytes, Millis)>, now: Millis) {
        self.seq += 1;
        let delay = if self.max_delay == 0 { 0 } else { self.rng.next_u64() % (self.max_delay + 1) };
        let version = Version { item, written: (now, self.seq) };
        self.pending.push(Pending { key: key.to_owned(), version, visible_at: now + delay });
        self.settle(now);
    }
}

/// An eventually consistent, failure-injecting [`KvStore`] for tests. Clones share state (one
/// KV namespace seen from every location with the same lag).
///
/// ```
/// use edgecache::core::{KvStore, KvTtl, ManualClock, PutOptions, SimulatedKv, StoreOp};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(0);
/// let kv = SimulatedKv::new(clock.clone(), 1_000, 7);
/// kv.put("k", "v".into(), PutOptions::new(KvTtl::covering_ms(0))).await.unwrap();
/// clock.advance(1_000);
/// assert!(kv.get("k").await.unwrap().is_some()); // visible once the delay bound has passed
/// kv.fail(StoreOp::Get, Some(1));
/// assert!(kv.get("k").await.is_err());
/// assert_eq!(kv.count(StoreOp::Get), 2);
/// # });
/// ```
#[derive(Clone)]
pub struct SimulatedKv {
    clock: Arc<dyn Clock + Send + Sync>,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for SimulatedKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedKv").field("max_delay", &self.lock().max_delay).finish()
    }
}

impl SimulatedKv {
    /// A store whose writes become visible after a random delay in `0..=max_delay_ms`
    /// (seeded by `seed`, so runs repeat).
    #[must_use]
    pub fn new(clock: impl Clock + Send + Sync + 'static, max_delay_ms: Millis, seed: u64) -> Self {
        let state = State {
            visible: BTreeMap::new(),
            pending: Vec::new(),
            rng: SplitMix64::new(seed),
            seq: 0,
            max_delay: max_delay_ms,
            failures: FailurePlan::default(),
            counts: [0; OPS],
        };
        Self { clock: Arc::new(clock), state: Arc::new(Mutex::new(state)) }
    }

    /// Makes the next `times` calls of `op` fail (`None`: every call until [`heal`](Self::heal)).
    pub fn fail(&self, op: StoreOp, times: Option<u32>) {
        self.fail_after(op, 0, times);
    }

    /// Lets `skip` calls of `op` through, then fails `times` of them (`None`: until healed).
    pub fn fail_after(&self, op: StoreOp, skip: u32, times: Option<u32>) {
        let mut state = self.lock();
        state.failures.skip[op.index()] = skip;
        state.failures.remaining[op.index()] = times.map_or(u32::MAX, |t| t.min(u32::MAX - 1));
    }

    /// Fails each call of `op` with a chance of `per_mille`/1000 (seeded, so runs repeat).
    pub fn fail_randomly(&self, op: StoreOp, per_mille: u32) {
        self.lock().failures.per_mille[op.index()] = per_mille.min(1000);
    }

    /// Stops all injected failures.
    pub fn heal(&self) {
        self.lock().failures = FailurePlan::default();
    }

    /// How many calls of `op` were made (failed ones included).
    #[must_use]
    pub fn count(&self, op: StoreOp) -> u64 {
        self.lock().counts[op.index()]
    }

    /// Total calls of every operation.
    #[must_use]
    pub fn total_ops(&self) -> u64 {
        self.lock().counts.iter().sum()
    }

    /// Forgets the operation counts.
    pub fn reset_counts(&self) {
        self.lock().counts = [0; OPS];
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KvStore for SimulatedKv {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.begin(StoreOp::Get, now)?;
        validate_key(key)?;
        Ok(state.read(key, now))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.begin(StoreOp::GetMany, now)?;
        keys.iter().map(|key| validate_key(key).map(|()| state.read(key, now))).collect()
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.begin(StoreOp::Put, now)?;
        validate_key(key)?;
        let expires_at = now + options.ttl.millis();
        state.write(key, Some((value, expires_at)), now);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.begin(StoreOp::Delete, now)?;
        validate_key(key)?;
        state.write(key, None, now);
        Ok(())
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.begin(StoreOp::List, now)?;
        let live = state
            .visible
            .range::<str, _>((options.start(), Bound::Unbounded))
            .filter(|(_, version)| version.item.as_ref().is_some_and(|(_, expires_at)| *expires_at > now))
            .map(|(k, _)| k.as_str());
        Ok(page_of(live, &options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::ManualClock;
    use crate::core::store::KvTtl;
    use futures::executor::block_on;

    fn opts() -> PutOptions {
        PutOptions::new(KvTtl::covering_ms(0))
    }

    #[test]
    fn writes_are_invisible_until_their_delay_and_last_write_wins() {
        let clock = ManualClock::new(0);
        let kv = SimulatedKv::new(clock.clone(), 5_000, 1);
        let mut saw_lag = false;
        for round in 0..50u64 {
            let key = format!("k{round}");
            block_on(kv.put(&key, "old".into(), opts())).unwrap();
            clock.advance(1);
            block_on(kv.put(&key, "new".into(), opts())).unwrap();
            saw_lag |= block_on(kv.get(&key)).unwrap().as_deref() != Some(&b"new"[..]);
            clock.advance(5_000);
            // Whatever order the two writes arrived in, the later one wins.
            assert_eq!(block_on(kv.get(&key)).unwrap().as_deref(), Some(&b"new"[..]));
        }
        assert!(saw_lag, "a 5 s delay bound never delayed a write in 50 tries");
    }

    #[test]
    fn delete_is_a_write_that_also_lags() {
        let clock = ManualClock::new(0);
        let kv = SimulatedKv::new(clock.clone(), 0, 1);
        block_on(kv.put("k", "v".into(), opts())).unwrap();
        block_on(kv.delete("k")).unwrap();
        assert_eq!(block_on(kv.get("k")).unwrap(), None);
        assert!(block_on(kv.list(ListOptions::prefix(""))).unwrap().keys.is_empty());
    }

    #[test]
    fn injected_failures_count_down_and_heal() {
        let kv = SimulatedKv::new(ManualClock::new(0), 0, 1);
        kv.fail(StoreOp::Put, Some(2));
        assert!(block_on(kv.put("k", "v".into(), opts())).is_err());
        assert!(block_on(kv.put("k", "v".into(), opts())).is_err());
        assert!(block_on(kv.put("k", "v".into(), opts())).is_ok());
        kv.fail(StoreOp::List, None);
        for _ in 0..3 {
            assert!(matches!(block_on(kv.list(ListOptions::default())), Err(StoreError::Unavailable(_))));
        }
        kv.heal();
        assert!(block_on(kv.list(ListOptions::default())).is_ok());
        assert_eq!(kv.count(StoreOp::Put), 3);
    }
}
