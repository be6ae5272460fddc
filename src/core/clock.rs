//! Time enters the core only through [`Clock`], so tests (and the model-based property test)
//! control it and the core never reads a platform clock (which panics on
//! `wasm32-unknown-unknown`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

/// `d` in whole milliseconds, saturating (durations beyond u64 milliseconds are "forever").
///
/// ```
/// use edgecache::core::duration_ms;
/// assert_eq!(duration_ms(std::time::Duration::from_secs(2)), 2_000);
/// ```
#[must_use]
pub fn duration_ms(d: std::time::Duration) -> Millis {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A source of the current time, supplied by the front (JS `Date.now()`, the system clock in
/// native code) or by a test.
///
/// ```
/// use edgecache::core::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// clock.advance(500);
/// assert_eq!(clock.now_ms(), 1_500);
/// ```
pub trait Clock {
    /// The current time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> Millis;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_ms(&self) -> Millis {
        (**self).now_ms()
    }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock reading `start_ms`.
    #[must_use]
    pub fn new(start_ms: Millis) -> Self {
        Self(Arc::new(AtomicU64::new(start_ms)))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: Millis) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `ms`.
    pub fn set(&self, ms: Millis) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}
