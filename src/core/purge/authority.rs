//! The purge authority: one place that orders purges (a sequence number each), keeps the
//! current stamps, the invalidation log and the replay set, and reports every change of a
//! stamp as a feed that followers ([`StampSource::Feed`](crate::core::StampSource::Feed))
//! apply. Sans-IO like the rest of the core: its store is whatever the front gives it (a
//! Durable Object's SQLite storage that mirrors stamps to Workers KV, in the worker).
//!
//! It also keeps the tag index for its followers, whose fills report which entries carry
//! which tags ([`Membership`], in batches): one index row per tag and entry in its own storage,
//! expiring with the entry, so "which keys carry this tag" costs the edge no KV write.
//!
//! The feed keeps each purge's changes as one record under its sequence number for a
//! retention period (the propagation window and ten minutes): a follower that asks from a
//! position whose records are gone, or from none, gets a reset, which reports every change
//! within the store's propagation window. Everything older than that the store shows.

use std::time::Duration;

use bytes::Bytes;
use futures_util::lock::Mutex;

use super::endpoint::Apply;
use crate::core::cache::{Applied, Cache, CacheBuilder, Change, FeedPage, Invalidation};
use crate::core::clock::Millis;
use crate::core::codec::{DecodeError, Reader, Writer};
use crate::core::duration_ms;
use crate::core::entry::EntryMeta;
use crate::core::error::{BuildError, CacheError};
use crate::core::keys::Scope;
use crate::core::store::{KvStore, KvTtl, PutOptions, StoreError};

/// Changes in one feed page, at most (purges, each with its scopes).
const FEED_PAGE: u64 = 200;
/// Purges a reset reports at most; more within the window make it incomplete.
const RESET_LIMIT: usize = 2_000;
/// How much longer than the window feed records are kept: a follower idle for longer gets a
/// reset.
const RETENTION_MARGIN_MS: u64 = 600_000;

/// "This entry carries this tag", as a follower reports it to the authority's tag index.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Membership {
    /// The tag.
    pub tag: String,
    /// The entry's key.
    pub key: String,
    /// The entry's explicit version.
    pub version: u64,
    /// When the entry stops being usable (the index row expires then).
    pub until: Millis,
}

impl Membership {
    const MAGIC: &'static [u8; 2] = b"EM";

    /// One membership per tag of a stored entry.
    #[must_use]
    pub fn of(meta: &EntryMeta) -> Vec<Self> {
        let until = meta.usable_until();
        meta.tags
            .iter()
            .map(|tag| Self { tag: tag.clone(), key: meta.key.clone(), version: meta.version, until })
            .collect()
    }

    /// A batch as a follower sends it (the record codec, format 1).
    #[must_use]
    pub fn encode_all(members: &[Membership]) -> Vec<u8> {
        let mut w = Writer::new(Self::MAGIC, 1, 8 + members.len() * 64);
        w.uint(members.len() as u64);
        for m in members {
            w.string(&m.tag);
            w.string(&m.key);
            w.uint(m.version);
            w.uint(m.until);
        }
        w.out
    }

    /// A batch [`encode_all`](Self::encode_all) made.
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Membership>, DecodeError> {
        let mut r = Reader::open(bytes, Self::MAGIC, 1)?;
        let count = r.len()?;
        let members = (0..count)
            .map(|_| Ok(Self { tag: r.string()?, key: r.string()?, version: r.uint()?, until: r.uint()? }))
            .collect::<Result<_, DecodeError>>()?;
        r.finish()?;
        Ok(members)
    }
}

