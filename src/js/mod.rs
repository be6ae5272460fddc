//! The npm package front (feature `js`, built with wasm-pack): `EdgeCache` for browsers, Node and
//! JS workers over the same core as the edge, plus `signPurge` / `verifyPurge`.

mod error;
mod follow;
mod inner;
mod near;
mod options;
mod purge;
mod store;
mod types;
mod value;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::defaults::POLL_INTERVAL;
use crate::core::{
    CacheBuilder, CacheError, Fetched, Hit, Invalidation, LoadError, Loaded, Lookup, Mode, SetOptions, Source,
    StaleReason, StaleUse, StampSource,
};
// Every call's Promise: settled at once when the call finished synchronously.
use crate::platform::promise::settled_or_spawned as promise;
use crate::platform::timer::sleep;
use crate::platform::{random_seed, JsClock};
use error::{cache_error, error};
use inner::Inner;
use near::{entry_object, Memo, Origin, Shown};
use options::{loader_context, shown, Fields, Options};
use store::AnyStore;

pub use follow::FollowHandle;

#[wasm_bindgen(module = "/src/js/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = indexedDbStore)]
    fn idb_store(name: &str) -> JsValue;
}

/// A browser store in IndexedDB (database `edgecache-{name}`), shaped like Workers KV: pass it
/// as `store` and cached values survive reloads.
#[wasm_bindgen(js_name = indexedDbStore, unchecked_return_type = "StoreOption")]
pub fn indexed_db_store(name: &str) -> Result<JsValue, JsValue> {
    if Reflect::get(&js_sys::global(), &"indexedDB".into()).map_or(true, |v| v.is_undefined()) {
        return Err(error("unsupported", "IndexedDB is not available here (a browser is needed)"));
    }
    Ok(idb_store(name))
}
pub use purge::{sign_purge, verify_purge};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Where an EdgeCache keeps its data: "memory" (default), a Map, or any object with async
 * get/put/delete/list shaped like Workers KV (a KV binding in a JS worker, your own store).
 * Your own store must keep each value until its `expirationTtl`: one that drops values early to
 * make room could bring purged values back. */
