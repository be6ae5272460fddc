//! The core's hash maps (a leaf, below the modules that use it).

/// The core's hash maps hash with the memory store's hasher (foldhash): one hasher in the wasm,
/// and faster than SipHash on the short keys they hold. Their keys are bounded in number
/// (in-flight loads, memoised stamps, recent purge ids), so flooding one costs its owner little.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, lru::DefaultHasher>;
