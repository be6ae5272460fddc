//! Whether a stored entry may be served, decided from its own timestamps and `now`. The HTTP
//! fields that produce those timestamps (Cache-Control, CDN-Cache-Control, Surrogate-Control,
//! Expires, Age) are read by `core::http::policy`.

use crate::core::clock::Millis;
use crate::core::entry::EntryMeta;

/// Why a returned value is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StaleReason {
    /// Its time to live has passed.
    Expired,
    /// A soft invalidation covered it.
    SoftInvalidated,
}

/// How a stale value may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StaleUse {
    /// Serve it and refresh in the background (inside its stale-while-revalidate window).
    WhileRevalidating,
    /// Serve it only if loading a fresh value fails (inside its stale-if-error window).
    OnErrorOnly,
}

/// The decision for one entry at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Serve it.
    Fresh,
    /// Past freshness but inside a stale window.
    Stale(StaleReason, StaleUse),
    /// Not servable at all.
    Unusable,
}

/// Judges `meta` at `now`. Freshness ends at `fresh_until` exactly (or at once, when a soft
/// invalidation covers the entry); the stale windows always end where the entry's own times put
/// them, so a soft purge never lengthens an entry's life.
#[must_use]
pub(crate) fn judge(meta: &EntryMeta, now: Millis, soft_invalidated: bool) -> Freshness {
    if !soft_invalidated && now < meta.fresh_until {
        return Freshness::Fresh;
    }
    let reason = if soft_invalidated { StaleReason::SoftInvalidated } else { StaleReason::Expired };
    let within = |window: u64| window > 0 && now < meta.fresh_until.saturating_add(window);
    if within(meta.stale_while_revalidate_ms) {
        Freshness::Stale(reason, StaleUse::WhileRevalidating)
    } else if within(meta.stale_if_error_ms) {
        Freshness::Stale(reason, StaleUse::OnErrorOnly)
    } else {
        Freshness::Unusable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_windows_follow_freshness() {
        let meta = EntryMeta { fresh_until: 1_000, stale_while_revalidate_ms: 500, ..EntryMeta::default() };
        assert_eq!(judge(&meta, 999, false), Freshness::Fresh);
        assert_eq!(judge(&meta, 1_000, false), Freshness::Stale(StaleReason::Expired, StaleUse::WhileRevalidating));
        assert_eq!(judge(&meta, 1_500, false), Freshness::Unusable);
    }

    fn meta(swr: u64, sie: u64) -> EntryMeta {
        EntryMeta {
            fresh_until: 10_000,
            stale_while_revalidate_ms: swr,
            stale_if_error_ms: sie,
            ..EntryMeta::default()
        }
    }

    #[test]
    fn windows_end_exactly() {
        let m = meta(1_000, 5_000);
        assert_eq!(judge(&m, 9_999, false), Freshness::Fresh);
        assert_eq!(judge(&m, 10_999, false), Freshness::Stale(StaleReason::Expired, StaleUse::WhileRevalidating));
        assert_eq!(judge(&m, 11_000, false), Freshness::Stale(StaleReason::Expired, StaleUse::OnErrorOnly));
        assert_eq!(judge(&m, 14_999, false), Freshness::Stale(StaleReason::Expired, StaleUse::OnErrorOnly));
        assert_eq!(judge(&m, 15_000, false), Freshness::Unusable);
    }

    #[test]
    fn soft_invalidation_ends_freshness_but_not_the_windows() {
        let m = meta(1_000, 0);
        assert_eq!(judge(&m, 0, true), Freshness::Stale(StaleReason::SoftInvalidated, StaleUse::WhileRevalidating));
        assert_eq!(judge(&m, 11_000, true), Freshness::Unusable);
        // Without stale windows a soft invalidation is as good as a hard one.
        assert_eq!(judge(&meta(0, 0), 0, true), Freshness::Unusable);
    }
}
