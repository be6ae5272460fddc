//! Following a purge authority's feed ([`StampSource::Feed`](super::StampSource::Feed)): the
//! front reads pages of changes and hands them to [`Cache::follow`], which keeps the stamp
//! memo exact between reads, so hits are judged without reading a stamp from the store.
//!
//! Why the memo is exact: a page reports, for every purge after the cache's position, the
//! stamps of the scopes it changed. A scope not reported since the cache started following
//! was last changed before the first page's window (the changes the authority made within the
//! store's propagation bound, all reported on a reset), so the store already shows its stamps:
//! read once, they stay right until a page reports a change. So nothing the memo holds may be
//! dropped while following (the store may not show a reported stamp yet): a full memo stops
//! keeping what it reads instead.

use std::sync::atomic::Ordering;

use super::memo::Which;
use super::{Cache, StampSource};
use crate::core::clock::Millis;
use crate::core::codec::{DecodeError, Reader, Writer};
use crate::core::keys::Scope;
use crate::core::store::KvStore;

/// One scope's stamps just after the purge numbered `seq` changed them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// The purge's sequence number at the authority.
    pub seq: u64,
    /// When the authority applied it.
    pub at: Millis,
    /// The scope.
    pub scope: Scope,
    /// Its hard stamp now.
    pub hard: Option<String>,
    /// Its any-purge stamp now.
    pub any: Option<String>,
}

impl Change {
    /// A change record.
    #[must_use]
    pub fn new(seq: u64, at: Millis, scope: Scope, hard: Option<String>, any: Option<String>) -> Self {
        Self { seq, at, scope, hard, any }
    }
}

/// A page of an authority's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeedPage {
    /// The position the page continues from; `None` for a reset: the follower forgets its
    /// stamps and starts over from this page.
    pub since: Option<u64>,
    /// The position after this page.
    pub head: u64,
    /// The authority's last sequence number (beyond `head`: more pages to read).
    pub latest: u64,
    /// The changes after `since` up to `head`, oldest first (a reset: every change within the
    /// store's propagation window).
    pub changes: Vec<Change>,
    /// False when a reset could not report every change within the window (more than a page
    /// of them): the follower keeps reading the store until a later reset is complete.
    pub complete: bool,
}

impl Change {
    fn write(&self, w: &mut Writer) {
        w.uint(self.seq);
        w.uint(self.at);
        w.scope(&self.scope);
        w.optional_string(self.hard.as_deref());
        w.optional_string(self.any.as_deref());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            seq: r.uint()?,
            at: r.uint()?,
            scope: r.scope()?,
            hard: r.optional_string()?,
            any: r.optional_string()?,
        })
    }

    const MAGIC: &'static [u8; 2] = b"EC";

    /// One purge's changes as an authority stores them (the record codec, format 1).
    #[must_use]
    pub fn encode_all(changes: &[Change]) -> Vec<u8> {
        let mut w = Writer::new(Self::MAGIC, 1, 8 + changes.len() * 48);
        w.uint(changes.len() as u64);
        for change in changes {
            change.write(&mut w);
        }
        w.out
    }

    /// The changes [`encode_all`](Self::encode_all) stored.
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Change>, DecodeError> {
        let mut r = Reader::open(bytes, Self::MAGIC, 1)?;
        let changes = read_changes(&mut r)?;
        r.finish()?;
        Ok(changes)
    }
}

fn read_changes(r: &mut Reader<'_>) -> Result<Vec<Change>, DecodeError> {
    // Bounded by the bytes left, so a corrupt count cannot reserve much.
    let count = r.len()?;
    (0..count).map(|_| Change::read(r)).collect()
}

impl FeedPage {
    const MAGIC: &'static [u8; 2] = b"EF";

    /// The page as an authority sends it to its followers (the record codec, format 1).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(Self::MAGIC, 1, 24 + self.changes.len() * 48);
        w.out.push(u8::from(self.since.is_some()));
        w.uint(self.since.unwrap_or_default());
        w.uint(self.head);
        w.uint(self.latest);
        w.out.push(u8::from(self.complete));
        w.uint(self.changes.len() as u64);
        for change in &self.changes {
            change.write(&mut w);
        }
        w.out
    }

    /// A page [`encode`](Self::encode) made.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(bytes, Self::MAGIC, 1)?;
        let flag = |b: u8| match b {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::Corrupt),
        };
        let has_since = flag(r.byte()?)?;
        let since = r.uint()?;
        let (head, latest) = (r.uint()?, r.uint()?);
        let complete = flag(r.byte()?)?;
        let changes = read_changes(&mut r)?;
        r.finish()?;
        Ok(Self { since: has_since.then_some(since), head, latest, changes, complete })
    }
}

impl<S: KvStore> Cache<S> {
    /// Applies a page of the authority's feed. A page that does not continue from this cache's
    /// position (a late answer to an earlier read) is ignored; a reset replaces everything the
    /// memo knew. Says whether the cache now follows the feed.
    pub fn follow(&self, page: FeedPage) -> bool {
        let StampSource::Feed = self.settings.source else {
            return false;
        };
        let now = self.clock.now_ms();
        let mut memo = self.memo();
        match page.since {
            None => memo.clear(),
            Some(since) if memo.position != Some(since) => return memo.position.is_some(),
            Some(_) => {}
        }
        let changed = !page.changes.is_empty();
        for c in &page.changes {
            memo.record(&c.scope, Which::Hard, c.hard.as_deref(), now);
            memo.record(&c.scope, Which::Any, c.any.as_deref(), now);
        }
        // An incomplete reset cannot be followed: the store is read, memoised, until a later one.
        let follows = page.since.is_some() || page.complete;
        memo.position = follows.then_some(page.head);
        drop(memo);
        if changed {
            // Flights started before may carry values these changes invalidated.
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        follows
    }

    /// Stops trusting the feed (the authority cannot be reached): stamps are read from the
    /// store again, each memoised for the memo interval, until a reset page is followed.
    pub fn unfollow(&self) {
        self.memo().position = None;
    }

    /// The last feed position applied; `None` when not following a feed.
    #[must_use]
    pub fn feed_position(&self) -> Option<u64> {
        self.memo().position
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn pages_and_records_round_trip_and_refuse_damage() {
        let change =
            |seq| Change::new(seq, 1_700_000_000_000 + seq, Scope::Tag(format!("t{seq}")), Some("h".into()), None);
        let page = FeedPage { since: Some(3), head: 5, latest: 9, changes: vec![change(4), change(5)], complete: true };
        let bytes = page.encode();
        assert_eq!(FeedPage::decode(&bytes), Ok(page));
        let reset = FeedPage { since: None, head: 0, latest: 0, changes: Vec::new(), complete: false };
        assert_eq!(FeedPage::decode(&reset.encode()), Ok(reset));
        for cut in 0..bytes.len() {
            assert!(FeedPage::decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        let record = Change::encode_all(&[change(7)]);
        assert_eq!(Change::decode_all(&record), Ok(vec![change(7)]));
        assert!(Change::decode_all(&bytes).is_err(), "a page is not a record");
    }
}
