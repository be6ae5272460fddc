//! [`KvStore`] over a Workers KV binding.

use bytes::Bytes;

use crate::core::{KvStore, ListOptions, ListPage, PutOptions, StoreError};

/// A Workers KV namespace as a [`KvStore`].
#[derive(Debug)]
pub struct WorkerKv(pub worker::kv::KvStore);

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Workers KV's bulk read takes at most 100 keys.
const BULK_MAX: usize = 100;

impl KvStore for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        Ok(self.0.get(key).bytes().await.map_err(unavailable)?.map(Bytes::from))
    }

    /// Uses KV's bulk read (one operation per 100 keys) as text: the core reads only text values
    /// this way (stamps, log records). Falls back to single reads if bulk reads fail.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BULK_MAX) {
            match self.0.get_bulk(chunk).text().await {
                Ok(mut map) => out.extend(chunk.iter().map(|k| map.remove(k).flatten().map(Bytes::from))),
                Err(_) => {
                    let reads = chunk.iter().map(|k| self.get(k));
                    for value in futures_util::future::join_all(reads).await {
                        out.push(value?);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        self.0
            .put_bytes(key, &value)
            .map_err(unavailable)?
            .expiration_ttl(u64::from(options.ttl.secs()))
            .execute()
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(unavailable)
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        let mut list = self.0.list().prefix(options.prefix.clone()).limit(options.effective_limit() as u64);
        if let Some(cursor) = options.cursor {
            list = list.cursor(cursor);
        }
        let page = list.execute().await.map_err(unavailable)?;
        let keys = page.keys.into_iter().map(|k| k.name).collect();
        Ok(ListPage { keys, cursor: if page.list_complete { None } else { page.cursor } })
    }
}
