//! The pure core: decides everything, performs I/O only through [`KvStore`], reads time only
//! through [`Clock`]. Compiled and tested natively and for `wasm32-unknown-unknown`.

mod cache;
mod clock;
mod codec;
mod entry;
mod error;
mod freshness;
mod hash_map;
pub mod http;
mod keys;
pub mod purge;
mod random;
mod stamp;
mod store;

pub use cache::{
    check_generation, check_namespace, defaults, Applied, Cache, CacheBuilder, Change, FeedPage, Fetched, Hit,
    Invalidation, Limits, Loaded, LogPage, LogRecord, Lookup, MissReason, Mode, SetOptions, Source, StampSource, Stats,
    SweepProgress, TaggedPage,
};
pub use clock::{duration_ms, Clock, ManualClock, Millis};
pub use entry::{DecodeError, EntryMeta};
pub use error::{BuildError, CacheError, LoadError, LoadErrorKind};
pub use freshness::{StaleReason, StaleUse};
pub use keys::{escape, KeySpace, Scope};
pub use random::SplitMix64;
/// For stores outside the core (the npm front's JS `Map` store) that page a sorted listing.
#[cfg(feature = "js")]
pub(crate) use store::page_of;
pub use store::{
    KvStore, KvTtl, ListOptions, ListPage, MemoryStore, Mirrored, PutOptions, StoreError, Tiered, MAX_KEY_BYTES,
    MAX_LIST_LIMIT, MIN_TTL_SECS,
};
#[cfg(any(test, feature = "testing"))]
pub use store::{SimulatedKv, StoreOp};
