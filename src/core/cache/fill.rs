//! Fills: `get_or_set` and its kin — single-flight per entry, fenced by the stamps recorded
//! before the loader runs, with stale values standing in where the caller allows.

use std::future::Future;
use std::sync::atomic::Ordering;

use super::flight::{self, Role};
use super::stats::Counter;
use super::{Cache, Fetched, Hit, Loaded, Lookup, SetOptions, Source, Validity};
use crate::core::clock::Millis;
use crate::core::entry::{Captured, EntryMeta};
use crate::core::error::{CacheError, LoadError};
use crate::core::freshness::{StaleReason, StaleUse};
use crate::core::keys::Scope;
use crate::core::stamp::stamp_time;
use crate::core::store::KvStore;

/// Where a fill begins.
#[derive(Debug, PartialEq, Eq)]
enum Start {
    /// With a lookup; a stale value stands in only if loading fails.
    Lookup,
    /// With a lookup; a stale value servable while revalidating is the answer.
    LookupServingStale,
    /// With the load: the caller looked already, and found an entry with these tags (or none).
    Load(Vec<String>),
}

/// How a wait for another call's load ended.
enum Waited {
    Done(flight::FlightResult),
    Cancelled,
    TooLong,
}

impl<S: KvStore> Cache<S> {
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
    /// (an HTTP front revalidating a stale entry): `found` is the entry their lookup found there,
    /// if any, whose tags are fenced as well. Single-flight and fenced like
    /// [`get_or_set`](Self::get_or_set); on loader failure it returns the error (the caller has
    /// its own stale copy).
    pub async fn load<F, Fut>(
        &self,
        key: &str,
        options: SetOptions,
        found: Option<&EntryMeta>,
        loader: F,
    ) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        let found_tags = found.map(|meta| meta.tags.clone()).unwrap_or_default();
        self.fetch(key, options, loader, Start::Load(found_tags)).await
    }

    async fn fetch<F, Fut>(
        &self,
        key: &str,
        options: SetOptions,
        loader: F,
        mut start: Start,
    ) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        self.check_key(key)?;
        self.check_tags(&options.tags)?;
        let version = options.version;
        let location = self.keys.entry(key, version);
        // Every path that runs the loader returns; only a cancelled wait goes round again.
        loop {
            // What the lookup found there: a stale value (to stand in if loading fails), and the
            // tags of the entry there (for the fill to fence). A caller that looked already says
            // what it found; after a cancelled wait, look again: the entry may have been stored
            // meanwhile.
            let (stale, previous) = if let Start::Load(found_tags) = &mut start {
                let found_tags = std::mem::take(found_tags);
                start = Start::Lookup;
                (None, found_tags)
            } else {
                match self.look(key, version, &location).await {
                    Ok((Lookup::Fresh(hit), _)) => return Ok(Fetched { hit, source: Source::Cached }),
                    Ok((Lookup::Stale(hit, reason, StaleUse::WhileRevalidating), _))
                        if start == Start::LookupServingStale =>
                    {
                        return Ok(Fetched { hit, source: Source::StaleWhileRevalidating(reason) })
                    }
                    Ok((Lookup::Stale(hit, reason, _), _)) => {
                        let tags = hit.meta.tags.clone();
                        (Some((hit, reason)), tags)
                    }
                    Ok((Lookup::Miss(_), found)) => (None, found.map(|hit| hit.meta.tags).unwrap_or_default()),
                    Err(_) => (None, Vec::new()),
                }
            };
            match self.flights.join(&location, self.epoch.load(Ordering::SeqCst)) {
                Role::Waiter(result) => {
                    self.counters.bump(Counter::Coalesced);
                    match self.wait(result).await {
                        Waited::Done(Ok(hit)) => return Ok(Fetched { hit, source: Source::Coalesced }),
                        // The leader's value was not for sharing, or it took too long: load our
                        // own, fenced.
                        Waited::Done(Err(CacheError::Uncacheable)) | Waited::TooLong => {
                            return self.fill(key, &location, options, loader, previous).await
                        }
                        Waited::Done(Err(e)) => return self.stale_or(stale, e),
                        Waited::Cancelled => {}
                    }
                }
                Role::Leader(leader) => {
                    let result = self.fill(key, &location, options.clone(), loader, previous).await;
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

    fn stale_or(&self, stale: Option<(Hit, StaleReason)>, error: CacheError) -> Result<Fetched, CacheError> {
        match stale {
            Some((hit, reason)) => Ok(Fetched { hit, source: Source::StaleOnError(reason) }),
            None => Err(error),
        }
    }

    /// Loads and stores `key`, fencing `previous` (the tags of the entry found there) as well as
    /// the call's.
    async fn fill<F, Fut>(
        &self,
        key: &str,
        location: &str,
        options: SetOptions,
        loader: F,
        previous: Vec<String>,
    ) -> Result<Fetched, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Loaded, LoadError>>,
    {
        let started = self.clock.now_ms();
        let epoch = self.epoch.load(Ordering::SeqCst);
        // Tags a loader reports are only known afterwards; those the previous entry here carried
        // are fenced up front too (responses rarely change tags), so only new ones need the
        // raced-invalidation check.
        let mut expected = options.tags.clone();
        expected.extend(previous.into_iter().filter(|t| !options.tags.contains(t)));
        let scopes = self.scopes_of(key, &expected);
        // A store failure here means no fence: load anyway, but do not store.
        let captured = self.capture(scopes).await;
        self.counters.bump(Counter::Load);
        let loaded = loader().await?;
        if !loaded.cacheable {
            let hit = Hit { meta: self.meta_from(key, options, self.clock.now_ms()), value: loaded.value };
            return Ok(Fetched { hit, source: Source::Loaded { not_stored: Some(CacheError::Uncacheable) } });
        }
        let options = options.overlaid(loaded.options);
        // Stored only if the fence held, the value fits, no tag it reported was purged since the
        // load began and no purge here covered it meanwhile; else answered and not stored.
        let stored = async {
            let mut captured = captured?;
            self.check_value(&loaded.value)?;
            self.capture_late_tags(key, &options, started, &mut captured).await?;
            if let Some(scope) = self.invalidated_locally_since(epoch, &captured).await {
                return Err(CacheError::RacedInvalidation(scope));
            }
            self.store_entry(key, location, loaded.value.clone(), options.clone(), captured, started).await
        };
        let not_stored = match stored.await {
            Ok(hit) => return Ok(Fetched { hit, source: Source::Loaded { not_stored: None } }),
            Err(e) => Some(e),
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
        let late: Vec<Captured> = options
            .tags
            .iter()
            .map(|t| Captured::of(Scope::Tag(t.clone())))
            .filter(|late| !captured.iter().any(|c| c.scope == late.scope))
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
}
