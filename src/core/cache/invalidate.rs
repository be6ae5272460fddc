//! Invalidations (a constant number of stamp writes per scope, whatever the number of entries),
//! managed versions, the log, and the separate, resumable sweep that deletes what an
//! invalidation made unreachable.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::log::{Applied, Invalidation, LogPage, LogRecord, Mode};
use super::stats::Counter;
use super::{Cache, Lookup, Validity};
use crate::core::entry::Envelope;
use crate::core::error::CacheError;
use crate::core::freshness::{judge, Freshness};
use crate::core::keys::{segment_prefixes, Scope, SEGMENT_SEPARATORS};
use crate::core::stamp::stamp_version;
use crate::core::store::{KvStore, KvTtl, ListOptions, PutOptions};

/// A page of a tag's members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaggedPage {
    /// Keys and the versions they were stored under.
    pub keys: Vec<(String, u64)>,
    /// Pass back to continue; `None` on the last page.
    pub cursor: Option<String>,
}

/// Progress of one sweep page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepProgress {
    /// Keys looked at.
    pub examined: usize,
    /// Entries (and index keys) deleted.
    pub deleted: usize,
    /// Pass back to continue; `None` when the sweep is complete.
    pub cursor: Option<String>,
}

impl<S: KvStore> Cache<S> {
    /// Whether `key` (explicit version 0) holds a value [`get`](Self::get) would return (fresh,
    /// or stale but still servable).
    pub async fn contains(&self, key: &str) -> Result<bool, CacheError> {
        Ok(!matches!(self.get(key).await?, Lookup::Miss(_)))
    }

