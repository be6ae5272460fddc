//! The npm front's suite, run by `wasm-pack test --node` and `wasm-pack test --headless --chrome`
//! (the same tests in both: `WASM_BINDGEN_USE_BROWSER` selects the browser, see scripts/test.sh).
#![cfg(all(target_arch = "wasm32", feature = "js"))]

use std::cell::Cell;
use std::rc::Rc;

use edgecache::core::{CacheBuilder, Invalidation, Loaded, Lookup, MemoryStore, SetOptions, Source};
use edgecache::js::EdgeCache;
use edgecache::platform::JsClock;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

async fn resolve(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &name.into()).unwrap()
}

fn object(pairs: &[(&str, JsValue)]) -> Object {
    let out = Object::new();
    for (k, v) in pairs {
        Reflect::set(&out, &(*k).into(), v).unwrap();
    }
    out
}

#[wasm_bindgen_test]
async fn set_get_and_tag_invalidation_through_the_js_api() {
    let cache = EdgeCache::new(JsValue::UNDEFINED).unwrap();
    let tags = js_sys::Array::of1(&"articles".into());
    resolve(cache.set("k".into(), "v".into(), object(&[("tags", tags.into()), ("ttl", "1m".into())]).into()))
        .await
        .unwrap();
    let entry = resolve(cache.get_entry("k".into(), None)).await.unwrap();
    assert_eq!(field(&entry, "value").as_string().as_deref(), Some("v"));
    assert_eq!(field(&entry, "status").as_string().as_deref(), Some("fresh"));
    resolve(cache.invalidate_tag("articles".into(), JsValue::UNDEFINED)).await.unwrap();
    assert!(resolve(cache.get("k".into(), None)).await.unwrap().is_undefined());
}

#[wasm_bindgen_test]
async fn values_keep_their_kind() {
    let cache = EdgeCache::new(JsValue::UNDEFINED).unwrap();
    let bytes = js_sys::Uint8Array::from(&[1u8, 2, 3][..]);
    resolve(cache.set("b".into(), bytes.into(), JsValue::UNDEFINED)).await.unwrap();
    let json = js_sys::JSON::parse("{\"a\":[1,2]}").unwrap();
    resolve(cache.set("j".into(), json, JsValue::UNDEFINED)).await.unwrap();
    let b = resolve(cache.get("b".into(), None)).await.unwrap();
    assert_eq!(js_sys::Uint8Array::new(&b).to_vec(), vec![1, 2, 3]);
    let j = resolve(cache.get("j".into(), None)).await.unwrap();
    assert_eq!(js_sys::JSON::stringify(&j).unwrap().as_string().as_deref(), Some("{\"a\":[1,2]}"));
}

#[wasm_bindgen_test]
async fn a_map_store_works() {
    let map = js_sys::Map::new();
    let cache = EdgeCache::new(object(&[("store", map.clone().into())]).into()).unwrap();
    resolve(cache.set("k".into(), "v".into(), JsValue::UNDEFINED)).await.unwrap();
    assert!(map.size() > 0);
    assert_eq!(resolve(cache.get("k".into(), None)).await.unwrap().as_string().as_deref(), Some("v"));
}

#[wasm_bindgen_test]
async fn bad_options_reject_with_a_code() {
    let error = match EdgeCache::new(object(&[("nope", 1.into())]).into()) {
        Err(e) => e,
        Ok(_) => panic!("accepted an unknown option"),
    };
    assert_eq!(field(&error, "code").as_string().as_deref(), Some("invalid_option"));
    let cache = EdgeCache::new(JsValue::UNDEFINED).unwrap();
    let rejected = resolve(cache.set("k".into(), JsValue::UNDEFINED, JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(field(&rejected, "code").as_string().as_deref(), Some("invalid_value"));
}

#[wasm_bindgen_test]
async fn single_flight_and_fencing_in_wasm() {
    let cache = CacheBuilder::new(MemoryStore::new(JsClock), JsClock).build().unwrap();
    let loads = Rc::new(Cell::new(0));
    let (release, wait) = futures::channel::oneshot::channel::<()>();
    let wait = futures::future::FutureExt::shared(wait);
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let (loads, wait) = (loads.clone(), wait.clone());
            cache.get_or_set("k", SetOptions::new().tag("t"), move || async move {
                loads.set(loads.get() + 1);
                wait.await.ok();
                Ok(Loaded::new("v"))
            })
        })
        .collect();
    let purge_then_release = async {
        cache.invalidate(Invalidation::tag("t")).await.unwrap();
        release.send(()).unwrap();
    };
    let (results, ()) = futures::future::join(futures::future::join_all(callers), purge_then_release).await;
    assert_eq!(loads.get(), 1);
    assert_eq!(results.iter().filter(|r| r.as_ref().unwrap().source == Source::Coalesced).count(), 9);
    // The purge landed during the load: nothing valid was stored.
    assert!(matches!(cache.get("k").await.unwrap(), Lookup::Miss(_)));
}

