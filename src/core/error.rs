//! The core's error types: [`CacheError`] for what a call may fail with, [`BuildError`] for a
//! cache that cannot be built, [`LoadError`] for a loader's failure.

use std::sync::Arc;

use crate::core::keys::Scope;
use crate::core::store::StoreError;

/// A loader's failure, shared with every caller that waited on the same load: a kind to branch
/// on, and a message for people.
///
/// ```
/// use edgecache::core::{LoadError, LoadErrorKind};
/// let e = LoadError::new("the loader threw");
/// assert_eq!((e.kind(), e.to_string().as_str()), (LoadErrorKind::Failed, "the loader threw"));
/// let e = LoadError::of(LoadErrorKind::Timeout, "origin timed out after 500 ms");
/// assert_eq!(e.kind(), LoadErrorKind::Timeout);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    kind: LoadErrorKind,
    message: Arc<str>,
}

/// What kind of failure a load was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The loader failed in its own way (it threw, or gave what cannot be stored).
    Failed,
    /// The source did not answer in time.
    Timeout,
    /// The source could not be reached, or the connection broke.
    Unreachable,
    /// The source answered with an error of its own (an HTTP 5xx).
    Refused,
}

impl LoadError {
    /// A load failure of kind [`LoadErrorKind::Failed`] described by `message`.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self::of(LoadErrorKind::Failed, message)
    }

    /// A load failure of `kind` described by `message`.
    pub fn of(kind: LoadErrorKind, message: impl std::fmt::Display) -> Self {
        Self { kind, message: message.to_string().into() }
    }

    /// Its kind.
    #[must_use]
    pub fn kind(&self) -> LoadErrorKind {
        self.kind
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
}

/// A [`CacheBuilder`](crate::core::CacheBuilder) setting out of its bounds: which one, and the
/// bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The namespace is not 1–`max` characters of `[A-Za-z0-9_-]`.
    #[error("namespace must be 1-{max} characters of [A-Za-z0-9_-]")]
    Namespace {
        /// Its longest length.
        max: usize,
    },
    /// The generation is not 1–`max` characters of `[A-Za-z0-9_-]`.
    #[error("generation must be 1-{max} characters of [A-Za-z0-9_-]")]
    Generation {
        /// Its longest length.
        max: usize,
    },
    /// `max_value_bytes` is over what Workers KV can store.
    #[error("max_value_bytes exceeds {max}")]
    ValueLimit {
        /// The largest accepted.
        max: usize,
    },
    /// A key or tag length limit is 0, or the tag limit is over its bound.
    #[error("key and tag limits must be 1 or more (tags at most {max_tag_bytes})")]
    KeyOrTagLimit {
        /// The largest tag limit accepted.
        max_tag_bytes: usize,
    },
    /// `max_tags` is over its bound.
    #[error("max_tags must be at most {max}")]
    TagCountLimit {
        /// The largest accepted.
        max: usize,
    },
    /// The stamp TTL is too short to outlive the entries that recorded a stamp's absence.
    #[error("stamp_ttl must be at least {min_ms} ms")]
    StampTtl {
        /// The shortest accepted.
        min_ms: u64,
    },
}
