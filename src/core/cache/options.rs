//! What callers pass in and get back.

use std::time::Duration;

use bytes::Bytes;

use crate::core::clock::duration_ms as millis;
use crate::core::entry::{DecodeError, EntryMeta};
use crate::core::error::CacheError;
use crate::core::freshness::{StaleReason, StaleUse};

/// Lifetime, tags, version and validators of a value being stored.
///
/// ```
/// use std::time::Duration;
/// use edgecache::core::SetOptions;
/// let opts = SetOptions::new()
///     .ttl(Duration::from_secs(30))
///     .stale_while_revalidate(Duration::from_secs(60))
///     .tags(["articles", "author:7"])
///     .version(3);
/// assert_eq!(opts.tag_list(), ["articles", "author:7"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct SetOptions {
    pub(crate) ttl_ms: Option<u64>,
    pub(crate) swr_ms: Option<u64>,
    pub(crate) sie_ms: Option<u64>,
    pub(crate) tags: Vec<String>,
    pub(crate) version: u64,
}

impl SetOptions {
    /// The cache's defaults: its default TTL, no stale windows, no tags, version 0.
    pub fn new() -> Self {
        Self::default()
    }
    /// How long the value is fresh (any length; under 60 s is enforced from the entry's times).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl_ms = Some(millis(ttl));
        self
    }
    /// How long after expiry it may be served while being refreshed.
    pub fn stale_while_revalidate(mut self, window: Duration) -> Self {
        self.swr_ms = Some(millis(window));
        self
    }
    /// How long after expiry it may be served when loading fails.
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.sie_ms = Some(millis(window));
        self
    }
    /// Adds tags.
    pub fn tags<T: Into<String>>(self, tags: impl IntoIterator<Item = T>) -> Self {
        tags.into_iter().fold(self, Self::tag)
    }
    /// Adds one tag (a repeated tag is kept once).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        if !self.tags.contains(&tag) {
            self.tags.push(tag);
        }
        self
    }
    /// Stores under an explicit version (`{key}@v{version}`); reads must ask for the same one.
    pub fn version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }
    /// The tags given so far.
    #[must_use]
    pub fn tag_list(&self) -> &[String] {
        &self.tags
    }

    /// `self` with everything `later` sets taking precedence, and tags combined.
    pub(crate) fn overlaid(mut self, later: SetOptions) -> Self {
        self.ttl_ms = later.ttl_ms.or(self.ttl_ms);
        self.swr_ms = later.swr_ms.or(self.swr_ms);
        self.sie_ms = later.sie_ms.or(self.sie_ms);
        self.tags(later.tags)
    }
}

/// What a loader produced: the value, and anything only the load could tell (an HTTP origin's
/// lifetime and `Cache-Tag`s). Tags named here but not in the call's options are
/// checked for invalidations that raced the load.
///
/// ```
/// use std::time::Duration;
/// use edgecache::core::{Loaded, SetOptions};
/// let loaded = Loaded::new("<h1>hi</h1>").with(SetOptions::new().ttl(Duration::from_secs(5)).tag("page"));
/// assert_eq!(&loaded.value[..], b"<h1>hi</h1>");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Loaded {
    /// The loaded bytes.
    pub value: Bytes,
    pub(crate) options: SetOptions,
    pub(crate) cacheable: bool,
}

impl Loaded {
    /// A loaded value, stored with the call's options.
    pub fn new(value: impl Into<Bytes>) -> Self {
        Self { value: value.into(), options: SetOptions::default(), cacheable: true }
    }
    /// A value for this caller only: returned, never stored, never handed to callers waiting on
    /// the same key (they load their own) — a private or `no-store` HTTP response, say.
    pub fn uncacheable(value: impl Into<Bytes>) -> Self {
        Self { value: value.into(), options: SetOptions::default(), cacheable: false }
    }
    /// Options learnt from the load; they override the call's (tags are added). Its version
    /// is ignored: the version is fixed by the call.
    pub fn with(mut self, options: SetOptions) -> Self {
        self.options = options;
        self
    }
}

/// A stored value and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The value.
    pub value: Bytes,
    /// What is known about it.
    pub meta: EntryMeta,
}

/// Why a lookup found nothing servable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissReason {
    /// Nothing is stored.
    Absent,
    /// Stored and never invalidated, but past every window.
    Expired,
    /// A hard invalidation covers it (or a stamp it depends on is gone).
    Invalidated,
    /// The stored bytes are not a valid entry.
    Corrupt(DecodeError),
}

/// The answer of [`Cache::get`](super::Cache::get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Serve it.
    Fresh(Hit),
    /// Stale: why, and how it may be used.
    Stale(Hit, StaleReason, StaleUse),
    /// Nothing servable.
    Miss(MissReason),
}

impl Lookup {
    /// The value if fresh.
    #[must_use]
    pub fn fresh(&self) -> Option<&Hit> {
        match self {
            Self::Fresh(hit) => Some(hit),
            _ => None,
        }
    }
}

/// Where a [`Cache::get_or_set`](super::Cache::get_or_set) value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A fresh entry.
    Cached,
    /// This call ran the loader. `not_stored` says why the value was not kept, if it was not.
    Loaded {
        /// Why it was not stored (a store failure, a limit, a raced invalidation).
        not_stored: Option<CacheError>,
    },
    /// Another concurrent call for the same key ran the loader; this one waited for it.
    Coalesced,
    /// Loading failed; a stale entry stood in.
    StaleOnError(StaleReason),
    /// A stale entry inside its stale-while-revalidate window (or soft-invalidated within it),
    /// answered at once by [`Cache::get_or_stale`](super::Cache::get_or_stale) without running
    /// the loader: the caller refreshes it in the background with
    /// [`Cache::load`](super::Cache::load).
    StaleWhileRevalidating(StaleReason),
}

/// A value from [`Cache::get_or_set`](super::Cache::get_or_set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The value and its metadata.
    pub hit: Hit,
    /// Where it came from.
    pub source: Source,
}
