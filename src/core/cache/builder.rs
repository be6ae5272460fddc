//! Building a [`Cache`]: key space, defaults, limits, intervals.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::defaults::{
    DEFAULT_GENERATION, DEFAULT_LOG_TTL, DEFAULT_NAMESPACE, DEFAULT_RACE_SKEW, DEFAULT_STAMP_MEMO, DEFAULT_STAMP_TTL,
    DEFAULT_TTL, MAX_GENERATION_LEN, MAX_NAMESPACE_LEN, MAX_TAGS_LIMIT, MAX_TAG_BYTES_LIMIT, MAX_VALUE_LIMIT,
    STAMP_MARGIN_MS,
};
use super::limits::Limits;
use super::Cache;
use crate::core::clock::{duration_ms as ms, Clock};
use crate::core::error::BuildError;
use crate::core::keys::KeySpace;
use crate::core::store::KvStore;

/// A pause of the given milliseconds on the caller's own timer.
pub type Pause = dyn Fn(u64) -> Pin<Box<dyn Future<Output = ()>>> + Send + Sync;

/// How waiters check for a leader's result when they must not be woken by it.
#[derive(Clone)]
pub(crate) struct Polling {
    pub pause: Arc<Pause>,
    pub interval_ms: u64,
    pub bound_ms: u64,
}

impl std::fmt::Debug for Polling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Polling").field("interval_ms", &self.interval_ms).field("bound_ms", &self.bound_ms).finish()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub polling: Option<Polling>,
    pub default_ttl_ms: u64,
    pub default_swr_ms: u64,
    pub default_sie_ms: u64,
    pub limits: Limits,
    pub stamp_memo_ms: u64,
    pub source: StampSource,
    pub stamp_ttl_ms: u64,
    pub log_ttl_ms: u64,
    pub race_skew_ms: u64,
    pub tag_index: bool,
}

/// Where a cache learns the current stamps of the scopes its entries recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StampSource {
    /// The store, each stamp reused for the memo interval
    /// ([`CacheBuilder::stamp_memo`]): purges made elsewhere are seen within that interval
    /// plus the store's propagation delay.
    Store,
    /// This cache is the only writer of its store (a private in-memory store): every stamp is
    /// one it wrote, so it keeps them all and never reads one; a scope it never invalidated has
    /// none. Wrong for a shared store: purges made elsewhere would never be seen.
    SoleWriter,
    /// A purge authority's feed of changes, which the front applies with
    /// [`Cache::follow`](super::Cache::follow): stamps it reported are known exactly, and a
    /// scope it did not report is read from the store once and kept (the authority's resets
    /// report every change the store may not show yet). Purges are seen as soon as the front
    /// has read the feed. Until the first page, and after
    /// [`Cache::unfollow`](super::Cache::unfollow), the cache reads the store as with
    /// [`StampSource::Store`].
    Feed,
}

impl Settings {
    /// How long after its stamps were recorded an entry may be kept: a stamp written after that
    /// must outlive it (an entry that recorded the stamp's absence would otherwise look valid
    /// once it expired).
    pub fn max_entry_life_ms(&self) -> u64 {
        self.stamp_ttl_ms - STAMP_MARGIN_MS
    }
}

/// Configures a [`Cache`].
///
/// ```
/// use std::time::Duration;
/// use edgecache::core::{CacheBuilder, ManualClock, MemoryStore};
/// let clock = ManualClock::new(0);
/// let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock)
///     .namespace("blog")
///     .default_ttl(Duration::from_secs(300))
///     .stamp_memo(Duration::from_secs(1))
///     .build()
///     .unwrap();
/// assert_eq!(cache.namespace(), "blog");
/// ```
#[must_use = "a CacheBuilder does nothing until `build()`"]
pub struct CacheBuilder<S> {
    store: S,
    clock: Arc<dyn Clock + Send + Sync>,
    namespace: String,
    generation: String,
    seed: u64,
    settings: Settings,
}