    /// Removes `key` (explicit version 0) if there is something to remove — a value stored
    /// there (fresh or stale) or a load of it under way in this instance — by a hard
    /// invalidation of the key, so a load racing it is fenced like any purge. Says whether a
    /// value was there. A key with nothing stored and nothing loading costs one read and no
    /// write.
    pub async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let present = self.contains(key).await?;
        self.delete_found(key, present).await?;
        Ok(present)
    }

    /// [`delete`](Self::delete) for a caller that has just looked `key` up itself (`present`:
    /// whether it found a value), as a front with its own lookup path does.
    pub async fn delete_found(&self, key: &str, present: bool) -> Result<(), CacheError> {
        if present || self.flights.is_loading(&self.keys.entry(key, 0)) {
            self.invalidate(Invalidation::key(key.to_owned()).by("delete")).await?;
        }
        Ok(())
    }

    /// Applies an invalidation: new stamps for each scope (hard: 2 writes, soft: 1; a key scope's
    /// hard invalidation first reads its stamp to keep the managed version), then one log
    /// record. An error means the invalidation must be retried; nothing is logged for it.
    pub async fn invalidate(&self, request: Invalidation) -> Result<Applied, CacheError> {
        self.apply(request, false).await
    }

    /// Invalidates every version of `key` and returns its new managed version (which callers
    /// may put into URLs or ETags).
    pub async fn bump_version(&self, key: &str) -> Result<u64, CacheError> {
        self.check_key(key)?;
        let applied = self.apply(Invalidation::key(key).by("bump_version"), true).await?;
        Ok(applied.record.new_version.unwrap_or_default())
    }

    /// The current purge stamps of `tags`: changed by every purge of the tag, hard or soft;
    /// `None` for a tag never purged. Read through the memo. Clients that remember these learn
    /// of purges by polling.
    pub async fn tag_stamps(&self, tags: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        let scopes: Vec<Scope> = tags.iter().cloned().map(Scope::Tag).collect();
        let refs: Vec<&Scope> = scopes.iter().collect();
        let stamps = self.read_stamps(&refs).await?;
        Ok(stamps.into_iter().map(|(_, any)| any).collect())
    }

    /// The managed version of `key` (0 until first bumped).
    pub async fn version(&self, key: &str) -> Result<u64, CacheError> {
        let scope = Scope::Key(key.to_owned());
        let (hard, _) = self.read_stamps(&[&scope]).await?.remove(0);
        Ok(hard.as_deref().and_then(stamp_version).unwrap_or(0))
    }

    async fn apply(&self, request: Invalidation, bump: bool) -> Result<Applied, CacheError> {
        if request.scopes.is_empty() {
            return Err(CacheError::EmptyInvalidation);
        }
        for scope in &request.scopes {
            self.check_scope(scope)?;
        }
        // Flights that started before now may carry invalidated values: nobody joins them.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let total = request.scopes.len();
        let mut writes = 0;
        let mut new_version = None;
        for (applied, scope) in request.scopes.iter().enumerate() {
            let incomplete = |source| CacheError::InvalidationIncomplete { applied, total, source };
            let version = match (scope, request.mode) {
                (Scope::Key(_), Mode::Hard) => {
                    // Read past an interval memo: the version must not go backwards.
                    let current = if self.settings.source == super::StampSource::SoleWriter {
                        self.memo().latest(scope, super::memo::Which::Hard).map(str::to_owned)
                    } else {
                        let stamp = self.store.get(&self.keys.stamps(scope)[0]).await.map_err(incomplete)?;
                        stamp.as_deref().map(crate::core::stamp::parse_stamp)
                    };
                    let current = current.as_deref().and_then(stamp_version).unwrap_or(0);
                    let next = if bump { current + 1 } else { current };
                    if bump {
                        new_version = Some(next);
                    }
                    Some(next)
                }
                _ => None,
            };
            match self.write_stamp(scope, request.mode, version).await {
                Ok(_) => writes += if request.mode == Mode::Hard { 2 } else { 1 },
                Err(CacheError::Store(source)) => return Err(incomplete(source)),
                Err(other) => return Err(other),
            }
        }
        self.counters.bump(Counter::Invalidation);
        let now = self.clock.now_ms();
        let record = LogRecord {
            at: now,
            scopes: request.scopes,
            mode: request.mode,
            actor: request.actor,
            request_id: request.request_id,
            new_version,
        };
        let logged = self.write_log(&record).await;
        Ok(Applied { record, writes, logged, seq: None })
    }

    async fn write_log(&self, record: &LogRecord) -> bool {
        let seq = self.log_seq.fetch_add(1, Ordering::SeqCst);
        let key = self.keys.log(record.at, seq, self.random());
        let ttl = PutOptions::new(KvTtl::covering_ms(self.settings.log_ttl_ms));
        let written = self.store.put(&key, Bytes::from(record.encode()), ttl).await.is_ok();
        if !written {
            self.counters.bump(Counter::StoreError);
        }
        written
    }

    fn check_scope(&self, scope: &Scope) -> Result<(), CacheError> {
        match scope {
            Scope::Everything => Ok(()),
            Scope::Key(key) => self.check_key(key),
            Scope::Tag(tag) => self.check_tags(std::slice::from_ref(tag)),
            Scope::Prefix(prefix) => {
                // A valid prefix is one of its own segment prefixes once anything follows it.
                let probe = format!("{prefix}_");
                let on_boundary =
                    prefix.ends_with(SEGMENT_SEPARATORS) && segment_prefixes(&probe).last() == Some(prefix.as_str());
                if on_boundary {
                    self.check_key(prefix)
                } else {
                    Err(CacheError::InvalidPrefix(prefix.clone()))
                }
            }
        }
    }

    /// The log, newest first, a page at a time (`limit` at most 1000; 0 for the maximum).
    pub async fn log(&self, limit: usize, cursor: Option<String>) -> Result<LogPage, CacheError> {
        let page = self.store.list(ListOptions::prefix(self.keys.log_records()).cursor(cursor).limit(limit)).await?;
        let names = page.keys;
        let values = self.store.get_many(&names).await?;
        let records = values.into_iter().flatten().filter_map(|bytes| LogRecord::decode(&bytes).ok()).collect();
        Ok(LogPage { records, cursor: page.cursor })
    }

    /// A page of the keys (and versions) stored with `tag`, from the membership index (empty
    /// when the cache keeps none: [`CacheBuilder::tag_index`](super::CacheBuilder::tag_index)).
    /// The index lags like the store and outlives purges until a sweep: it says which entries
    /// were stored with the tag, not which are valid.
    pub async fn tagged(&self, tag: &str, limit: usize, cursor: Option<String>) -> Result<TaggedPage, CacheError> {
        self.check_tags(std::slice::from_ref(&tag.to_owned()))?;
        let page = self.store.list(ListOptions::prefix(self.keys.index_of(tag)).cursor(cursor).limit(limit)).await?;
        let keys = page.keys.iter().filter_map(|k| self.keys.member_of_index(tag, k)).collect();
        Ok(TaggedPage { keys, cursor: page.cursor })
    }

    /// Deletes one page of entries that `scope` made unusable (hard-invalidated, expired or
    /// corrupt), with their index keys; entries still servable are kept. Tags are swept through
    /// their membership index, other scopes by listing entry keys. Resumable: pass the returned
    /// cursor until it is `None`. Correctness never depends on sweeping; storage does.
    pub async fn sweep(&self, scope: &Scope, cursor: Option<String>) -> Result<SweepProgress, CacheError> {
        self.check_scope(scope)?;
        let prefix = match scope {
            Scope::Tag(tag) if self.settings.tag_index => self.keys.index_of(tag),
            // No index: every entry is examined (each is judged on its own stamps anyway).
            Scope::Tag(_) | Scope::Everything => self.keys.entries(),
            Scope::Prefix(p) => self.keys.entries_under(p),
            Scope::Key(k) => format!("{}@v", self.keys.entries_under(k)),
        };
        let page = self.store.list(ListOptions::prefix(prefix).cursor(cursor)).await?;
        let mut progress = SweepProgress { examined: page.keys.len(), cursor: page.cursor, ..SweepProgress::default() };
        for listed in page.keys {
            let (entry_key, index_key) = match scope {
                Scope::Tag(tag) if self.settings.tag_index => match self.keys.entry_of_index(tag, &listed) {
                    Some(entry) => (entry, Some(listed)),
                    None => continue,
                },
                _ => (listed, None),
            };
            let keep = match self.store.get(&entry_key).await? {
                Some(bytes) => self.still_servable(&bytes).await?,
                None => false,
            };
            if !keep {
                self.store.delete(&entry_key).await?;
                if let Some(index_key) = index_key {
                    self.store.delete(&index_key).await?;
                }
                progress.deleted += 1;
            }
        }
        Ok(progress)
    }

    async fn still_servable(&self, bytes: &Bytes) -> Result<bool, CacheError> {
        let Ok(envelope) = Envelope::decode(bytes) else {
            return Ok(false);
        };
        if !super::has_own_scopes(&envelope) {
            return Ok(false);
        }
        let now = self.clock.now_ms();
        Ok(match self.validity(&envelope.captured).await? {
            Validity::Invalid(_) => false,
            Validity::Soft => judge(&envelope.meta, now, true) != Freshness::Unusable,
            Validity::Valid => judge(&envelope.meta, now, false) != Freshness::Unusable,
        })
    }
}
