//! The key-value store the cache keeps everything in, shaped like Workers KV: values are bytes,
//! every write carries an expiration TTL of at least 60 s, listing is by prefix in pages of at
//! most 1000 keys with an opaque cursor.
//!
//! Adapters (Workers KV, a JS object, IndexedDB) implement [`KvStore`] in the fronts;
//! [`MemoryStore`] is the embedded default.

mod memory;
mod mirrored;
#[cfg(any(test, feature = "testing"))]
mod simulated;
mod tiered;

pub use memory::MemoryStore;
pub use mirrored::Mirrored;
#[cfg(any(test, feature = "testing"))]
pub use simulated::{SimulatedKv, StoreOp};
pub use tiered::Tiered;

use bytes::Bytes;

use super::clock::Millis;

/// Workers KV refuses an `expirationTtl` under 60 seconds.
pub const MIN_TTL_SECS: u32 = 60;
/// The longest TTL Workers KV takes: workerd reads `expirationTtl` as a 32-bit signed integer
/// and refuses more (measured: 2^31 s fails "Value out of range"). Longer lifetimes (up to the
/// 2^31 s RFC 9111 allows) are still enforced from the entry's own timestamps.
pub const MAX_TTL_SECS: u32 = i32::MAX as u32;
/// Workers KV's largest page of a list call.
pub const MAX_LIST_LIMIT: usize = 1000;
/// Workers KV's longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 512;

/// An expiration TTL that Workers KV accepts: whole seconds, from 60 to 2^31 - 1.
///
/// ```
/// use edgecache::core::KvTtl;
/// assert_eq!(KvTtl::covering_ms(1).secs(), 60);
/// assert_eq!(KvTtl::covering_ms(90_001).secs(), 91);
/// assert_eq!(KvTtl::covering_ms(u64::MAX).secs(), i32::MAX as u32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KvTtl(u32);

impl KvTtl {
    /// The shortest TTL at least `ms` long that KV accepts (rounded up to whole seconds and to
    /// the 60 s minimum), or KV's longest. Lifetimes outside are enforced from the entry's own
    /// timestamps.
    #[must_use]
    pub fn covering_ms(ms: u64) -> Self {
        let secs = ms.div_ceil(1000).min(u64::from(MAX_TTL_SECS)) as u32;
        Self(secs.max(MIN_TTL_SECS))
    }

    /// The TTL in seconds.
    #[must_use]
    pub fn secs(self) -> u32 {
        self.0
    }

    /// The TTL in milliseconds.
    #[must_use]
    pub fn millis(self) -> Millis {
        u64::from(self.0) * 1000
    }
}

/// Options of a write. The TTL is not optional: orphans must reclaim themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PutOptions {
    /// How long the value lives.
    pub ttl: KvTtl,
    /// The value must be kept until its TTL: a store that drops values early to make room (a
    /// bounded [`MemoryStore`]) must drop others instead. The cache pins its stamps, whose early
    /// loss could make invalidated entries valid again.
    pub pinned: bool,
}

impl PutOptions {
    /// A write that expires after `ttl`.
    pub fn new(ttl: KvTtl) -> Self {
        Self { ttl, pinned: false }
    }

    /// Marks the write as one that must be kept until its TTL (see [`pinned`](Self::pinned)).
    pub fn pinned(mut self) -> Self {
        self.pinned = true;
        self
    }
}

/// A list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ListOptions {
    /// Only keys starting with this.
    pub prefix: String,
    /// Resume after the page that returned this cursor.
    pub cursor: Option<String>,
    /// At most this many keys (capped at [`MAX_LIST_LIMIT`]); 0 means the maximum.
    pub limit: usize,
}

impl ListOptions {
    /// Lists keys starting with `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into(), ..Self::default() }
    }

    /// Continues from a previous page.
    pub fn cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Caps the page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Where an ordered listing starts: after the cursor, else at the prefix.
    pub(crate) fn start(&self) -> std::ops::Bound<&str> {
        match &self.cursor {
            Some(after) => std::ops::Bound::Excluded(after),
            None => std::ops::Bound::Included(&self.prefix),
        }
    }

    /// Where the listing starts in `sorted` (names in ascending order).
    pub(crate) fn start_in<K: std::borrow::Borrow<str>>(&self, sorted: &[K]) -> usize {
        match self.start() {
            std::ops::Bound::Included(first) => sorted.partition_point(|k| k.borrow() < first),
            std::ops::Bound::Excluded(after) => sorted.partition_point(|k| k.borrow() <= after),
            std::ops::Bound::Unbounded => 0,
        }
    }

    pub(crate) fn effective_limit(&self) -> usize {
        if self.limit == 0 {
            MAX_LIST_LIMIT
        } else {
            self.limit.min(MAX_LIST_LIMIT)
        }
    }
}

/// A page of keys, in ascending byte order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The keys of this page.
    pub keys: Vec<String>,
    /// Pass to the next call to continue; `None` when this was the last page.
    pub cursor: Option<String>,
}

/// What a store can fail with. Every adapter maps its platform errors onto these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or answered with an error (network, KV 5xx, quota).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refused the request as malformed (key too long, TTL too short, value too big).
    #[error("store rejected the request: {0}")]
    Rejected(String),
}

/// An async key-value store shaped like Workers KV.
///
/// Futures are not required to be `Send`: on wasm everything runs on one thread and platform
/// futures (JS promises) are not `Send`.
///
/// ```
/// use edgecache::core::{KvStore, KvTtl, ManualClock, MemoryStore, PutOptions};
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new(ManualClock::new(0));
/// store.put("a", "1".into(), PutOptions::new(KvTtl::covering_ms(0))).await.unwrap();
/// assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"1"[..]));
/// # });
/// ```
#[allow(async_fn_in_trait)] // the fronts' futures are !Send by nature; callers never need Send
pub trait KvStore {
    /// The value at `key`, or `None` when absent or expired.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError>;

    /// The values at `keys`, in the same order. Adapters with a bulk read override this.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    /// Writes `value` at `key`; the last write wins.
    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError>;

    /// Removes `key`; removing an absent key succeeds.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// One page of keys starting with `options.prefix`.
    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError>;
}

impl<S: KvStore + ?Sized> KvStore for std::sync::Arc<S> {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        (**self).get(key).await
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        (**self).get_many(keys).await
    }
    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        (**self).put(key, value, options).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        (**self).delete(key).await
    }
    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        (**self).list(options).await
    }
}

/// One list page from the live keys in ascending order, starting at [`ListOptions::start`]:
/// keys with the prefix, after the cursor, at most the limit.
pub(crate) fn page_of<'a>(ordered: impl Iterator<Item = &'a str>, options: &ListOptions) -> ListPage {
    let limit = options.effective_limit();
    let mut keys = Vec::new();
    let mut more = false;
    for name in ordered {
        if !name.starts_with(&options.prefix) {
            break;
        }
        if keys.len() == limit {
            more = true;
            break;
        }
        keys.push(name.to_owned());
    }
    let cursor = if more { keys.last().cloned() } else { None };
    ListPage { keys, cursor }
}

/// Checks a key as Workers KV would, so every store rejects the same keys.
pub(crate) fn validate_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES || key == "." || key == ".." {
        return Err(StoreError::Rejected(format!("invalid key of {} bytes", key.len())));
    }
    Ok(())
}
