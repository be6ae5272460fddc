//! The cache engine: lookups judged against tag stamps, fenced single-flight fills,
//! invalidations that cost a constant number of writes, the invalidation log and stats.

mod builder;
mod flight;
mod invalidate;
mod log;
mod memo;
mod options;
mod stats;

pub use builder::{CacheBuilder, Limits};
pub use invalidate::{SweepProgress, TaggedPage};
pub use log::{Applied, Invalidation, LogPage, LogRecord, Mode};
pub use options::{Fetched, Hit, Loaded, Lookup, MissReason, SetOptions, Source};
pub use stats::Stats;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_util::future::{join, join_all};

use builder::Settings;
use flight::{Flights, Role};
use memo::{StampMemo, Which};
use stats::{Counter, Counters};

use crate::core::clock::{Clock, Millis};
use crate::core::entry::{Captured, EntryMeta, Envelope};
use crate::core::error::{CacheError, LoadError};
use crate::core::freshness::{judge, Freshness, StaleUse};
use crate::core::keys::{segment_prefixes, KeySpace, Scope};
use crate::core::stamp::{new_stamp, parse_stamp, stamp_time, SplitMix64};
use crate::core::store::{KvStore, KvTtl, PutOptions, StoreError};

/// The current stamps of one scope: hard and any-purge, `None` when absent.
type Stamps = (Option<String>, Option<String>);

/// Where a fill begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// With a lookup; a stale value stands in only if loading fails.
    Lookup,
    /// With a lookup; a stale value servable while revalidating is the answer.
    LookupServingStale,
    /// With the load (the caller looked already).
    Load,
}

/// How a wait for another call's load ended.
enum Waited {
    Done(flight::FlightResult),
    Cancelled,
    TooLong,
}

/// Whether an entry's recorded stamps still hold.
enum Validity {
    Valid,
    Soft,
    /// Invalidated through this scope.
    Invalid(Scope),
}

/// A cache over a [`KvStore`].
///
/// KV operations per call (stamps memoised, so a warm instance skips the stamp read):
///
/// | call | reads | writes |
/// |---|---|---|
/// | `get` hit | 1 get + 1 get_many of stamps (0 when memoised) | 0 |
/// | `set` with k tags | 1 get_many of stamps (0 when memoised) | 1 entry + k index keys (0 with the index off) |
/// | invalidate n scopes, hard | 0 (1 get per key scope, to keep its version) | 2n stamps + 1 log record |
/// | invalidate n scopes, soft | 0 | n stamps + 1 log record |
///
/// ```
/// use std::time::Duration;
/// use edgecache::core::{CacheBuilder, Invalidation, Lookup, ManualClock, MemoryStore, SetOptions};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(1_000);
/// let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).build().unwrap();
/// cache.set("article:1", "v1", SetOptions::new().ttl(Duration::from_secs(60)).tag("articles")).await.unwrap();
/// assert!(cache.get("article:1").await.unwrap().fresh().is_some());
/// cache.invalidate(Invalidation::tag("articles")).await.unwrap();
/// assert!(matches!(cache.get("article:1").await.unwrap(), Lookup::Miss(_)));
/// # });
/// ```
pub struct Cache<S> {
    store: S,
    clock: Arc<dyn Clock + Send + Sync>,
    keys: KeySpace,
    namespace: String,
    settings: Settings,
    memo: Mutex<StampMemo>,
    rng: Mutex<SplitMix64>,
    flights: Flights,
    epoch: AtomicU64,
    log_seq: AtomicU64,
    counters: Counters,
}

impl<S> std::fmt::Debug for Cache<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("keys", &self.keys).field("stats", &self.counters.snapshot()).finish()
    }
}

