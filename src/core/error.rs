//! The core's one error type.

use std::sync::Arc;

use crate::core::keys::Scope;
use crate::core::store::StoreError;

/// A loader's failure, shared with every caller that waited on the same load.
///
/// ```
/// use edgecache::core::LoadError;
/// let e = LoadError::new("origin answered 503");
/// assert_eq!(e.to_string(), "origin answered 503");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(Arc<str>);

impl LoadError {
    /// A load failure described by `message`.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string().into())
    }
}

/// What a cache call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some scopes of a multi-scope invalidation were applied, then a write failed. Nothing was
    /// logged; repeating the whole invalidation is safe.
    #[error("invalidation incomplete: {applied} of {total} scopes applied before: {source}")]
    InvalidationIncomplete {
        /// Scopes applied before the failure.
        applied: usize,
        /// Scopes asked for.
        total: usize,
        /// The failed write.
        source: StoreError,
    },
    /// The loader failed and no stale value could stand in.
    #[error("loader failed: {0}")]
    Load(#[from] LoadError),
    /// An empty key, or one with more bytes than the configured limit.
    #[error("key of {len} bytes is empty or over the limit of {max}")]
    KeyLength {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More tags than the configured limit.
    #[error("{count} tags exceed the limit of {max}")]
    TooManyTags {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An empty tag, one over the length limit, or one with control characters.
    #[error("tag of {len} bytes is empty, over the limit of {max}, or has control characters")]
    InvalidTag {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A value over the configured size limit.
    #[error("value of {len} bytes exceeds the limit of {max}")]
    ValueTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A prefix that does not end at a segment separator (`/` or `:`), or is deeper than the
    /// segments that carry prefix stamps.
    #[error("prefix \"{0}\" must end with '/' or ':' and have at most 8 segments")]
    InvalidPrefix(String),
    /// An invalidation with nothing to invalidate.
    #[error("invalidation names no scope")]
    EmptyInvalidation,
    /// The load finished, but an invalidation of one of the tags it reported landed while it
    /// ran, so its value was returned but not stored.
    #[error("an invalidation of {0} raced the load")]
    RacedInvalidation(Scope),
    /// The load took so long that its value may no longer be kept (entries are kept at most
    /// the stamp TTL less an hour after their stamps were recorded, which was before the load):
    /// returned, not stored.
    #[error("the load took {took_ms} ms, longer than an entry may be kept ({max_ms} ms)")]
    LoadTooLong {
        /// How long it took.
        took_ms: u64,
        /// How long an entry may be kept after its stamps were recorded.
        max_ms: u64,
    },
    /// The loader said its value is not to be stored or shared ([`Loaded::uncacheable`]).
    ///
    /// [`Loaded::uncacheable`]: crate::core::Loaded::uncacheable
    #[error("the loaded value is not cacheable")]
    Uncacheable,
    /// A builder setting is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}
