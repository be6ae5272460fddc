//! The system clock of native builds (the wasm fronts use `JsClock`).

use crate::core::{Clock, Millis};

/// The system clock, for native users of the core (the CLI, servers, tests against real time).
///
/// ```
/// use edgecache::core::Clock;
/// use edgecache::platform::SystemClock;
/// assert!(SystemClock.now_ms() > 1_600_000_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, crate::core::duration_ms)
    }
}
