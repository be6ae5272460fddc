//! The one store type of the worker's caches and replay guards, in the isolates (Workers KV
//! under the in-isolate memory tier) and in the purge authority (its SQLite storage, stamps
//! mirrored to KV). One type means one copy of the core's generic code in the bundle: a second
//! store type for the authority cost ~60 KB gzipped of duplicated instantiations.

use bytes::Bytes;

use super::kv::WorkerKv;
use super::sql_store::SqlStore;
use crate::core::{KvStore, ListOptions, ListPage, Mirrored, PutOptions, StoreError, Tiered};

/// Where a worker cache keeps its data.
pub enum EdgeStore {
    /// An isolate's cache: entries in memory up to a budget, everything in Workers KV.
    Isolate(Tiered<WorkerKv>),
    /// Workers KV alone (an isolate's replay guard).
    Kv(WorkerKv),
    /// The purge authority's storage, stamps mirrored to Workers KV.
    Authority(Mirrored<SqlStore, WorkerKv>),
}

impl EdgeStore {
    /// Bytes of entries held in the isolate's memory.
    pub fn memory_bytes(&self) -> usize {
        match self {
            Self::Isolate(tiered) => tiered.memory_bytes(),
            _ => 0,
        }
    }
}

/// Calls `$call` on whichever store `$self` is.
macro_rules! each {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            EdgeStore::Isolate($store) => $call,
            EdgeStore::Kv($store) => $call,
            EdgeStore::Authority($store) => $call,
        }
    };
}

impl KvStore for EdgeStore {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        each!(self, s => s.get(key).await)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        each!(self, s => s.get_many(keys).await)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        each!(self, s => s.put(key, value, options).await)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        each!(self, s => s.delete(key).await)
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        each!(self, s => s.list(options).await)
    }
}