export type StoreOption = "memory" | Map<string, unknown> | {
  get(key: string, options?: { type: "arrayBuffer" }): Promise<ArrayBuffer | Uint8Array | string | null> | ArrayBuffer | Uint8Array | string | null;
  put(key: string, value: Uint8Array, options: { expirationTtl: number }): Promise<void> | void;
  delete(key: string): Promise<void> | void;
  list(options: { prefix: string; cursor?: string; limit: number }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
};
/** A duration: a number of milliseconds, or a number and a unit: "250ms", "30s", "5m", "1.5h", "7d". */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;
export type Value = string | Uint8Array | unknown;
/** What a getOrSet loader receives: what it learns while loading decides how the value is kept. */
export interface LoaderContext {
  /** How long this value is fresh, overriding the call's ttl. */
  ttl?: Duration;
  /** Tags this value carries besides the call's (pushed while loading). */
  tags: string[];
  /** Answer this value without storing it (nor sharing it with concurrent callers). */
  skip(): void;
}
export interface EdgeCache {
  /** The value at `key` (fresh, or stale but still servable), or `undefined`. */
  get<T = Value>(key: string, options?: GetOptions): Promise<T | undefined>;
  /** The entry at `key` with what is known of it (status, why stale, tags, version, times), or `undefined`. */
  getEntry<T = Value>(key: string, options?: GetOptions): Promise<Entry<T> | undefined>;
  /** The fresh value at `key`, or the loader's, stored. Concurrent calls for one key make one
   * load; a purge during the load keeps its value out. Inside staleWhileRevalidate (or after a
   * soft purge) the stale value answers at once and the loader refreshes it in the background;
   * inside staleIfError it stands in when the loader fails. */
  getOrSet<T = Value>(key: string, loader: (context: LoaderContext) => T | Promise<T>, options?: SetOptions): Promise<Fetched<T>>;
}
export interface Entry<T = Value> {
  value: T;
  status: "fresh" | "stale";
  /** Why it is stale. */
  staleReason?: "expired" | "soft_invalidated";
  /** Whether a stale value may be served while refreshing (else only when loading fails). */
  serveWhileRevalidating?: boolean;
  tags: string[];
  version: number;
  storedAt: number;
  freshUntil: number;
}
export interface Fetched<T = Value> extends Omit<Entry<T>, "serveWhileRevalidating"> {
  /** cached: a fresh hit; loaded: this call ran the loader; coalesced: it waited for another
   * call's load; stale: a stale value answered (status "stale"), either at once while the
   * loader refreshes it in the background (inside staleWhileRevalidate, or after a soft purge)
   * or because the loader failed (inside staleIfError). */
  source: "cached" | "loaded" | "coalesced" | "stale";
  /** Why a loaded value was not stored, if it was not. */
  notStored?: string;
}
/** Every error the package throws or rejects with; branch on `code`. A loader's own error is
 * its `cause` (code "load_failed"). */
export declare class EdgeCacheError extends Error {
  readonly name: "EdgeCacheError";
  readonly code: string;
  readonly cause?: unknown;
}
"#;

/// The core's `SetOptions` from a JS set/getOrSet options object.
fn set_options(value: &JsValue, what: &'static str) -> Result<SetOptions, JsValue> {
    let fields = types::SetOptions::read(value, what)?;
    let mut options = SetOptions::new().tags(fields.tags).version(fields.version);
    if let Some(ttl) = fields.ttl {
        options = options.ttl(ttl);
    }
    if let Some(w) = fields.stale_while_revalidate {
        options = options.stale_while_revalidate(w);
    }
    if let Some(w) = fields.stale_if_error {
        options = options.stale_if_error(w);
    }
    Ok(options)
}

/// A cache with TTLs, tags, versions and fenced single-flight loads, over a pluggable store.
#[wasm_bindgen]
pub struct EdgeCache {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl EdgeCache {
    /// A cache; throws `EdgeCacheError` with code `invalid_option` on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EdgeCacheOptions")] options: JsValue,
    ) -> Result<EdgeCache, JsValue> {
        let options = types::EdgeCacheOptions::read(&options)?;
        let store = options.store;
        let max_bytes = match options.max_bytes {
            None => 16 << 20,
            Some(b) if (1024.0..=4_294_967_295.0).contains(&b) => b as usize,
            Some(b) => {
                return Err(error("invalid_option", format!("maxBytes must be from 1024 to 2^32-1, not {}", shown(b))))
            }
        };
        let in_memory = store.is_undefined() || store.as_string().as_deref() == Some("memory");
        let store = if in_memory {
            store::memory(max_bytes)
        } else if let Some(map) = store.dyn_ref::<js_sys::Map>() {
            AnyStore::Map(map.clone())
        } else if store.is_object() {
            AnyStore::Kv(store)
        } else {
            return Err(error("invalid_option", "store must be \"memory\", a Map, or a Workers-KV-like object"));
        };
        let mut builder = CacheBuilder::new(store, JsClock)
            .seed(random_seed())
            // Safe in JS workers too: a waiter is never woken from another request's context.
            .wait_by_polling(
                |ms| {
                    Box::pin(async move {
                        let _ = sleep(ms).await;
                    })
                },
                POLL_INTERVAL,
                Duration::from_secs(30),
            );
        if let Some(ns) = options.namespace {
            builder = builder.namespace(ns);
        }
        if let Some(ttl) = options.default_ttl {
            builder = builder.default_ttl(ttl);
        }
        if let Some(w) = options.stale_while_revalidate {
            builder = builder.default_stale_while_revalidate(w);
        }
        if let Some(w) = options.stale_if_error {
            builder = builder.default_stale_if_error(w);
        }
        if let Some(memo) = options.stamp_memo {
            builder = builder.stamp_memo(memo);
        }
        if in_memory {
            // Nothing sweeps a private memory store (its LRU reclaims): no index writes. And
            // nobody else writes it: every stamp is one this cache wrote and keeps.
            builder = builder.tag_index(false).stamp_source(StampSource::SoleWriter);
        }
        let cache = builder.build().map_err(|e| error("invalid_option", e))?;
        let near = in_memory.then(|| Memo::for_memory_store(max_bytes));
        Ok(EdgeCache { inner: Rc::new(Inner { cache, near, scratch: RefCell::default() }) })
    }

    /// The value at `key` (fresh, or stale but still servable), or `undefined`.
    // Declared generically in the TypeScript section (`interface EdgeCache`).
    #[wasm_bindgen(skip_typescript)]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "GetOptions")] options: Option<Object>,
    ) -> Promise {
        self.lookup(key, options, false)
    }

    /// The entry at `key` with what is known of it (status, why stale, tags, version, times),
    /// or `undefined`.
    #[wasm_bindgen(js_name = getEntry, skip_typescript)]
    pub fn get_entry(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "GetOptions")] options: Option<Object>,
    ) -> Promise {
        self.lookup(key, options, true)
    }

    /// Stores `value` (a string, `Uint8Array` or JSON-serialisable value).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SetOptions")] options: JsValue,
    ) -> Promise {
        // Once, before: the memo exists only over the memory store, where a set finishes in
        // this call, so no lookup can remember the old value after it.
        self.inner.forget_value(&key);
        let inner = self.inner.clone();
        promise(async move {
            let pair = value::encode_pair(&key, &value, &mut inner.scratch.borrow_mut());
            let (text, bytes) = match pair {
                Some((text, bytes)) => (text, Some(bytes)),
                None => (key.as_string().ok_or_else(|| error("invalid_key", "keys must be strings"))?, None),
            };
            let options = set_options(&options, "set options")?;
            let bytes = match bytes {
                Some(bytes) => bytes,
                None => value::encode(&value)?,
            };
            inner.cache.set(&text, bytes, options).await.map_err(|e| cache_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The fresh value at `key`, or `loader()`'s (awaited), stored. Concurrent calls for one key
    /// make one load; a purge during the load leaves the stored value invalid. A stale value
    /// inside its stale-while-revalidate window is answered at once and refreshed in the
    /// background; one inside stale-if-error stands in when the loader fails.
    #[wasm_bindgen(js_name = getOrSet, skip_typescript)]
    pub fn get_or_set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] js_key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(context: LoaderContext) => Value | Promise<Value>")] loader: Function,
        #[wasm_bindgen(unchecked_param_type = "SetOptions")] options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let key = js_key.as_string().ok_or_else(|| error("invalid_key", "keys must be strings"))?;
            let options = set_options(&options, "getOrSet options")?;
            let outcome: Outcome = Rc::default();
            let fetched =
                inner.cache.get_or_stale(&key, options.clone(), js_loader(loader.clone(), outcome.clone())).await;
            if !matches!(fetched, Ok(Fetched { source: Source::Cached, .. })) {
                inner.forget_value(&js_key);
            }
            let outcome = outcome.borrow_mut().take();
            let Fetched { hit, source } = match fetched {
                Ok(fetched) => fetched,
                Err(e) => {
                    return Err(match outcome {
                        Some(Err(cause)) if matches!(e, CacheError::Load(_)) => {
                            error::with_cause(&cache_error(&e), &cause)
                        }
                        _ => cache_error(&e),
                    })
                }
            };
            let (source, not_stored) = match source {
                Source::StaleWhileRevalidating(reason) => {
                    // Answered now; refreshed on the calls' own task type (a second one would
                    // cost wasm size). A failed refresh leaves the stale value for the next call.
                    let refresh = inner.clone();
                    let found = hit.meta.clone();
                    let _ = promise(async move {
                        let _ = refresh
                            .cache
                            .load(&key, options, Some(&found), js_loader(loader, Outcome::default()))
                            .await;
                        refresh.forget_value(&js_key);
                        Ok(JsValue::UNDEFINED)
                    });
                    return stale_object(&hit, reason);
                }
                Source::StaleOnError(reason) => return stale_object(&hit, reason),
                Source::Coalesced => (Origin::Coalesced, None),
                Source::Loaded { not_stored } => {
                    // The loader's own value: nothing to decode.
                    let given = outcome.and_then(Result::ok);
                    return fetched_object(&hit, given, Origin::Loaded, not_stored.map(|e| e.to_string()));
                }
                _ => (Origin::Cached, None),
            };
            fetched_object(&hit, None, source, not_stored)
        })
    }

    /// Removes `key`; resolves to whether a value was there. A key with a value (or a load under
    /// way) is invalidated, so a load racing the delete is never stored; one with neither costs
    /// no write.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn delete(&self, key: String) -> Promise {
        // Looked up through `get` (one lookup path in the wasm), then removed by the core.
        let found = JsFuture::from(self.lookup(key.clone().into(), None, false));
        let inner = self.inner.clone();
        promise(async move {
            let present = !found.await?.is_undefined();
            inner.forget(&key);
            let deleted = inner.cache.delete_found(&key, present).await;
            inner.forget(&key);
            deleted.map_err(|e| cache_error(&e))?;
            Ok(present.into())
        })
    }

    /// Whether `get(key)` would find a value (fresh, or stale but still servable).
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn has(&self, key: String) -> Promise {
        // Through `get` (its memo included): no second lookup path in the wasm.
        let value = JsFuture::from(self.lookup(key.into(), None, false));
        promise(async move { Ok((!value.await?.is_undefined()).into()) })
    }

    /// Removes everything (a hard invalidation of everything: two writes, whatever the size).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> Promise {
        // `invalidateAll`'s path (its resolved record is not part of the promise's type).
        self.invalidate(Invalidation::everything(), JsValue::UNDEFINED, None)
    }

    /// Invalidates every entry tagged `tag`; `{ soft: true }` keeps them servable as stale.
    #[wasm_bindgen(js_name = invalidateTag, unchecked_return_type = "Promise<Invalidated>")]
    pub fn invalidate_tag(
        &self,
        tag: String,
        #[wasm_bindgen(unchecked_param_type = "InvalidateOptions")] options: JsValue,
    ) -> Promise {
        self.invalidate(Invalidation::tag(tag), options, None)
    }

    /// Invalidates every version of `key`.
    #[wasm_bindgen(js_name = invalidateKey, unchecked_return_type = "Promise<Invalidated>")]
    pub fn invalidate_key(
        &self,
        key: String,
        #[wasm_bindgen(unchecked_param_type = "InvalidateOptions")] options: JsValue,
    ) -> Promise {
        self.invalidate(Invalidation::key(key.clone()), options, Some(key))
    }

    /// Invalidates every key under `prefix` (which must end in "/" or ":").
    #[wasm_bindgen(js_name = invalidatePrefix, unchecked_return_type = "Promise<Invalidated>")]
    pub fn invalidate_prefix(
        &self,
        prefix: String,
        #[wasm_bindgen(unchecked_param_type = "InvalidateOptions")] options: JsValue,
    ) -> Promise {
        self.invalidate(Invalidation::prefix(prefix), options, None)
    }

    /// Invalidates everything.
    #[wasm_bindgen(js_name = invalidateAll, unchecked_return_type = "Promise<Invalidated>")]
    pub fn invalidate_all(
        &self,
        #[wasm_bindgen(unchecked_param_type = "InvalidateOptions")] options: JsValue,
    ) -> Promise {
        self.invalidate(Invalidation::everything(), options, None)
    }

    /// Applies `request`; `key` when it concerns that key alone (the memo then keeps the rest).
    fn invalidate(&self, request: Invalidation, options: JsValue, key: Option<String>) -> Promise {
        self.inner.forget_scope(key.as_deref());
        let inner = self.inner.clone();
        promise(async move {
            let options = types::InvalidateOptions::read(&options)?;
            let request = request
                .mode_of(if options.soft { Mode::Soft } else { Mode::Hard })
                .by(options.by.unwrap_or_else(|| "js".into()));
            let applied = inner.cache.invalidate(request).await;
            inner.forget_scope(key.as_deref());
            let applied = applied.map_err(|e| cache_error(&e))?;
            types::to_js(&types::Invalidated {
                at: applied.record.at,
                writes: applied.writes as u64,
                logged: applied.logged,
            })
        })
    }

    /// Invalidates every version of `key` and returns its new managed version.
    #[wasm_bindgen(js_name = bumpVersion, unchecked_return_type = "Promise<number>")]
    pub fn bump_version(&self, key: String) -> Promise {
        self.inner.forget_all();
        let inner = self.inner.clone();
        promise(async move {
            let bumped = inner.cache.bump_version(&key).await;
            inner.forget_all();
            Ok((bumped.map_err(|e| cache_error(&e))? as f64).into())
        })
    }

    /// Counters of what this instance did.
    #[wasm_bindgen(unchecked_return_type = "Stats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let mut stats = types::Stats::from(self.inner.cache.stats());
        // Hits the memo answered never reached the core's counters.
        stats.hits += self.inner.near.as_ref().map_or(0, |near| near.hits() as u64);
        types::to_js(&stats)
    }

    /// A page of the invalidation log, newest first: `{ records, cursor }`, the cursor (when
    /// more remain) continuing from the next call's `{ cursor }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<LogPage>")]
    pub fn log(&self, #[wasm_bindgen(unchecked_param_type = "LogOptions")] options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let options = types::LogOptions::read(&options)?;
            let limit = match options.limit {
                None => 100,
                Some(n) if (1.0..=1000.0).contains(&n) && n.fract() == 0.0 => n as usize,
                Some(_) => {
                    return Err(error("invalid_option", "log options: `limit` must be a whole number from 1 to 1000"))
                }
            };
            let page = inner.cache.log(limit, options.cursor).await.map_err(|e| cache_error(&e))?;
            let records = page.records.iter().map(types::LogRecord::from).collect();
            types::to_js(&types::LogPage { records, cursor: page.cursor.as_deref() })
        })
    }

    /// Polls the edge's `GET /_edgecache/tags` every `interval` seconds and invalidates, here,
    /// the tags the origin purged there. Returns a handle with `stop()`.
    #[wasm_bindgen(js_name = followEdge)]
    pub fn follow_edge(
        &self,
        url: String,
        #[wasm_bindgen(unchecked_param_type = "FollowOptions")] options: JsValue,
    ) -> Result<FollowHandle, JsValue> {
        follow::start(self.inner.clone(), url, &options)
    }
}

