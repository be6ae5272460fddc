//! Counters of what the cache did, cheap enough for every call.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Fresh hits.
    pub hits: u64,
    /// Stale values returned (by `get`, or by `get_or_set` when loading failed).
    pub stale_hits: u64,
    /// Lookups that found nothing servable.
    pub misses: u64,
    /// Loader calls.
    pub loads: u64,
    /// `get_or_set` calls that waited for another call's load instead of loading.
    pub coalesced: u64,
    /// Invalidations applied.
    pub invalidations: u64,
    /// Stored values that failed to decode.
    pub corrupt: u64,
    /// Store operations that failed.
    pub store_errors: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters([AtomicU64; 8]);

#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Hit,
    StaleHit,
    Miss,
    Load,
    Coalesced,
    Invalidation,
    Corrupt,
    StoreError,
}

impl Counters {
    pub(crate) fn bump(&self, counter: Counter) {
        self.0[counter as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: Counter| self.0[c as usize].load(Ordering::Relaxed);
        Stats {
            hits: get(Counter::Hit),
            stale_hits: get(Counter::StaleHit),
            misses: get(Counter::Miss),
            loads: get(Counter::Load),
            coalesced: get(Counter::Coalesced),
            invalidations: get(Counter::Invalidation),
            corrupt: get(Counter::Corrupt),
            store_errors: get(Counter::StoreError),
        }
    }
}
