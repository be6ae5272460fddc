//! The hot memo in front of the in-memory store (see `near.js`): fresh hits served in JS, without
//! crossing into wasm. Rust owns when it is filled and when it is dropped.

use wasm_bindgen::prelude::*;

use crate::core::Hit;

use super::value;

#[wasm_bindgen(module = "/src/js/near.js")]
extern "C" {
    /// The memo object.
    pub type Near;

    #[wasm_bindgen(constructor)]
    fn new(max_entries: u32, max_chars: f64, recheck_ms: f64) -> Near;

    /// A `Promise` of a remembered fresh value (of its entry when `entry`), else `undefined`.
    #[wasm_bindgen(method)]
    pub fn get(this: &Near, key: &JsValue, entry: bool) -> JsValue;

    #[wasm_bindgen(method, getter)]
    pub fn generation(this: &Near) -> u32;

    #[wasm_bindgen(method, getter)]
    pub fn hits(this: &Near) -> f64;

    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    fn remember(
        this: &Near,
        generation: u32,
        key: &JsValue,
        kind: u8,
        value: &JsValue,
        json: &JsValue,
        tags: &JsValue,
        version: f64,
        stored_at: f64,
        fresh_until: f64,
        want_entry: bool,
    ) -> JsValue;

    /// Drops what a write to `key` may change.
    #[wasm_bindgen(method)]
    pub fn forget(this: &Near, key: &JsValue);

    /// Drops everything (an invalidation by tag, prefix or everything).
    #[wasm_bindgen(method)]
    pub fn clear(this: &Near);

    /// `{ value, status: "fresh", tags, version, storedAt, freshUntil }` in one call.
    #[wasm_bindgen(js_name = makeEntry)]
    fn make_entry(value: &JsValue, tags: &JsValue, version: f64, stored_at: f64, fresh_until: f64) -> js_sys::Object;
}

/// How long a remembered entry is served before the core sees the key again. Only the memory
/// store's recency order depends on it (writes and purges drop entries at once): a hot key
/// touches the store at least this often, far more often than an LRU of megabytes turns over.
const RECHECK_MS: f64 = 10_000.0;

/// A memo for a memory store of `max_bytes`: at most a quarter of that in remembered text.
pub fn for_memory_store(max_bytes: usize) -> Near {
    Near::new(16_384, (max_bytes / 4) as f64, RECHECK_MS)
}

fn tags_of(hit: &Hit) -> JsValue {
    hit.meta.tags.iter().map(|t| JsValue::from_str(t)).collect::<js_sys::Array>().into()
}

/// The entry object of a hit (status "fresh"; the caller overrides it for stale hits).
pub fn entry_object(hit: &Hit) -> Result<js_sys::Object, JsValue> {
    Ok(entry_with(hit, &value::decode(&hit.value)?))
}

/// [`entry_object`] with the value given as JS already has it.
pub fn entry_with(hit: &Hit, value: &JsValue) -> js_sys::Object {
    let meta = &hit.meta;
    make_entry(value, &tags_of(hit), meta.version as f64, meta.stored_at as f64, meta.fresh_until as f64)
}

/// The value of a fresh hit (its entry object when `entry`), remembered in `near` unless a
/// write happened since `generation` was read.
pub fn remember(near: &Near, generation: u32, key: &JsValue, hit: &Hit, entry: bool) -> Result<JsValue, JsValue> {
    let meta = &hit.meta;
    let value = value::decode(&hit.value)?;
    let json = value::json_text(&hit.value).map_or(JsValue::UNDEFINED, JsValue::from_str);
    Ok(near.remember(
        generation,
        key,
        value::kind(&hit.value),
        &value,
        &json,
        &tags_of(hit),
        meta.version as f64,
        meta.stored_at as f64,
        meta.fresh_until as f64,
        entry,
    ))
}