impl EdgeCache {
    /// `get` (the value) and `getEntry` (the entry), one way: the memo's answer when it holds a
    /// fresh entry, else the core's.
    fn lookup(&self, key: JsValue, options: Option<Object>, entry: bool) -> Promise {
        // The hot path: a fresh entry the memo holds, answered without leaving JS again.
        let near = self.inner.near.as_ref().filter(|_| options.is_none());
        if let Some(near) = near {
            let hit = near.get(&key, entry);
            if !hit.is_undefined() {
                return hit.unchecked_into();
            }
        }
        let generation = near.map(Memo::generation);
        let inner = self.inner.clone();
        promise(async move {
            let version = types::GetOptions::read(&options.map_or(JsValue::UNDEFINED, JsValue::from))?.version;
            let text = key.as_string().ok_or_else(|| error("invalid_key", "keys must be strings"))?;
            // `look`, the lookup getOrSet's fill makes too: one copy of it in the wasm.
            let location = inner.cache.key_space().entry(&text, version);
            let (lookup, _) = inner.cache.look(&text, version, &location).await.map_err(|e| cache_error(&e))?;
            Ok(match lookup {
                Lookup::Fresh(hit) => match (&inner.near, generation) {
                    (Some(near), Some(generation)) => near::remember(near, generation, &key, &hit, entry)?,
                    _ if entry => entry_object(&hit, None, Shown::default())?,
                    _ => value::decode(&hit.value)?,
                },
                Lookup::Stale(hit, reason, usable) if entry => {
                    let serve = Some(usable == StaleUse::WhileRevalidating);
                    entry_object(&hit, None, Shown { stale: Some(reason), serve, ..Shown::default() })?
                }
                Lookup::Stale(hit, ..) => value::decode(&hit.value)?,
                Lookup::Miss(_) => JsValue::UNDEFINED,
            })
        })
    }
}

