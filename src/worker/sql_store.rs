//! [`KvStore`] over a Durable Object's SQLite storage: the purge authority's stamps, feed, log
//! and replay set. One table of keys, values and expiry times; SQLite runs in the object's own
//! thread, so every call completes at once and purges applied in turn never interleave.

use bytes::Bytes;
use worker::{SqlStorage, SqlStorageValue};

use crate::core::{Clock, KvStore, ListOptions, ListPage, PutOptions, StoreError};
use crate::platform::JsClock;

/// A Durable Object's SQL storage as a [`KvStore`] (values expire like Workers KV's).
#[derive(Debug, Clone)]
pub struct SqlStore(SqlStorage);

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("durable object storage: {e}"))
}

/// JS numbers hold integers exactly up to 2^53: expiry times are clamped there.
const MAX_SAFE: u64 = (1 << 53) - 1;

fn int(n: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(n.min(MAX_SAFE) as i64)
}

impl SqlStore {
    /// The store in `sql`, creating its table on first use.
    pub fn open(sql: SqlStorage) -> worker::Result<Self> {
        sql.exec(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires INTEGER NOT NULL)",
            None,
        )?;
        Ok(Self(sql))
    }

    /// Deletes what has expired (reads never return it; this reclaims the space).
    pub fn expire(&self) -> Result<(), StoreError> {
        self.0.exec("DELETE FROM kv WHERE expires <= ?", vec![int(JsClock.now_ms())]).map(drop).map_err(failed)
    }

    fn rows(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<Vec<Vec<SqlStorageValue>>, StoreError> {
        let cursor = self.0.exec(query, bindings).map_err(failed)?;
        cursor.raw().collect::<Result<Vec<_>, _>>().map_err(failed)
    }
}

impl KvStore for SqlStore {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let rows =
            self.rows("SELECT value FROM kv WHERE key = ? AND expires > ?", vec![key.into(), int(JsClock.now_ms())])?;
        Ok(rows.into_iter().next().and_then(|row| match row.into_iter().next() {
            Some(SqlStorageValue::Blob(bytes)) => Some(Bytes::from(bytes)),
            Some(SqlStorageValue::String(text)) => Some(Bytes::from(text)),
            _ => None,
        }))
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        let expires = JsClock.now_ms().saturating_add(options.ttl.millis());
        self.0
            .exec(
                "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                vec![key.into(), value.to_vec().into(), int(expires)],
            )
            .map(drop)
            .map_err(failed)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.exec("DELETE FROM kv WHERE key = ?", vec![key.into()]).map(drop).map_err(failed)
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        let limit = options.effective_limit();
        let (op, from) = match &options.cursor {
            Some(after) => (">", after.clone()),
            None => (">=", options.prefix.clone()),
        };
        let query = format!(
            "SELECT key FROM kv WHERE key {op} ? AND substr(key, 1, ?) = ? AND expires > ? ORDER BY key LIMIT ?"
        );
        let bindings = vec![
            from.into(),
            int(options.prefix.chars().count() as u64),
            options.prefix.as_str().into(),
            int(JsClock.now_ms()),
            int(limit as u64 + 1),
        ];
        let mut keys: Vec<String> = self
            .rows(&query, bindings)?
            .into_iter()
            .filter_map(|row| match row.into_iter().next() {
                Some(SqlStorageValue::String(name)) => Some(name),
                _ => None,
            })
            .collect();
        let more = keys.len() > limit;
        keys.truncate(limit);
        let cursor = if more { keys.last().cloned() } else { None };
        Ok(ListPage { keys, cursor })
    }
}