impl<S: KvStore> CacheBuilder<S> {
    /// A cache over `store`, reading time from `clock`.
    pub fn new(store: S, clock: impl Clock + Send + Sync + 'static) -> Self {
        Self {
            store,
            clock: Arc::new(clock),
            namespace: DEFAULT_NAMESPACE.into(),
            generation: DEFAULT_GENERATION.into(),
            seed: 0x5EED,
            settings: Settings {
                polling: None,
                default_ttl_ms: ms(DEFAULT_TTL),
                default_swr_ms: 0,
                default_sie_ms: 0,
                limits: Limits::default(),
                stamp_memo_ms: ms(DEFAULT_STAMP_MEMO),
                source: StampSource::Store,
                stamp_ttl_ms: ms(DEFAULT_STAMP_TTL),
                log_ttl_ms: ms(DEFAULT_LOG_TTL),
                race_skew_ms: ms(DEFAULT_RACE_SKEW),
                tag_index: true,
            },
        }
    }

    /// The namespace: 1–32 of `[A-Za-z0-9_-]` ([`check_namespace`]). Caches with different
    /// namespaces share nothing. Defaults to: [`DEFAULT_NAMESPACE`].
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The key-space generation (a deploy version, say): 1–16 of `[A-Za-z0-9_-]`. Changing it
    /// starts from an empty cache; the old generation's keys expire by their TTLs. Defaults to:
    /// [`DEFAULT_GENERATION`].
    pub fn generation(mut self, generation: impl Into<String>) -> Self {
        self.generation = generation.into();
        self
    }

