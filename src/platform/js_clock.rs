//! The platform clock of the wasm fronts: `Date.now()` (the core never reads a clock itself).

use std::sync::atomic::{AtomicU64, Ordering};

/// Outside a synchronous slice (see [`in_slice`]).
const OUTSIDE: u64 = u64::MAX;
/// Inside a slice: the time read in it plus one, 0 until read; else [`OUTSIDE`]. (An atomic
/// rather than a thread-local cell: the same on single-threaded wasm, and 600 bytes smaller.)
static SLICE: AtomicU64 = AtomicU64::new(OUTSIDE);

/// `Date.now()` as a [`Clock`](crate::core::Clock), read at most once per synchronous slice.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsClock;

impl crate::core::Clock for JsClock {
    fn now_ms(&self) -> u64 {
        match SLICE.load(Ordering::Relaxed) {
            OUTSIDE => js_sys::Date::now() as u64,
            0 => {
                let now = js_sys::Date::now() as u64;
                SLICE.store(now + 1, Ordering::Relaxed);
                now
            }
            read => read - 1,
        }
    }
}

/// Runs `f` as one synchronous slice of a call: [`JsClock`] reads the time once in it, as JS
/// code running to completion sees it (workerd itself advances `Date.now()` only across I/O).
/// A set costs one clock read instead of three; a loader that runs synchronously and long
/// makes the slice's later readings early, which only ever shortens a lifetime.
pub(crate) fn in_slice<R>(f: impl FnOnce() -> R) -> R {
    let outer = SLICE.swap(0, Ordering::Relaxed);
    let result = f();
    SLICE.store(outer, Ordering::Relaxed);
    result
}

/// A seed for the stamp generator from the platform's random source.
#[must_use]
pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64
}
