//! A store that writes its stamps to a second store as well (a purge authority's storage,
//! mirrored to Workers KV so that edge instances can fall back to it, and read there the
//! stamps of scopes the authority's feed no longer reports).

use bytes::Bytes;

use super::{KvStore, ListOptions, ListPage, PutOptions, StoreError};

/// `primary`, with every pinned write (a stamp) written to `mirror` first: a stamp the mirror
/// refused is not written at all, so the mirror never lags the primary for long. A stamp
/// written to the mirror only (the primary failed after) is harmless: stamps only invalidate.
/// Everything else (log, feed, replay records) stays in the primary, which answers all reads.
///
/// ```
/// use edgecache::core::{KvStore, KvTtl, ManualClock, MemoryStore, Mirrored, PutOptions};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(0);
/// let mirror = std::sync::Arc::new(MemoryStore::new(clock.clone()));
/// let store = Mirrored::new(MemoryStore::new(clock), mirror.clone());
/// let ttl = PutOptions::new(KvTtl::covering_ms(0));
/// store.put("stamp", "1".into(), ttl.clone().pinned()).await.unwrap();
/// store.put("log", "2".into(), ttl).await.unwrap();
/// assert!(mirror.get("stamp").await.unwrap().is_some());
/// assert!(mirror.get("log").await.unwrap().is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct Mirrored<P, M> {
    primary: P,
    mirror: M,
}

impl<P, M> Mirrored<P, M> {
    /// `primary` mirroring its stamps to `mirror`.
    pub fn new(primary: P, mirror: M) -> Self {
        Self { primary, mirror }
    }
}

impl<P: KvStore, M: KvStore> KvStore for Mirrored<P, M> {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        self.primary.get(key).await
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.primary.get_many(keys).await
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        if options.pinned {
            self.mirror.put(key, value.clone(), options.clone()).await?;
        }
        self.primary.put(key, value, options).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.primary.delete(key).await
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        self.primary.list(options).await
    }
}
