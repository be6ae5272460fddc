//! The platform clock of the wasm fronts: `Date.now()` (the core never reads a clock itself).

/// `Date.now()` as a [`Clock`](crate::core::Clock).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsClock;

impl crate::core::Clock for JsClock {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
}

/// A seed for the stamp generator from the platform's random source.
#[must_use]
pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64
}