#[wasm_bindgen(inline_js = r#"
export function kvLike() {
  const data = new Map();
  return {
    calls: [],
    async get(key) { this.calls.push("get"); return data.get(key) ?? null; },
    async put(key, value, options) { this.calls.push("put"); if (!(options.expirationTtl >= 60)) throw new Error("ttl"); data.set(key, value); },
    async delete(key) { this.calls.push("delete"); data.delete(key); },
    async list({ prefix, cursor, limit }) {
      this.calls.push("list");
      const all = [...data.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = cursor ? Number(cursor) : 0;
      const keys = all.slice(start, start + (limit ?? 1000));
      const done = start + keys.length >= all.length;
      return { keys: keys.map((name) => ({ name })), list_complete: done, cursor: done ? undefined : String(start + keys.length) };
    },
  };
}
export function hasIndexedDb() { return typeof indexedDB !== "undefined"; }
export function throwingStore() {
  const fail = () => { throw new Error("store down"); };
  return { get: fail, put: fail, delete: fail, list: fail };
}
export function contextLoader() {
  return (ctx) => { ctx.ttl = "2m"; ctx.tags.push("learnt"); return { loaded: true }; };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = kvLike)]
    fn kv_like() -> JsValue;
    #[wasm_bindgen(js_name = hasIndexedDb)]
    fn has_indexed_db() -> bool;
    #[wasm_bindgen(js_name = throwingStore)]
    fn throwing_store() -> JsValue;
    #[wasm_bindgen(js_name = contextLoader)]
    fn context_loader() -> js_sys::Function;
}

#[wasm_bindgen_test]
async fn a_workers_kv_shaped_store_works() {
    let kv = kv_like();
    let cache = EdgeCache::new(object(&[("store", kv.clone())]).into()).unwrap();
    let tags = js_sys::Array::of1(&"t".into());
    resolve(cache.set("k".into(), "v".into(), object(&[("tags", tags.into())]).into())).await.unwrap();
    assert_eq!(resolve(cache.get("k".into(), None)).await.unwrap().as_string().as_deref(), Some("v"));
    resolve(cache.invalidate_tag("t".into(), JsValue::UNDEFINED)).await.unwrap();
    assert!(resolve(cache.get("k".into(), None)).await.unwrap().is_undefined());
    let calls = js_sys::Array::from(&field(&kv, "calls"));
    assert!(calls.includes(&"put".into(), 0) && calls.includes(&"get".into(), 0));
}

/// In a browser, IndexedDB round-trips; where there is none (Node), asking for it is a typed
/// error rather than a broken store.
#[wasm_bindgen_test]
async fn the_indexed_db_store_or_a_clear_refusal() {
    let store = edgecache::js::indexed_db_store("wasm-suite");
    if !has_indexed_db() {
        let error = store.unwrap_err();
        assert_eq!(field(&error, "code").as_string().as_deref(), Some("unsupported"));
        return;
    }
    // Two caches on one database (two tabs, say), stamps not memoised so each sees the other's
    // purges at once.
    let cache = EdgeCache::new(object(&[("store", store.unwrap()), ("stampMemo", 0.into())]).into()).unwrap();
    resolve(cache.set("k".into(), "in indexeddb".into(), JsValue::UNDEFINED)).await.unwrap();
    let again_store = edgecache::js::indexed_db_store("wasm-suite").unwrap();
    let again = EdgeCache::new(object(&[("store", again_store), ("stampMemo", 0.into())]).into()).unwrap();
    let value = resolve(again.get("k".into(), None)).await.unwrap();
    assert_eq!(value.as_string().as_deref(), Some("in indexeddb"), "a second cache on the same database sees it");
    resolve(again.delete("k".into())).await.unwrap();
    assert!(resolve(cache.get("k".into(), None)).await.unwrap().is_undefined());
}

fn code(error: &JsValue) -> Option<String> {
    field(error, "code").as_string()
}

