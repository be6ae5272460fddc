//! Stamps as the cache reads, records and writes them: through the memo (for an interval, or
//! all of them for a sole writer), in one bulk read otherwise, and compared in place.
//!
//! Why an absent stamp may be recorded as such (no stamp is written when a scope is first
//! used): an entry that recorded `""` is invalidated by the first stamp written for the scope,
//! and stays so as long as that stamp exists. A stamp lives `stamp_ttl` from its last write; an
//! entry is kept at most `stamp_ttl` less an hour after its capture, which came before the stamp
//! was written (else it would have recorded the stamp), so the entry is gone first. Stores that
//! evict to make room never evict stamps (they are written pinned). The model test checks this
//! with hours-long lifetimes, a 2-hour stamp TTL and a store that evicts.

use std::sync::MutexGuard;

use bytes::Bytes;

use super::memo::{StampMemo, Which};
use super::stats::Counter;
use super::{Cache, Mode, StampSource};
use crate::core::clock::Millis;
use crate::core::entry::Captured;
use crate::core::error::CacheError;
use crate::core::keys::Scope;
use crate::core::stamp::{new_stamp, parse_stamp};
use crate::core::store::{KvStore, KvTtl, PutOptions, StoreError};

/// The current stamps of one scope: hard and any-purge, `None` when absent.
type Stamps = (Option<String>, Option<String>);

/// Whether an entry's recorded stamps still hold.
pub(super) enum Validity {
    Valid,
    Soft,
    /// Invalidated through this scope.
    Invalid(Scope),
}

impl<S: KvStore> Cache<S> {
    pub(super) async fn validity(&self, captured: &[Captured]) -> Result<Validity, StoreError> {
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

    pub(super) fn memo(&self) -> MutexGuard<'_, StampMemo> {
        self.memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether stamps are kept in the memo: memoised for an interval, kept exact by a feed, or
    /// all of them by a sole writer. (Off: a store as fast as the memo gains nothing from it.)
    fn memo_on(&self) -> bool {
        self.settings.source != StampSource::Store || self.settings.stamp_memo_ms > 0
    }

    /// What the memo answers for a stamp: `Some(stamp)` (`Some(None)`: absent), or `None` when
    /// the store must be asked. A sole writer's memo holds every stamp there is; a follower's
    /// holds what the feed reported, and what it read from the store since (still right).
    fn memo_knows<'m>(&self, memo: &'m StampMemo, scope: &Scope, which: Which, now: Millis) -> Option<Option<&'m str>> {
        let interval = match self.settings.source {
            StampSource::SoleWriter => return Some(memo.latest(scope, which)),
            // Following: a stamp the feed reported, or one read since, is still right.
            StampSource::Feed if memo.position.is_some() => u64::MAX,
            _ => self.settings.stamp_memo_ms,
        };
        memo.get(scope, which, now, interval)
    }

    pub(super) fn remember(&self, scope: &Scope, which: Which, stamp: Option<&str>, now: Millis) {
        if self.memo_on() {
            self.memo().put(scope, which, stamp, now, self.settings.source != StampSource::SoleWriter);
        }
    }

    pub(super) fn random(&self) -> u64 {
        self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next_u64()
    }

    /// The current stamps of `scopes`, from the memo where recent enough, else in one bulk read.
    pub(crate) async fn read_stamps(&self, scopes: &[&Scope]) -> Result<Vec<Stamps>, StoreError> {
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

    /// Records the current stamps of the scopes in `captured` (built by
    /// [`Cache::scopes_of`]); an absent stamp is recorded as `""`, which the first
    /// invalidation of the scope changes. Writes nothing: a never-invalidated scope costs no
    /// stamp, so a first fill is one entry write. Sound because a stamp outlives every entry
    /// that recorded its absence: entries are kept at most the stamp TTL less a margin after
    /// their capture (`store_entry`), and stores never drop stamps early (`PutOptions::pinned`).
    pub(super) async fn capture(&self, mut captured: Vec<Captured>) -> Result<Vec<Captured>, CacheError> {
        if self.memoised_capture(&mut captured) {
            return Ok(captured);
        }
        let current = {
            let scopes: Vec<&Scope> = captured.iter().map(|c| &c.scope).collect();
            self.read_stamps(&scopes).await.inspect_err(|_| self.counters.bump(Counter::StoreError))?
        };
        for (c, (hard, any)) in captured.iter_mut().zip(current) {
            c.hard = hard.unwrap_or_default();
            c.any = any.unwrap_or_default();
        }
        Ok(captured)
    }

    /// [`capture`](Self::capture) from the memo alone, when it holds every stamp needed (always
    /// for a sole writer; for a hot key otherwise): recorded in place, no stamp key built and no
    /// list in between. False when the store must be read (`captured` is then filled anew).
    fn memoised_capture(&self, captured: &mut [Captured]) -> bool {
        if !self.memo_on() {
            return false;
        }
        let now = self.clock.now_ms();
        let memo = self.memo();
        captured.iter_mut().all(|c| {
            let known = |which| self.memo_knows(&memo, &c.scope, which, now);
            let (Some(hard), Some(any)) = (known(Which::Hard), known(Which::Any)) else {
                return false;
            };
            // Into the strings' own buffers (a recycled list has them: `Cache::spare`).
            c.hard.clear();
            c.hard.push_str(hard.unwrap_or_default());
            c.any.clear();
            c.any.push_str(any.unwrap_or_default());
            true
        })
    }

    /// Writes new stamps for `scope` (an invalidation): both for a hard one, the any-purge one
    /// for a soft one. `version` is the managed version a key scope's hard stamp carries.
    pub(super) async fn write_stamp(&self, scope: &Scope, mode: Mode, version: Option<u64>) -> Result<(), CacheError> {
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
