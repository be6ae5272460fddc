//! What the fronts take from the platform they run on, in one place: the clock, a random seed,
//! timers and the Promise their calls return (wasm: `js_sys`), and the system clock (native).
//! The core reads none of these itself: it is handed a [`Clock`](crate::core::Clock).

#[cfg(any(feature = "worker", feature = "js"))]
mod js_clock;
#[cfg(any(feature = "worker", feature = "js"))]
pub use js_clock::{random_seed, JsClock};
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::SystemClock;
#[cfg(any(feature = "worker", feature = "js"))]
pub(crate) mod promise;
#[cfg(feature = "js")]
pub(crate) mod timer;