/// Orders purges and reports their changes (the module docs say how).
///
/// ```
/// use std::time::Duration;
/// use edgecache::core::purge::{Apply, Authority};
/// use edgecache::core::{CacheBuilder, Invalidation, ManualClock, MemoryStore};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(1_700_000_000_000);
/// let builder = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone());
/// let authority = Authority::new(builder, Duration::from_secs(60)).unwrap();
/// let applied = authority.apply(Invalidation::tag("articles")).await.unwrap();
/// assert_eq!(applied.seq, Some(1));
/// let page = authority.feed(Some(0)).await.unwrap();
/// assert_eq!((page.head, page.changes.len()), (1, 1));
/// # });
/// ```
#[derive(Debug)]
pub struct Authority<S> {
    cache: Cache<S>,
    window_ms: u64,
    /// Purges are applied one at a time (their stamp writes may wait on I/O).
    order: Mutex<()>,
}

impl<S: KvStore> Authority<S> {
    /// An authority keeping its state in the store of `builder` (whose stamp memo is turned
    /// off: the store is the truth), for followers of a store that propagates within `window`.
    pub fn new(builder: CacheBuilder<S>, window: Duration) -> Result<Self, BuildError> {
        let cache = builder.stamp_memo(Duration::ZERO).build()?;
        Ok(Self { cache, window_ms: duration_ms(window), order: Mutex::new(()) })
    }

    /// The cache over the authority's store (its log, its stamps).
    #[must_use]
    pub fn cache(&self) -> &Cache<S> {
        &self.cache
    }

    /// Records a batch of memberships in the tag index (each row expiring with its entry; rows
    /// already expired, or with a tag or key the cache would refuse, are skipped). Says how many
    /// were recorded. Listed with [`Cache::tagged`] on [`cache`](Self::cache).
    pub async fn index(&self, members: &[Membership]) -> Result<usize, StoreError> {
        let now = self.cache.now_ms();
        let keys = self.cache.key_space();
        let mut recorded = 0;
        for m in members.iter().filter(|m| m.until > now) {
            if self.cache.check_key(&m.key).is_err() || self.cache.check_tags(std::slice::from_ref(&m.tag)).is_err() {
                continue;
            }
            let ttl = PutOptions::new(KvTtl::covering_ms(m.until - now));
            self.cache.store().put(&keys.index(&m.tag, &m.key, m.version), Bytes::new(), ttl).await?;
            recorded += 1;
        }
        Ok(recorded)
    }

    /// The last sequence number given (0 before the first purge).
    pub async fn head(&self) -> Result<u64, StoreError> {
        let head = self.cache.store().get(&self.cache.key_space().feed_head()).await?;
        Ok(head.and_then(|b| std::str::from_utf8(&b).ok()?.parse().ok()).unwrap_or(0))
    }

    /// The changes after position `since`, a page at a time, or a reset (`since` is `None`, in
    /// the future, or so far behind that its records are gone).
    pub async fn feed(&self, since: Option<u64>) -> Result<FeedPage, StoreError> {
        let head = self.head().await?;
        let now = self.cache.now_ms();
        if let Some(since) = since.filter(|s| *s <= head) {
            let to = head.min(since + FEED_PAGE);
            let records = self.records(since + 1, to).await?;
            // A record gone or unreadable (every purge changes a scope, so none is empty)
            // cannot be skipped: the follower gets a reset instead.
            let readable = records.into_iter().map(|r| r.filter(|changes| !changes.is_empty()));
            if let Some(records) = readable.collect::<Option<Vec<Vec<Change>>>>() {
                let changes = records.into_iter().flatten().collect();
                return Ok(FeedPage { since: Some(since), head: to, latest: head, changes, complete: true });
            }
        }
        self.reset(head, now).await
    }

