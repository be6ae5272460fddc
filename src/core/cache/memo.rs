//! The stamp memo: stamps this instance read or wrote recently, by scope, answered without the
//! store while younger than the memo interval. Keyed by scope rather than by stamp key, so a
//! hit checks its recorded stamps without building a KV key or copying a stamp.

use crate::core::clock::Millis;
use crate::core::hash_map::HashMap;
use crate::core::keys::Scope;

/// Memoised stamps beyond this many are dropped wholesale (a hard bound on memory).
const CAPACITY: usize = 16_384;

/// Which of a scope's two stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// Changed by hard invalidations.
    Hard,
    /// Changed by every invalidation.
    Any,
}

/// A stamp as last seen (`None`: absent), and when.
#[derive(Debug)]
struct Seen {
    stamp: Option<String>,
    at: Millis,
}

#[derive(Debug, Default)]
pub(crate) struct StampMemo {
    hard: HashMap<Scope, Seen>,
    any: HashMap<Scope, Seen>,
    /// Scopes held, by kind (see [`kind_of`]): a kind with none is answered without hashing.
    kinds: [usize; 4],
    /// Following a feed: the last sequence applied.
    pub position: Option<u64>,
}

/// An index per scope kind.
fn kind_of(scope: &Scope) -> usize {
    match scope {
        Scope::Everything => 0,
        Scope::Key(_) => 1,
        Scope::Tag(_) => 2,
        Scope::Prefix(_) => 3,
    }
}

impl StampMemo {
    fn map(&self, which: Which) -> &HashMap<Scope, Seen> {
        match which {
            Which::Hard => &self.hard,
            Which::Any => &self.any,
        }
    }

    /// The stamp if it was seen less than `interval_ms` before `now` (the outer `None`: ask the
    /// store).
    pub fn get(&self, scope: &Scope, which: Which, now: Millis, interval_ms: u64) -> Option<Option<&str>> {
        let seen = self.map(which).get(scope)?;
        (now.saturating_sub(seen.at) < interval_ms).then_some(seen.stamp.as_deref())
    }

    /// The stamp last recorded, however long ago (`None`: absent, or never recorded).
    pub fn latest(&self, scope: &Scope, which: Which) -> Option<&str> {
        if self.kinds[kind_of(scope)] == 0 {
            return None; // no scope of this kind was ever invalidated (the usual key and prefix)
        }
        self.map(which).get(scope).and_then(|seen| seen.stamp.as_deref())
    }

    /// Forgets everything, the feed position included.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Records `stamp` as seen at `now`. A `bounded` memo drops everything past its capacity;
    /// an unbounded one is the record of every stamp (a sole writer's). A follower's memo is
    /// never dropped (stamps a feed reported may not be in the store yet): full, it stops
    /// keeping what it reads, which is then read again (still right, only slower).
    pub fn put(&mut self, scope: &Scope, which: Which, stamp: Option<&str>, now: Millis, bounded: bool) {
        if bounded && self.hard.len() + self.any.len() >= CAPACITY {
            if self.position.is_some() {
                return;
            }
            self.hard.clear();
            self.any.clear();
            self.kinds = [0; 4];
        }
        self.record(scope, which, stamp, now);
    }

    /// Records a stamp a feed reported (never dropped for capacity).
    pub fn record(&mut self, scope: &Scope, which: Which, stamp: Option<&str>, now: Millis) {
        let map = match which {
            Which::Hard => &mut self.hard,
            Which::Any => &mut self.any,
        };
        match map.get_mut(scope) {
            Some(seen) => {
                seen.stamp = stamp.map(str::to_owned);
                seen.at = now;
            }
            None => {
                map.insert(scope.clone(), Seen { stamp: stamp.map(str::to_owned), at: now });
                self.kinds[kind_of(scope)] += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_only_within_the_interval_and_per_stamp() {
        let mut memo = StampMemo::default();
        let tag = Scope::Tag("a".into());
        memo.put(&tag, Which::Hard, Some("h1"), 1_000, true);
        assert_eq!(memo.get(&tag, Which::Hard, 1_999, 1_000), Some(Some("h1")));
        assert_eq!(memo.get(&tag, Which::Hard, 2_000, 1_000), None, "expired at the interval");
        assert_eq!(memo.get(&tag, Which::Any, 1_000, 1_000), None, "the other stamp was never seen");
        memo.put(&tag, Which::Any, None, 1_500, true);
        assert_eq!(memo.get(&tag, Which::Any, 1_600, 1_000), Some(None), "absence is remembered too");
        memo.put(&tag, Which::Hard, Some("h2"), 1_600, true);
        assert_eq!(memo.get(&tag, Which::Hard, 1_700, 1_000), Some(Some("h2")));
        assert_eq!(memo.get(&Scope::Tag("b".into()), Which::Hard, 1_700, 1_000), None);
        assert_eq!(memo.latest(&tag, Which::Hard), Some("h2"));
        assert_eq!(memo.latest(&tag, Which::Any), None);
        assert_eq!(memo.latest(&Scope::Tag("b".into()), Which::Hard), None);
    }
}