impl<S: KvStore> Cache<S> {
    fn from_parts(
        store: S,
        clock: Arc<dyn Clock + Send + Sync>,
        keys: KeySpace,
        namespace: String,
        seed: u64,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            clock,
            keys,
            namespace,
            settings,
            memo: Mutex::default(),
            rng: Mutex::new(SplitMix64::new(seed)),
            flights: Flights::default(),
            epoch: AtomicU64::new(0),
            log_seq: AtomicU64::new(0),
            counters: Counters::default(),
        }
    }

    /// The namespace.
    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The KV key layout.
    #[must_use]
    pub fn key_space(&self) -> &KeySpace {
        &self.keys
    }

    /// A snapshot of the counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Looks `key` up (explicit version 0).
    pub async fn get(&self, key: &str) -> Result<Lookup, CacheError> {
        self.get_version(key, 0).await
    }

    /// Looks up `key` stored under an explicit `version`.
    pub async fn get_version(&self, key: &str, version: u64) -> Result<Lookup, CacheError> {
        self.check_key(key)?;
        let lookup = self.lookup(key, version).await.inspect_err(|_| self.counters.bump(Counter::StoreError))?;
        self.counters.bump(match &lookup {
            Lookup::Fresh(_) => Counter::Hit,
            Lookup::Stale(..) => Counter::StaleHit,
            Lookup::Miss(_) => Counter::Miss,
        });
        Ok(lookup)
    }

    async fn lookup(&self, key: &str, version: u64) -> Result<Lookup, StoreError> {
        let Some(bytes) = self.store.get(&self.keys.entry(key, version)).await? else {
            return Ok(Lookup::Miss(MissReason::Absent));
        };
        let envelope = match Envelope::decode(&bytes) {
            Ok(e) if e.meta.key == key && e.meta.version == version && has_own_scopes(&e) => e,
            Ok(_) => {
                // A hash-shortened key shared with another key, or a forged envelope that
                // records no stamps: never trust it.
                self.counters.bump(Counter::Corrupt);
                return Ok(Lookup::Miss(MissReason::Corrupt(crate::core::entry::DecodeError::Corrupt)));
            }
            Err(e) => {
                self.counters.bump(Counter::Corrupt);
                return Ok(Lookup::Miss(MissReason::Corrupt(e)));
            }
        };
        let now = self.clock.now_ms();
        // Past every window: no need to read stamps.
        if judge(&envelope.meta, now, false) == Freshness::Unusable {
            return Ok(Lookup::Miss(MissReason::Expired));
        }
        let soft = match self.validity(&envelope.captured).await? {
            Validity::Invalid(_) => return Ok(Lookup::Miss(MissReason::Invalidated)),
            Validity::Soft => true,
            Validity::Valid => false,
        };
        let hit = Hit { value: envelope.value, meta: envelope.meta };
        Ok(match judge(&hit.meta, now, soft) {
            Freshness::Fresh => Lookup::Fresh(hit),
            Freshness::Stale(reason, usable) => Lookup::Stale(hit, reason, usable),
            Freshness::Unusable => Lookup::Miss(if soft { MissReason::Invalidated } else { MissReason::Expired }),
        })
    }

    async fn validity(&self, captured: &[Captured]) -> Result<Validity, StoreError> {
        if let Some(validity) = self.memoised_validity(captured) {
            return Ok(validity);
        }
        let scopes: Vec<&Scope> = captured.iter().map(|c| &c.scope).collect();
        let current = self.read_stamps(&scopes).await?;
        let known = current.iter().map(|(hard, any)| Some((hard.as_deref(), any.as_deref())));
        // Every current stamp is known here (read, or absent), so the comparison always answers.
        Ok(compare(captured, known).unwrap_or(Validity::Valid))
    }

    /// [`validity`](Self::validity) from the memo alone, when it holds every stamp `captured`
    /// needs (the usual case for a hot entry): compared in place, no key built or stamp copied.
    fn memoised_validity(&self, captured: &[Captured]) -> Option<Validity> {
        if !self.memo_on() {
            return None;
        }
        let now = self.clock.now_ms();
        let memo = self.memo();
        let known = captured.iter().map(|c| {
            Some((
                self.memo_knows(&memo, &c.scope, Which::Hard, now)?,
                self.memo_knows(&memo, &c.scope, Which::Any, now)?,
            ))
        });
        compare(captured, known)
    }

    /// Stores `value` at `key`. Its tag stamps are recorded now: an invalidation after this call
    /// covers it.
    pub async fn set(&self, key: &str, value: impl Into<Bytes>, options: SetOptions) -> Result<EntryMeta, CacheError> {
        let value = value.into();
        self.check_entry(key, &value, &options)?;
        let scopes = scopes_of(key, &options.tags);
        let captured_at = self.clock.now_ms();
        let captured = self.capture(scopes).await?;
        self.store_entry(key, value, options, captured, captured_at).await.map(|hit| hit.meta)
    }

    /// Returns the fresh value at `key`, or loads, stores and returns it. Concurrent calls for one
    /// entry in this instance make one load. Stamps are recorded before the loader runs
    /// (fencing), so an invalidation landing during a slow load leaves the stored value invalid.
    /// If the loader fails, a stale value inside its stale windows stands in.
    ///
    /// Store failures never fail the call: the value is loaded and returned, and
    /// [`Source::Loaded`] says why it was not stored.
    pub async fn get_or_set<F, Fut>(&self, key: &str, options: SetOptions, loader: F) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        self.fetch(key, options, loader, Start::Lookup).await
    }

    /// [`get_or_set`](Self::get_or_set), except that a stale value the caller may serve while
    /// revalidating is returned at once, without running the loader
    /// ([`Source::StaleWhileRevalidating`]): the caller answers with it and refreshes the key in
    /// the background with [`load`](Self::load).
    pub async fn get_or_stale<F, Fut>(&self, key: &str, options: SetOptions, loader: F) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        self.fetch(key, options, loader, Start::LookupServingStale).await
    }

    /// Loads and stores `key` without looking it up first — for callers that already looked
    /// (an HTTP front revalidating a stale entry). Single-flight and fenced like
    /// [`get_or_set`](Self::get_or_set); on loader failure it returns the error (the caller has
    /// its own stale copy).
    pub async fn load<F, Fut>(&self, key: &str, options: SetOptions, loader: F) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        self.fetch(key, options, loader, Start::Load).await
    }

    async fn fetch<F, Fut>(
        &self,
        key: &str,
        options: SetOptions,
        loader: F,
        start: Start,
    ) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        self.check_key(key)?;
        self.check_tags(&options.tags)?;
        let version = options.version;
        let location = self.keys.entry(key, version);
        let mut loader = Some(loader);
        let mut first = true;
        loop {
            // After a cancelled wait, look again: the entry may have been stored meanwhile.
            let stale = if start != Start::Load || !first {
                match self.get_version(key, version).await {
                    Ok(Lookup::Fresh(hit)) => return Ok(Fetched { hit, source: Source::Cached }),
                    Ok(Lookup::Stale(hit, reason, StaleUse::WhileRevalidating))
                        if start == Start::LookupServingStale =>
                    {
                        return Ok(Fetched { hit, source: Source::StaleWhileRevalidating(reason) })
                    }
                    Ok(Lookup::Stale(hit, reason, _)) => Some((hit, reason)),
                    Ok(Lookup::Miss(_)) | Err(_) => None,
                }
            } else {
                None
            };
            first = false;
            let Some(load) = loader.take() else {
                // Unreachable: the loader is only taken by a return path. Kept total.
                return Err(CacheError::Load(LoadError::new("loader already consumed")));
            };
            match self.flights.join(&location, self.epoch.load(Ordering::SeqCst)) {
                Role::Waiter(result) => {
                    self.counters.bump(Counter::Coalesced);
                    match self.wait(result).await {
                        Waited::Done(Ok(hit)) => return Ok(Fetched { hit, source: Source::Coalesced }),
                        // The leader's value was not for sharing, or it took too long: load our
                        // own, fenced.
                        Waited::Done(Err(CacheError::Uncacheable)) | Waited::TooLong => {
                            return self.fill(key, options, load).await
                        }
                        Waited::Done(Err(e)) => return self.stale_or(stale, e),
                        Waited::Cancelled => loader = Some(load),
                    }
                }
                Role::Leader(leader) => {
                    let result = self.fill(key, options.clone(), load).await;
                    let shared = match &result {
                        Ok(Fetched {
                            source: Source::Loaded { not_stored: Some(CacheError::Uncacheable) }, ..
                        }) => Err(CacheError::Uncacheable),
                        Ok(fetched) => Ok(fetched.hit.clone()),
                        Err(e) => Err(e.clone()),
                    };
                    leader.finish(&shared);
                    return match result {
                        Ok(fetched) => Ok(fetched),
                        Err(e) => self.stale_or(stale, e),
                    };
                }
            }
        }
    }

    /// Waits for a leader's result: by awaiting it, or — when the front supplied a pause (a
    /// Worker, where being woken from another request's context is unsafe) — by checking it
    /// after each pause on this request's own timer, giving up after the wait bound.
    async fn wait(&self, mut result: futures_channel::oneshot::Receiver<flight::FlightResult>) -> Waited {
        let Some(polling) = &self.settings.polling else {
            return match result.await {
                Ok(r) => Waited::Done(r),
                Err(_) => Waited::Cancelled,
            };
        };
        let started = self.clock.now_ms();
        loop {
            match result.try_recv() {
                Ok(Some(r)) => return Waited::Done(r),
                Err(_) => return Waited::Cancelled,
                Ok(None) if self.clock.now_ms().saturating_sub(started) >= polling.bound_ms => return Waited::TooLong,
                Ok(None) => (polling.pause)(polling.interval_ms).await,
            }
        }
    }

    fn stale_or(
        &self,
        stale: Option<(Hit, crate::core::freshness::StaleReason)>,
        error: CacheError,
    ) -> Result<Fetched, CacheError> {
        match stale {
            Some((hit, reason)) => Ok(Fetched { hit, source: Source::StaleOnError(reason) }),
            None => Err(error),
        }
    }

    async fn fill<F, Fut>(&self, key: &str, options: SetOptions, loader: F) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        let started = self.clock.now_ms();
        let epoch = self.epoch.load(Ordering::SeqCst);
        // Tags a loader reports are only known afterwards; those the previous entry here carried
        // are fenced up front too (responses rarely change tags), so only new ones need the
        // raced-invalidation check.
        let previous_tags = self.previous_tags(key, options.version).await;
        let mut expected = options.tags.clone();
        expected.extend(previous_tags.into_iter().filter(|t| !options.tags.contains(t)));
        let scopes = scopes_of(key, &expected);
        // A store failure here means no fence: load anyway, but do not store.
        let captured = self.capture(scopes).await;
        self.counters.bump(Counter::Load);
        let loaded = loader().await?;
        if !loaded.cacheable {
            let hit = Hit { meta: self.meta_from(key, options, self.clock.now_ms()), value: loaded.value };
            return Ok(Fetched { hit, source: Source::Loaded { not_stored: Some(CacheError::Uncacheable) } });
        }
        let options = options.overlaid(loaded.options);
        let not_stored = match captured {
            Err(e) => Some(e),
            Ok(mut captured) => match self.capture_late_tags(key, &options, started, &mut captured).await {
                Err(e) => Some(e),
                Ok(()) => match self.invalidated_locally_since(epoch, &captured).await {
                    Some(scope) => Some(CacheError::RacedInvalidation(scope)),
                    None => match self.store_entry(key, loaded.value.clone(), options.clone(), captured, started).await
                    {
                        Ok(hit) => return Ok(Fetched { hit, source: Source::Loaded { not_stored: None } }),
                        Err(e) => Some(e),
                    },
                },
            },
        };
        let hit = Hit { meta: self.meta_from(key, options, self.clock.now_ms()), value: loaded.value };
        Ok(Fetched { hit, source: Source::Loaded { not_stored } })
    }

    /// If this instance applied an invalidation covering the fill while it loaded, the scope it
    /// came through. Storing such a fill would only overwrite a newer entry with a dead one.
    /// (Invalidations from elsewhere are caught on read, by the recorded stamps.)
    async fn invalidated_locally_since(&self, epoch: u64, captured: &[Captured]) -> Option<Scope> {
        if self.epoch.load(Ordering::SeqCst) == epoch {
            return None;
        }
        match self.validity(captured).await {
            Ok(Validity::Invalid(scope)) => Some(scope),
            _ => None,
        }
    }

    /// Records stamps for tags the loader reported that were not fenced before it ran, refusing
    /// to store if one was invalidated after the load began (allowing for clock skew between
    /// locations); drops pre-fenced tags the response no longer carries.
    async fn capture_late_tags(
        &self,
        key: &str,
        options: &SetOptions,
        started: Millis,
        captured: &mut Vec<Captured>,
    ) -> Result<(), CacheError> {
        captured.retain(|c| match &c.scope {
            Scope::Tag(t) => options.tags.contains(t),
            _ => true,
        });
        let late: Vec<Scope> = options
            .tags
            .iter()
            .map(|t| Scope::Tag(t.clone()))
            .filter(|scope| !captured.iter().any(|c| &c.scope == scope))
            .collect();
        if late.is_empty() {
            return Ok(());
        }
        self.check_entry_options(key, options)?;
        let horizon = started.saturating_sub(self.settings.race_skew_ms);
        for c in self.capture(late).await? {
            // An absent stamp (recorded as "") means the tag was never invalidated.
            let raced = [&c.hard, &c.any].iter().any(|s| !s.is_empty() && stamp_time(s).is_none_or(|t| t >= horizon));
            if raced {
                return Err(CacheError::RacedInvalidation(c.scope));
            }
            captured.push(c);
        }
        Ok(())
    }

    /// The tags of whatever entry is stored at `key` now, valid or not (empty if none).
    async fn previous_tags(&self, key: &str, version: u64) -> Vec<String> {
        match self.store.get(&self.keys.entry(key, version)).await {
            Ok(Some(bytes)) => Envelope::decode(&bytes).map(|e| e.meta.tags).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    async fn store_entry(
        &self,
        key: &str,
        value: Bytes,
        options: SetOptions,
        captured: Vec<Captured>,
        captured_at: Millis,
    ) -> Result<Hit, CacheError> {
        if value.len() > self.settings.limits.max_value_bytes {
            return Err(CacheError::ValueTooLarge { len: value.len(), max: self.settings.limits.max_value_bytes });
        }
        let now = self.clock.now_ms();
        // An absent stamp is recorded as such: the entry must be gone before a stamp written
        // after its capture can expire, or it would look valid again (see `capture`).
        let max_life = self.settings.max_entry_life_ms();
        let took_ms = now.saturating_sub(captured_at);
        if took_ms >= max_life {
            return Err(CacheError::LoadTooLong { took_ms, max_ms: max_life });
        }
        let version = options.version;
        let meta = self.meta_from(key, options, now);
        let kept_until = meta.usable_until().min(captured_at + max_life);
        let ttl = KvTtl::covering_ms(kept_until.saturating_sub(now));
        let envelope = Envelope { meta, captured, value };
        let location = self.keys.entry(key, version);
        // The entry and its index keys are written together: one KV round trip of latency, not
        // one per tag. The index serves sweeps and introspection only; a failed index write
        // costs storage reclamation for this entry until its TTL, never correctness.
        let indexed_tags = if self.settings.tag_index { envelope.meta.tags.as_slice() } else { &[] };
        let indexes: Vec<String> = indexed_tags.iter().map(|t| self.keys.index(t, key, version)).collect();
        let index_writes =
            join_all(indexes.iter().map(|index| self.store.put(index, Bytes::new(), PutOptions::new(ttl))));
        let (stored, indexed) =
            join(self.store.put(&location, envelope.encode(), PutOptions::new(ttl)), index_writes).await;
        for _ in indexed.iter().filter(|r| r.is_err()) {
            self.counters.bump(Counter::StoreError);
        }
        stored.inspect_err(|_| self.counters.bump(Counter::StoreError))?;
        Ok(Hit { value: envelope.value, meta: envelope.meta })
    }

    /// The meta of a value stored now with `options`.
    fn meta_from(&self, key: &str, options: SetOptions, now: Millis) -> EntryMeta {
        let s = &self.settings;
        EntryMeta {
            key: key.to_owned(),
            version: options.version,
            stored_at: now,
            fresh_until: now.saturating_add(options.ttl_ms.unwrap_or(s.default_ttl_ms)),
            stale_while_revalidate_ms: options.swr_ms.unwrap_or(s.default_swr_ms),
            stale_if_error_ms: options.sie_ms.unwrap_or(s.default_sie_ms),
            tags: options.tags,
            etag: options.etag,
            last_modified: options.last_modified,
            content_type: options.content_type,
        }
    }

    // ---- stamps -------------------------------------------------------------------------

    fn memo(&self) -> MutexGuard<'_, StampMemo> {
        self.memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether stamps are kept in the memo: memoised for an interval, or all of them by a sole
    /// writer. (Off: a store as fast as the memo gains nothing from it.)
    fn memo_on(&self) -> bool {
        self.settings.sole_writer || self.settings.stamp_memo_ms > 0
    }

    /// What the memo answers for a stamp: `Some(stamp)` (`Some(None)`: absent), or `None` when
    /// the store must be asked. A sole writer's memo holds every stamp there is.
    fn memo_knows<'m>(&self, memo: &'m StampMemo, scope: &Scope, which: Which, now: Millis) -> Option<Option<&'m str>> {
        if self.settings.sole_writer {
            return Some(memo.latest(scope, which));
        }
        memo.get(scope, which, now, self.settings.stamp_memo_ms)
    }

    fn remember(&self, scope: &Scope, which: Which, stamp: Option<&str>, now: Millis) {
        if self.memo_on() {
            self.memo().put(scope, which, stamp, now, !self.settings.sole_writer);
        }
    }

    fn random(&self) -> u64 {
        self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next_u64()
    }

    /// The current stamps of `scopes`, from the memo where recent enough, else in one bulk read.
    async fn read_stamps(&self, scopes: &[&Scope]) -> Result<Vec<Stamps>, StoreError> {
        let now = self.clock.now_ms();
        // Each scope's hard then any stamp; `None` where the store must be asked.
        fn wanted<'s>(scope: &&'s Scope) -> [(&'s Scope, Which); 2] {
            [(*scope, Which::Hard), (*scope, Which::Any)]
        }
        let mut values: Vec<Option<Option<String>>> = if self.memo_on() {
            let memo = self.memo();
            scopes
                .iter()
                .flat_map(wanted)
                .map(|(scope, which)| self.memo_knows(&memo, scope, which, now).map(|s| s.map(str::to_owned)))
                .collect()
        } else {
            vec![None; scopes.len() * 2]
        };
        // The stamp keys the memo could not answer, each scope's two built once.
        let mut missing: Vec<(&Scope, Which)> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for (scope, known) in scopes.iter().zip(values.chunks(2)) {
            if known.iter().all(Option::is_some) {
                continue;
            }
            let [hard, any] = self.keys.stamps(scope);
            for ((which, key), known) in [(Which::Hard, hard), (Which::Any, any)].into_iter().zip(known) {
                if known.is_none() {
                    missing.push((scope, which));
                    keys.push(key);
                }
            }
        }
        if !missing.is_empty() {
            let fetched = self.store.get_many(&keys).await?;
            let mut fetched = missing.into_iter().zip(fetched);
            for slot in values.iter_mut().filter(|v| v.is_none()) {
                let Some(((scope, which), bytes)) = fetched.next() else {
                    break;
                };
                let stamp = bytes.as_deref().map(parse_stamp);
                self.remember(scope, which, stamp.as_deref(), now);
                *slot = Some(stamp);
            }
        }
        let mut values = values.into_iter().map(Option::flatten);
        Ok(scopes.iter().map(|_| (values.next().flatten(), values.next().flatten())).collect())
    }

    /// Records the current stamps of `scopes`; an absent stamp is recorded as `""`, which the
    /// first invalidation of the scope changes. Writes nothing: a never-invalidated scope costs
    /// no stamp, so a first fill is one entry write. Sound because a stamp outlives every entry
    /// that recorded its absence: entries are kept at most the stamp TTL less a margin after
    /// their capture (`store_entry`), and stores never drop stamps early (`PutOptions::pinned`).
    async fn capture(&self, scopes: Vec<Scope>) -> Result<Vec<Captured>, CacheError> {
        let refs: Vec<&Scope> = scopes.iter().collect();
        let current = self.read_stamps(&refs).await.inspect_err(|_| self.counters.bump(Counter::StoreError))?;
        let mut captured = Vec::with_capacity(scopes.len());
        for (scope, (hard, any)) in scopes.into_iter().zip(current) {
            captured.push(Captured { scope, hard: hard.unwrap_or_default(), any: any.unwrap_or_default() });
        }
        Ok(captured)
    }

    /// Writes new stamps for `scope` (an invalidation): both for a hard one, the any-purge one
    /// for a soft one. `version` is the managed version a key scope's hard stamp carries.
    async fn write_stamp(&self, scope: &Scope, mode: Mode, version: Option<u64>) -> Result<(), CacheError> {
        let now = self.clock.now_ms();
        let [hard_key, any_key] = self.keys.stamps(scope);
        let ttl = PutOptions::new(KvTtl::covering_ms(self.settings.stamp_ttl_ms)).pinned();
        if mode == Mode::Hard {
            let stamp = new_stamp(now, self.random());
            let hard = match (scope, version) {
                (Scope::Key(_), Some(v)) => format!("{v}.{stamp}"),
                _ => stamp,
            };
            // In order: a purge whose hard stamp failed must leave entries as they were.
            self.store
                .put(&hard_key, Bytes::from(hard.clone()), ttl.clone())
                .await
                .inspect_err(|_| self.counters.bump(Counter::StoreError))?;
            self.remember(scope, Which::Hard, Some(&hard), now);
        }
        let any = new_stamp(now, self.random());
        self.store
            .put(&any_key, Bytes::from(any.clone()), ttl)
            .await
            .inspect_err(|_| self.counters.bump(Counter::StoreError))?;
        self.remember(scope, Which::Any, Some(&any), now);
        Ok(())
    }

    // ---- limits -------------------------------------------------------------------------

    fn check_key(&self, key: &str) -> Result<(), CacheError> {
        let max = self.settings.limits.max_key_bytes;
        if key.is_empty() || key.len() > max {
            return Err(CacheError::KeyLength { len: key.len(), max });
        }
        Ok(())
    }

    fn check_tags(&self, tags: &[String]) -> Result<(), CacheError> {
        let limits = &self.settings.limits;
        if tags.len() > limits.max_tags {
            return Err(CacheError::TooManyTags { count: tags.len(), max: limits.max_tags });
        }
        for tag in tags {
            if tag.is_empty() || tag.len() > limits.max_tag_bytes || tag.chars().any(char::is_control) {
                return Err(CacheError::InvalidTag { len: tag.len(), max: limits.max_tag_bytes });
            }
        }
        Ok(())
    }

    fn check_entry_options(&self, key: &str, options: &SetOptions) -> Result<(), CacheError> {
        self.check_key(key)?;
        self.check_tags(&options.tags)
    }

    fn check_entry(&self, key: &str, value: &Bytes, options: &SetOptions) -> Result<(), CacheError> {
        self.check_entry_options(key, options)?;
        let max = self.settings.limits.max_value_bytes;
        if value.len() > max {
            return Err(CacheError::ValueTooLarge { len: value.len(), max });
        }
        Ok(())
    }
}