/// A `getOrSet` result: the entry, where it came from, and why it was not stored (if not).
fn fetched_object(
    hit: &Hit,
    value: Option<JsValue>,
    source: Origin,
    not_stored: Option<String>,
) -> Result<JsValue, JsValue> {
    entry_object(hit, value, Shown { source, not_stored, ..Shown::default() })
}

/// A `getOrSet` result answered with a stale value (while refreshing, or because loading failed).
fn stale_object(hit: &Hit, reason: StaleReason) -> Result<JsValue, JsValue> {
    entry_object(hit, None, Shown { stale: Some(reason), source: Origin::Stale, ..Shown::default() })
}

/// What a JS loader returned (`Ok`) or threw (`Err`), once it has.
type Outcome = Rc<RefCell<Option<Result<JsValue, JsValue>>>>;

/// The core's loader for a JS `loader`, called with a [`LoaderContext`]: its value (awaited if
/// it is a thenable) encoded, stored with what the context says (ttl, more tags, or not at all);
/// what it returned or threw kept in `outcome` (what it threw becomes the `cause` of the error
/// the caller sees).
fn js_loader(
    loader: Function,
    outcome: Outcome,
) -> impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Loaded, LoadError>>>> {
    move || {
        Box::pin(async move {
            let failed = |e: JsValue| {
                let error = LoadError::new(describe(&e));
                *outcome.borrow_mut() = Some(Err(e));
                error
            };
            let context = loader_context();
            let result = loader.call1(&JsValue::NULL, &context).map_err(failed)?;
            // A loader that returned its value outright costs no trip through the microtask
            // queue; a promise (or any thenable) is awaited.
            let value = if is_thenable(&result) {
                JsFuture::from(Promise::resolve(&result)).await.map_err(failed)?
            } else {
                result
            };
            *outcome.borrow_mut() = Some(Ok(value.clone()));
            let invalid = |e: JsValue| LoadError::new(describe(&e));
            let bytes = value::encode(&value).map_err(invalid)?;
            let learnt = Options::read(&context, "loader context", &CONTEXT_FIELDS).map_err(invalid)?;
            if learnt.boolean("skipped").map_err(invalid)? {
                return Ok(Loaded::uncacheable(bytes));
            }
            let mut options = SetOptions::new().tags(learnt.strings("tags").map_err(invalid)?);
            if let Some(ttl) = learnt.duration("ttl").map_err(invalid)? {
                options = options.ttl(ttl);
            }
            Ok(Loaded::new(bytes).with(options))
        })
    }
}

/// The fields of a loader's context (see `loaderContext`).
static CONTEXT_FIELDS: Fields = Fields::new(&["ttl", "tags", "skipped", "skip"]);

fn is_thenable(value: &JsValue) -> bool {
    value.is_instance_of::<Promise>()
        || (value.is_object() && Reflect::get(value, &"then".into()).is_ok_and(|then| then.is_function()))
}

fn describe(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "the loader threw".into())
}