    /// Every change within the window, newest record backwards until one is older than the
    /// window or gone (retention outlasts the window).
    async fn reset(&self, head: u64, now: Millis) -> Result<FeedPage, StoreError> {
        let horizon = now.saturating_sub(self.window_ms);
        let mut found: Vec<Vec<Change>> = Vec::new();
        let mut complete = false;
        let mut upto = head;
        'pages: while found.len() < RESET_LIMIT {
            if upto == 0 {
                complete = true;
                break;
            }
            let from = upto.saturating_sub(FEED_PAGE) + 1;
            for record in self.records(from, upto).await?.into_iter().rev() {
                match record {
                    // A record within the window that cannot be read leaves the reset incomplete.
                    Some(changes) if changes.is_empty() => break 'pages,
                    Some(changes) if changes[0].at < horizon => {
                        complete = true;
                        break 'pages;
                    }
                    Some(changes) => found.push(changes),
                    None => {
                        complete = true;
                        break 'pages;
                    }
                }
            }
            upto = from - 1;
        }
        let changes = found.into_iter().rev().flatten().collect();
        Ok(FeedPage { since: None, head, latest: head, changes, complete })
    }

    /// The records `from..=to` (`None` where gone; a corrupt one reads as empty).
    async fn records(&self, from: u64, to: u64) -> Result<Vec<Option<Vec<Change>>>, StoreError> {
        let keys: Vec<String> = (from..=to).map(|seq| self.cache.key_space().feed(seq)).collect();
        let values = self.cache.store().get_many(&keys).await?;
        Ok(values.into_iter().map(|v| v.map(|bytes| Change::decode_all(&bytes).unwrap_or_default())).collect())
    }

    /// Records the current stamps of `scopes` as change number `seq`, then makes it the head.
    async fn record(&self, seq: u64, scopes: &[Scope]) -> Result<(), StoreError> {
        let refs: Vec<&Scope> = scopes.iter().collect();
        let stamps = self.cache.read_stamps(&refs).await?;
        let at = self.cache.now_ms();
        let changes: Vec<Change> = scopes
            .iter()
            .zip(stamps)
            .map(|(scope, (hard, any))| Change::new(seq, at, scope.clone(), hard, any))
            .collect();
        let store = self.cache.store();
        let keys = self.cache.key_space();
        let kept = PutOptions::new(KvTtl::covering_ms(self.window_ms + RETENTION_MARGIN_MS));
        store.put(&keys.feed(seq), Bytes::from(Change::encode_all(&changes)), kept).await?;
        let forever = PutOptions::new(KvTtl::covering_ms(u64::MAX));
        store.put(&keys.feed_head(), Bytes::from(seq.to_string()), forever).await
    }
}

impl<S: KvStore> Authority<S> {
    /// Invalidates every version of `key` as the next purge in order and returns its new
    /// managed version.
    pub async fn bump_version(&self, key: &str) -> Result<u64, CacheError> {
        let scopes = [Scope::Key(key.to_owned())];
        let (_, version) = self.in_order(&scopes, self.cache.bump_version(key)).await?;
        Ok(version)
    }

    /// Runs `change` (which writes stamps of `scopes`) as the next purge in order, and records
    /// the stamps it left, also when it was applied only in part: followers must learn of every
    /// stamp written.
    async fn in_order<T>(
        &self,
        scopes: &[Scope],
        change: impl std::future::Future<Output = Result<T, CacheError>>,
    ) -> Result<(u64, T), CacheError> {
        let _turn = self.order.lock().await;
        let seq = self.head().await? + 1;
        let result = change.await;
        if matches!(result, Ok(_) | Err(CacheError::InvalidationIncomplete { .. })) {
            self.record(seq, scopes).await?;
        }
        Ok((seq, result?))
    }
}

