//! Stores for the npm package: the in-wasm bounded memory store, and an adapter over any JS
//! object shaped like Workers KV (a KV binding in a JS worker, your own store) or a `Map`.

use bytes::Bytes;
use js_sys::{Array, Map, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::core::{page_of, KvStore, ListOptions, ListPage, MemoryStore, PutOptions, StoreError};
use crate::platform::JsClock;

/// The store behind an `EdgeCache`.
pub enum AnyStore {
    /// In-wasm memory, bounded in bytes.
    Memory(MemoryStore),
    /// A JS object with async `get` / `put` / `delete` / `list` like Workers KV.
    Kv(JsValue),
    /// A JS `Map` (TTL kept by the adapter).
    Map(Map),
}

fn failed(e: JsValue) -> StoreError {
    StoreError::Unavailable(
        e.as_string()
            .or_else(|| Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()))
            .unwrap_or_else(|| format!("{e:?}")),
    )
}

async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, StoreError> {
    let function = Reflect::get(target, &method.into()).map_err(failed)?;
    let function: js_sys::Function =
        function.dyn_into().map_err(|_| StoreError::Rejected(format!("the store has no {method}() method")))?;
    let result = function.apply(target, &args.iter().collect::<Array>()).map_err(failed)?;
    JsFuture::from(Promise::resolve(&result)).await.map_err(failed)
}

fn to_bytes(value: &JsValue) -> Option<Bytes> {
    if value.is_null() || value.is_undefined() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(Bytes::from(text));
    }
    if value.is_instance_of::<js_sys::ArrayBuffer>() || value.is_instance_of::<Uint8Array>() {
        return Some(Bytes::from(Uint8Array::new(value).to_vec()));
    }
    None
}

fn now() -> f64 {
    js_sys::Date::now()
}

impl KvStore for AnyStore {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        match self {
            Self::Memory(m) => m.get(key).await,
            Self::Kv(kv) => {
                let options = Object::new();
                Reflect::set(&options, &"type".into(), &"arrayBuffer".into()).map_err(failed)?;
                Ok(to_bytes(&call(kv, "get", &[key.into(), options.into()]).await?))
            }
            Self::Map(map) => {
                let slot = map.get(&key.into());
                let Some(slot) = slot.dyn_ref::<Array>() else { return Ok(None) };
                if slot.get(1).as_f64().is_some_and(|expires| expires <= now()) {
                    map.delete(&key.into());
                    return Ok(None);
                }
                Ok(to_bytes(&slot.get(0)))
            }
        }
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<(), StoreError> {
        match self {
            Self::Memory(m) => m.put(key, value, options).await,
            Self::Kv(kv) => {
                let init = Object::new();
                Reflect::set(&init, &"expirationTtl".into(), &f64::from(options.ttl.secs()).into()).map_err(failed)?;
                call(kv, "put", &[key.into(), Uint8Array::from(&value[..]).into(), init.into()]).await.map(|_| ())
            }
            Self::Map(map) => {
                let expires = now() + options.ttl.millis() as f64;
                map.set(&key.into(), &Array::of2(&Uint8Array::from(&value[..]), &expires.into()));
                Ok(())
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Self::Memory(m) => m.delete(key).await,
            Self::Kv(kv) => call(kv, "delete", &[key.into()]).await.map(|_| ()),
            Self::Map(map) => {
                map.delete(&key.into());
                Ok(())
            }
        }
    }

    async fn list(&self, options: ListOptions) -> Result<ListPage, StoreError> {
        match self {
            Self::Memory(m) => m.list(options).await,
            Self::Kv(kv) => {
                let request = Object::new();
                Reflect::set(&request, &"prefix".into(), &options.prefix.as_str().into()).map_err(failed)?;
                Reflect::set(&request, &"limit".into(), &(options.effective_limit() as f64).into()).map_err(failed)?;
                if let Some(cursor) = &options.cursor {
                    Reflect::set(&request, &"cursor".into(), &cursor.as_str().into()).map_err(failed)?;
                }
                let page = call(kv, "list", &[request.into()]).await?;
                let keys: Array = Reflect::get(&page, &"keys".into())
                    .map_err(failed)?
                    .dyn_into()
                    .map_err(|_| StoreError::Rejected("list() returned no keys array".into()))?;
                let keys = keys.iter().filter_map(|k| Reflect::get(&k, &"name".into()).ok()?.as_string()).collect();
                let complete =
                    Reflect::get(&page, &"list_complete".into()).ok().and_then(|c| c.as_bool()).unwrap_or(true);
                let cursor =
                    Reflect::get(&page, &"cursor".into()).ok().and_then(|c| c.as_string()).filter(|_| !complete);
                Ok(ListPage { keys, cursor })
            }
            Self::Map(map) => {
                // `Arc<str>`, as the memory store keeps its names: one sort in the wasm, not two.
                let mut names: Vec<std::sync::Arc<str>> = map
                    .keys()
                    .into_iter()
                    .filter_map(|k| k.ok()?.as_string())
                    .filter(|k| k.starts_with(&options.prefix))
                    .map(std::sync::Arc::from)
                    .collect();
                names.sort_unstable();
                let from = options.start_in(&names);
                Ok(page_of(names[from..].iter().map(|name| &**name), &options))
            }
        }
    }
}

/// The memory store with `max_bytes`.
pub fn memory(max_bytes: usize) -> AnyStore {
    AnyStore::Memory(MemoryStore::bounded(JsClock, max_bytes))
}