/// Every public method, on one store: what a user calls, and what each resolves to.
async fn every_method_on(cache: &EdgeCache) {
    let key = |k: &str| JsValue::from_str(k);
    let tags =
        |t: &[&str]| object(&[("tags", t.iter().map(|t| JsValue::from_str(t)).collect::<js_sys::Array>().into())]);
    resolve(cache.set("a:1".into(), "one".into(), tags(&["t"]).into())).await.unwrap();
    assert_eq!(resolve(cache.get(key("a:1"), None)).await.unwrap().as_string().as_deref(), Some("one"));
    let entry = resolve(cache.get_entry(key("a:1"), None)).await.unwrap();
    assert_eq!(field(&entry, "status").as_string().as_deref(), Some("fresh"));
    assert_eq!(resolve(cache.has("a:1".into())).await.unwrap(), JsValue::TRUE);
    let fetched = resolve(cache.get_or_set("b".into(), context_loader(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(field(&fetched, "source").as_string().as_deref(), Some("loaded"));
    let fetched_tags = js_sys::Array::from(&field(&fetched, "tags"));
    assert!(fetched_tags.includes(&"learnt".into(), 0));
    let lifetime = field(&fetched, "freshUntil").as_f64().unwrap() - field(&fetched, "storedAt").as_f64().unwrap();
    assert_eq!(lifetime, 120_000.0, "the loader's context set the ttl");
    resolve(cache.invalidate_tag("learnt".into(), JsValue::UNDEFINED)).await.unwrap();
    assert!(resolve(cache.get(key("b"), None)).await.unwrap().is_undefined());
    resolve(cache.invalidate_prefix("a:".into(), object(&[("soft", true.into())]).into())).await.unwrap();
    let soft = resolve(cache.get_entry(key("a:1"), None)).await.unwrap();
    assert!(soft.is_undefined() || field(&soft, "staleReason").as_string().as_deref() == Some("soft_invalidated"));
    resolve(cache.invalidate_key("a:1".into(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(resolve(cache.has("a:1".into())).await.unwrap(), JsValue::FALSE);
    resolve(cache.set("c".into(), "c".into(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(resolve(cache.delete("c".into())).await.unwrap(), JsValue::TRUE);
    assert_eq!(resolve(cache.delete("c".into())).await.unwrap(), JsValue::FALSE);
    let version = resolve(cache.bump_version("v".into())).await.unwrap();
    assert!(version.as_f64().unwrap() >= 1.0);
    resolve(cache.set("d".into(), "d".into(), JsValue::UNDEFINED)).await.unwrap();
    resolve(cache.invalidate_all(JsValue::UNDEFINED)).await.unwrap();
    resolve(cache.set("e".into(), "e".into(), JsValue::UNDEFINED)).await.unwrap();
    resolve(cache.clear()).await.unwrap();
    assert!(resolve(cache.get(key("e"), None)).await.unwrap().is_undefined());
    let page = resolve(cache.log(object(&[("limit", 2.into())]).into())).await.unwrap();
    assert_eq!(js_sys::Array::from(&field(&page, "records")).length(), 2);
    let rest = resolve(cache.log(object(&[("cursor", field(&page, "cursor"))]).into())).await.unwrap();
    assert!(js_sys::Array::from(&field(&rest, "records")).length() >= 4);
    let stats = cache.stats().unwrap();
    assert!(field(&stats, "hits").as_f64().unwrap() >= 2.0);
    assert!(field(&stats, "invalidations").as_f64().unwrap() >= 6.0);
}

#[wasm_bindgen_test]
async fn every_method_on_every_store() {
    every_method_on(&EdgeCache::new(JsValue::UNDEFINED).unwrap()).await;
    every_method_on(&EdgeCache::new(object(&[("store", js_sys::Map::new().into())]).into()).unwrap()).await;
    every_method_on(&EdgeCache::new(object(&[("store", kv_like()), ("stampMemo", "0ms".into())]).into()).unwrap())
        .await;
    if has_indexed_db() {
        let store = edgecache::js::indexed_db_store("every-method").unwrap();
        every_method_on(&EdgeCache::new(object(&[("store", store), ("stampMemo", 0.into())]).into()).unwrap()).await;
    }
}

/// A store whose every call throws: reads and writes reject with `store_unavailable`, nothing
/// panics, and getOrSet still answers what its loader loaded.
#[wasm_bindgen_test]
async fn a_js_store_that_throws() {
    let cache = EdgeCache::new(object(&[("store", throwing_store())]).into()).unwrap();
    let error = resolve(cache.get("k".into(), None)).await.unwrap_err();
    assert_eq!(code(&error).as_deref(), Some("store_unavailable"));
    let error = resolve(cache.set("k".into(), "v".into(), JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(code(&error).as_deref(), Some("store_unavailable"));
    let error = resolve(cache.invalidate_tag("t".into(), JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(code(&error).as_deref(), Some("store_unavailable"));
    let fetched = resolve(cache.get_or_set("k".into(), context_loader(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(field(&fetched, "source").as_string().as_deref(), Some("loaded"));
    assert!(field(&fetched, "notStored").as_string().is_some(), "says why it was not stored");
    assert_eq!(field(&field(&fetched, "value"), "loaded"), JsValue::TRUE);
}