impl<S: KvStore> Apply for Authority<S> {
    /// Applies `invalidation` as the next purge in order and records its changes for the feed.
    async fn apply(&self, invalidation: Invalidation) -> Result<Applied, CacheError> {
        let scopes = invalidation.scopes().to_vec();
        let (seq, mut applied) = self.in_order(&scopes, self.cache.invalidate(invalidation)).await?;
        applied.seq = Some(seq);
        Ok(applied)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::core::cache::{Lookup, SetOptions, StampSource};
    use crate::core::{Clock, ManualClock, MemoryStore, Mirrored, SimulatedKv, StoreOp};

    const WINDOW: Duration = Duration::from_secs(60);

    fn authority(clock: &ManualClock, mirror: SimulatedKv) -> Authority<Mirrored<MemoryStore, SimulatedKv>> {
        let own = Mirrored::new(MemoryStore::new(clock.clone()), mirror);
        Authority::new(CacheBuilder::new(own, clock.clone()), WINDOW).unwrap()
    }

    #[test]
    fn pages_follow_the_order_and_resets_cover_the_window() {
        let clock = ManualClock::new(1_700_000_000_000);
        let a = authority(&clock, SimulatedKv::new(clock.clone(), 0, 1));
        for tag in ["a", "b", "c"] {
            block_on(a.apply(Invalidation::tag(tag))).unwrap();
            clock.advance(20_000);
        }
        assert_eq!(block_on(a.bump_version("k")).unwrap(), 1);
        let page = block_on(a.feed(Some(1))).unwrap();
        let seqs: Vec<u64> = page.changes.iter().map(|c| c.seq).collect();
        assert_eq!((page.since, page.head, seqs), (Some(1), 4, vec![2, 3, 4]));
        assert!(page.changes[2].hard.as_deref().is_some_and(|h| h.starts_with("1.")), "the version is reported");
        assert!(block_on(a.feed(Some(4))).unwrap().changes.is_empty());
        // Ahead of the authority (its storage was replaced): a reset, with what the window holds.
        let reset = block_on(a.feed(Some(9))).unwrap();
        let seqs: Vec<u64> = reset.changes.iter().map(|c| c.seq).collect();
        assert_eq!((reset.since, reset.head, reset.complete, seqs), (None, 4, true, vec![1, 2, 3, 4]));
        clock.advance(1);
        let seqs: Vec<u64> = block_on(a.feed(None)).unwrap().changes.iter().map(|c| c.seq).collect();
        assert_eq!(seqs, vec![2, 3, 4], "the first purge is just past the window");
        // Far behind: its records are gone, and the window holds nothing any more.
        clock.advance(WINDOW.as_millis() as u64 + RETENTION_MARGIN_MS + 60_000);
        let reset = block_on(a.feed(Some(1))).unwrap();
        assert_eq!((reset.since, reset.head, reset.complete, reset.changes.len()), (None, 4, true, 0));
    }

    #[test]
    fn the_tag_index_lists_reported_members_until_they_expire() {
        let clock = ManualClock::new(1_700_000_000_000);
        let a = authority(&clock, SimulatedKv::new(clock.clone(), 0, 1));
        let now = clock.now_ms();
        let member = |tag: &str, key: &str, until| Membership { tag: tag.into(), key: key.into(), version: 0, until };
        let batch = vec![
            member("t", "/a", now + 120_000),
            member("t", "/b", now + 600_000),
            member("u", "/a", now + 120_000),
            member("t", "/gone", now),
        ];
        let batch = Membership::decode_all(&Membership::encode_all(&batch)).unwrap();
        assert_eq!(block_on(a.index(&batch)).unwrap(), 3, "the expired one is skipped");
        let keys = |tag| block_on(a.cache().tagged(tag, 0, None)).unwrap().keys;
        assert_eq!(keys("t"), vec![("/a".to_owned(), 0), ("/b".to_owned(), 0)]);
        clock.advance(180_000);
        assert_eq!(keys("t"), vec![("/b".to_owned(), 0)], "rows expire with their entries");
        assert!(Membership::decode_all(b"EM\x01\x05").is_err());
    }

    #[test]
    fn an_unreadable_record_is_never_skipped() {
        let clock = ManualClock::new(1_700_000_000_000);
        let a = authority(&clock, SimulatedKv::new(clock.clone(), 0, 1));
        for tag in ["a", "b"] {
            block_on(a.apply(Invalidation::tag(tag))).unwrap();
        }
        let ttl = PutOptions::new(KvTtl::covering_ms(60_000));
        block_on(a.cache().store().put(&a.cache().key_space().feed(1), Bytes::from_static(b"garbage"), ttl)).unwrap();
        let page = block_on(a.feed(Some(0))).unwrap();
        assert_eq!(page.since, None, "a reset, not a page without purge 1");
        assert!(!page.complete, "the reset cannot vouch for the window either");
    }

    #[test]
    fn a_reset_with_more_than_it_may_report_is_incomplete() {
        let clock = ManualClock::new(1_700_000_000_000);
        let a = authority(&clock, SimulatedKv::new(clock.clone(), 0, 1));
        for i in 0..=RESET_LIMIT {
            block_on(a.apply(Invalidation::tag(format!("t{i}")))).unwrap();
        }
        let reset = block_on(a.feed(None)).unwrap();
        assert!(!reset.complete);
        assert_eq!(reset.changes.len(), RESET_LIMIT);
        assert_eq!(reset.changes.last().map(|c| c.seq), Some(RESET_LIMIT as u64 + 1));
    }

    #[test]
    fn a_purge_applied_in_part_is_reported_and_the_mirror_goes_first() {
        let clock = ManualClock::new(1_700_000_000_000);
        let kv = SimulatedKv::new(clock.clone(), 0, 1);
        let a = authority(&clock, kv.clone());
        // The second scope's first stamp write fails at the mirror.
        kv.fail_after(StoreOp::Put, 2, Some(1));
        let err = block_on(a.apply(Invalidation::tag("a").and_tag("b"))).unwrap_err();
        assert!(matches!(err, CacheError::InvalidationIncomplete { applied: 1, .. }), "{err:?}");
        let page = block_on(a.feed(Some(0))).unwrap();
        let a_stamp = block_on(a.cache().tag_stamps(&["a".into(), "b".into()])).unwrap();
        assert_eq!(page.changes.len(), 2);
        assert_eq!(page.changes[0].any, a_stamp[0]);
        assert!(a_stamp[0].is_some() && a_stamp[1].is_none(), "b was not written: {a_stamp:?}");
        // What the authority holds, the mirror holds.
        let keys = a.cache().key_space().stamps(&Scope::Tag("a".into()));
        let mirrored = block_on(kv.get_many(keys.as_ref())).unwrap();
        assert!(mirrored.iter().all(Option::is_some));
    }

    #[test]
    fn a_follower_sees_purges_at_its_next_page_and_falls_back_to_the_store() {
        let clock = ManualClock::new(1_700_000_000_000);
        // A store that shows writes only after a minute: the follower must not depend on it.
        let kv = SimulatedKv::new(clock.clone(), 60_000, 3);
        let own = Mirrored::new(MemoryStore::new(clock.clone()), kv.clone());
        let authority = Authority::new(CacheBuilder::new(own, clock.clone()), Duration::from_secs(60)).unwrap();
        let edge = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone())
            .stamp_source(StampSource::Feed)
            .build()
            .unwrap();
        assert_eq!(edge.feed_position(), None);
        assert!(edge.follow(block_on(authority.feed(None)).unwrap()));
        block_on(edge.set("k", "v1", SetOptions::new().tag("t"))).unwrap();
        block_on(authority.apply(Invalidation::tag("t"))).unwrap();
        assert!(matches!(block_on(edge.get("k")).unwrap(), Lookup::Fresh(_)), "not read yet");
        // A late answer to an earlier read changes nothing.
        let stale = FeedPage { since: Some(7), head: 9, latest: 9, changes: Vec::new(), complete: true };
        assert!(edge.follow(stale));
        assert_eq!(edge.feed_position(), Some(0));
        assert!(edge.follow(block_on(authority.feed(edge.feed_position())).unwrap()));
        assert!(matches!(block_on(edge.get("k")).unwrap(), Lookup::Miss(_)), "the purge, from the feed");
        // Unfollowed, the stamp from the feed is kept for the memo interval, then the store is
        // asked again (which does not show the purge yet: the KV-only bound).
        edge.unfollow();
        assert_eq!(edge.feed_position(), None);
        assert!(matches!(block_on(edge.get("k")).unwrap(), Lookup::Miss(_)));
    }
}