    /// Seeds the stamp generator. Fronts seed from the platform's random source; two instances
    /// sharing a store must not share a seed. Defaults to: a fixed seed (tests and single instances).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// TTL of values stored without one. Defaults to: [`DEFAULT_TTL`] (5 minutes).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.settings.default_ttl_ms = ms(ttl);
        self
    }

    /// Stale-while-revalidate window of values stored without one. Defaults to: none.
    pub fn default_stale_while_revalidate(mut self, window: Duration) -> Self {
        self.settings.default_swr_ms = ms(window);
        self
    }

    /// Stale-if-error window of values stored without one. Defaults to: none.
    pub fn default_stale_if_error(mut self, window: Duration) -> Self {
        self.settings.default_sie_ms = ms(window);
        self
    }

    /// Size limits. Defaults to: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits;
        self
    }

    /// How long stamps read from the store are reused. Invalidations made through this instance
    /// update it at once; others are seen within this interval plus the store's propagation
    /// delay — the documented staleness bound. Defaults to: [`DEFAULT_STAMP_MEMO`] (1 s).
    pub fn stamp_memo(mut self, interval: Duration) -> Self {
        self.settings.stamp_memo_ms = ms(interval);
        self
    }

    /// Where the cache learns current stamps. Defaults to: [`StampSource::Store`].
    pub fn stamp_source(mut self, source: StampSource) -> Self {
        self.settings.source = source;
        self
    }

    /// Whether a set also writes one membership-index key per tag. Defaults to: on. The index lets
    /// [`Cache::sweep`] of a tag find its entries without listing every entry; off, a set costs
    /// one write per tag less, and a tag sweep examines every entry instead. Worth turning off
    /// where sweeps are rare and writes are not free — an in-memory store, whose LRU reclaims
    /// invalidated entries anyway.
    ///
    /// ```
    /// use edgecache::core::{CacheBuilder, KvStore, ListOptions, ManualClock, MemoryStore, SetOptions};
    /// # futures::executor::block_on(async {
    /// let clock = ManualClock::new(0);
    /// let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock).tag_index(false).build().unwrap();
    /// cache.set("k", "v", SetOptions::new().tag("t")).await.unwrap();
    /// let index = cache.store().list(ListOptions::prefix(cache.key_space().index_of("t"))).await.unwrap();
    /// assert!(index.keys.is_empty());
    /// # });
    /// ```
    pub fn tag_index(mut self, on: bool) -> Self {
        self.settings.tag_index = on;
        self
    }

    /// TTL of stamps, renewed by each invalidation (at least 2 hours). Entries are kept at most
    /// this less an hour, however long they stay fresh: a stamp must outlive every entry that
    /// recorded its absence. Defaults to: [`DEFAULT_STAMP_TTL`] (30 days).
    pub fn stamp_ttl(mut self, ttl: Duration) -> Self {
        self.settings.stamp_ttl_ms = ms(ttl);
        self
    }

    /// How long invalidation-log records are kept. Defaults to: [`DEFAULT_LOG_TTL`] (7 days).
    pub fn log_ttl(mut self, ttl: Duration) -> Self {
        self.settings.log_ttl_ms = ms(ttl);
        self
    }

    /// Clock skew allowed between locations when deciding whether an invalidation of a tag
    /// learnt from a load raced it. Larger is safer and caches less after purges. Defaults to:
    /// [`DEFAULT_RACE_SKEW`] (5 s).
    pub fn race_skew(mut self, skew: Duration) -> Self {
        self.settings.race_skew_ms = ms(skew);
        self
    }

    /// Makes callers waiting on another call's load check for its result every `interval`
    /// using `pause` (a timer of the caller's own), and load for themselves after `bound`.
    /// For platforms where one request must not wake another (Cloudflare Workers cancels such
    /// continuations). Defaults to: waiters are simply woken.
    pub fn wait_by_polling(
        mut self,
        pause: impl Fn(u64) -> Pin<Box<dyn Future<Output = ()>>> + Send + Sync + 'static,
        interval: Duration,
        bound: Duration,
    ) -> Self {
        self.settings.polling =
            Some(Polling { pause: Arc::new(pause), interval_ms: ms(interval).max(1), bound_ms: ms(bound) });
        self
    }

    /// The cache, or the [`BuildError`] of the first setting out of bounds.
    pub fn build(self) -> Result<Cache<S>, BuildError> {
        check_namespace(&self.namespace)?;
        check_generation(&self.generation)?;
        let limits = self.settings.limits;
        if limits.max_value_bytes > MAX_VALUE_LIMIT {
            return Err(BuildError::ValueLimit { max: MAX_VALUE_LIMIT });
        }
        if limits.max_key_bytes == 0 || limits.max_tag_bytes == 0 || limits.max_tag_bytes > MAX_TAG_BYTES_LIMIT {
            return Err(BuildError::KeyOrTagLimit { max_tag_bytes: MAX_TAG_BYTES_LIMIT });
        }
        if limits.max_tags > MAX_TAGS_LIMIT {
            return Err(BuildError::TagCountLimit { max: MAX_TAGS_LIMIT });
        }
        if self.settings.stamp_ttl_ms < 2 * STAMP_MARGIN_MS {
            return Err(BuildError::StampTtl { min_ms: 2 * STAMP_MARGIN_MS });
        }
        Ok(Cache::from_parts(
            self.store,
            self.clock,
            KeySpace::new(&self.namespace, &self.generation),
            self.namespace,
            self.seed,
            self.settings,
        ))
    }
}

/// Checks a namespace as [`CacheBuilder::build`] does, for fronts that read it from their own
/// configuration and name the setting in their error.
///
/// ```
/// use edgecache::core::{check_namespace, BuildError};
/// assert!(check_namespace("blog-2").is_ok());
/// assert_eq!(check_namespace("no spaces"), Err(BuildError::Namespace { max: 32 }));
/// ```
pub fn check_namespace(namespace: &str) -> Result<(), BuildError> {
    is_word(namespace, MAX_NAMESPACE_LEN).then_some(()).ok_or(BuildError::Namespace { max: MAX_NAMESPACE_LEN })
}

/// Checks a generation as [`CacheBuilder::build`] does (see [`check_namespace`]).
pub fn check_generation(generation: &str) -> Result<(), BuildError> {
    is_word(generation, MAX_GENERATION_LEN).then_some(()).ok_or(BuildError::Generation { max: MAX_GENERATION_LEN })
}

fn is_word(value: &str, max: usize) -> bool {
    !value.is_empty()
        && value.len() <= max
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
