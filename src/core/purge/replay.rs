//! Replay protection: an id already applied inside the tolerance window is not applied twice;
//! the guard keeps the receipt it was answered with, so a replay gets the same answer.

use crate::core::hash_map::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

use crate::core::clock::Millis;
use crate::core::keys::KeySpace;
use crate::core::store::{KvStore, KvTtl, PutOptions, StoreError};

/// Remembers applied request ids, with what they were answered, until a given time.
#[allow(async_fn_in_trait)] // same reasoning as KvStore: platform futures are !Send
pub trait ReplayGuard {
    /// What `id` was answered, if it was applied and is still remembered at `now`.
    async fn recall(&self, id: &str, now: Millis) -> Result<Option<Bytes>, StoreError>;
    /// Remembers `id` and its `answer` until `until`.
    async fn remember(&self, id: &str, answer: Bytes, now: Millis, until: Millis) -> Result<(), StoreError>;
}

/// An in-memory guard for one instance, bounded to `capacity` ids (oldest expiry dropped first
/// when full).
///
/// ```
/// use edgecache::core::purge::{MemoryReplayGuard, ReplayGuard};
/// # futures::executor::block_on(async {
/// let guard = MemoryReplayGuard::new(1000);
/// guard.remember("msg_1", "receipt".into(), 0, 600_000).await.unwrap();
/// assert_eq!(guard.recall("msg_1", 1).await.unwrap().as_deref(), Some(&b"receipt"[..]));
/// assert!(guard.recall("msg_1", 600_000).await.unwrap().is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct MemoryReplayGuard {
    capacity: usize,
    ids: Mutex<HashMap<String, (Bytes, Millis)>>,
}

impl MemoryReplayGuard {
    /// A guard remembering at most `capacity` ids.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), ids: Mutex::default() }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    async fn recall(&self, id: &str, now: Millis) -> Result<Option<Bytes>, StoreError> {
        let ids = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(ids.get(id).filter(|(_, until)| *until > now).map(|(answer, _)| answer.clone()))
    }

    async fn remember(&self, id: &str, answer: Bytes, now: Millis, until: Millis) -> Result<(), StoreError> {
        let mut ids = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if ids.len() >= self.capacity {
            ids.retain(|_, (_, until)| *until > now);
        }
        if ids.len() >= self.capacity {
            if let Some(oldest) = ids.iter().min_by_key(|(_, (_, until))| *until).map(|(id, _)| id.clone()) {
                ids.remove(&oldest);
            }
        }
        ids.insert(id.to_owned(), (answer, until));
        Ok(())
    }
}

/// A guard in the cache's KV store, shared by every instance (within KV's propagation delay:
/// two deliveries of one id to two locations inside it may both apply, which is harmless, as
/// purges are idempotent).
#[derive(Debug)]
pub struct KvReplayGuard<S> {
    store: S,
    keys: KeySpace,
}

impl<S: KvStore> KvReplayGuard<S> {
    /// A guard keeping ids in `store` under `keys`.
    #[must_use]
    pub fn new(store: S, keys: KeySpace) -> Self {
        Self { store, keys }
    }
}

impl<S: KvStore> ReplayGuard for KvReplayGuard<S> {
    async fn recall(&self, id: &str, _now: Millis) -> Result<Option<Bytes>, StoreError> {
        self.store.get(&self.keys.replay(id)).await
    }

    async fn remember(&self, id: &str, answer: Bytes, now: Millis, until: Millis) -> Result<(), StoreError> {
        let ttl = KvTtl::covering_ms(until.saturating_sub(now));
        self.store.put(&self.keys.replay(id), answer, PutOptions::new(ttl)).await
    }
}