/// How `captured` stands against the current `(hard, any)` stamps of its scopes, in order: the
/// first scope whose hard stamp changed invalidates; a changed any-purge stamp makes it soft.
/// `None` when a current stamp is unknown (`None` in `current`) before the answer is.
fn compare<'s>(
    captured: &[Captured],
    current: impl IntoIterator<Item = Option<(Option<&'s str>, Option<&'s str>)>>,
) -> Option<Validity> {
    let mut validity = Validity::Valid;
    for (c, stamps) in captured.iter().zip(current) {
        // An absent stamp compares as "", which is how an entry records one.
        let (hard, any) = stamps?;
        if hard.unwrap_or_default() != c.hard {
            return Some(Validity::Invalid(c.scope.clone()));
        }
        if any.unwrap_or_default() != c.any {
            validity = Validity::Soft;
        }
    }
    Some(validity)
}

/// The scopes an entry records: everything, its key, its key prefixes, its tags.
fn scopes_of(key: &str, tags: &[String]) -> Vec<Scope> {
    let mut scopes = vec![Scope::Everything, Scope::Key(key.to_owned())];
    scopes.extend(segment_prefixes(key).into_iter().map(|p| Scope::Prefix(p.to_owned())));
    for tag in tags {
        let scope = Scope::Tag(tag.clone());
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes
}

/// An entry must record the stamps of everything and of its own key; one that does not was not
/// written by this cache.
fn has_own_scopes(envelope: &Envelope) -> bool {
    let has = |scope: &Scope| envelope.captured.iter().any(|c| &c.scope == scope);
    has(&Scope::Everything) && has(&Scope::Key(envelope.meta.key.clone()))
}
