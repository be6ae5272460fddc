//! The hot memo in front of the in-memory store (see `near.js`): fresh hits served in JS, without
//! crossing into wasm. Rust owns when it is filled and when it is dropped.

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use crate::core::{Hit, StaleReason};

use super::value;

#[wasm_bindgen(module = "/src/js/near.js")]
extern "C" {
    /// The memo object.
    pub type Near;

    #[wasm_bindgen(constructor)]
    fn new(max_entries: u32, max_chars: f64, recheck_ms: f64) -> Near;

    #[wasm_bindgen(method)]
    fn get(this: &Near, key: &JsValue, entry: bool) -> JsValue;

    #[wasm_bindgen(method, getter)]
    fn hits(this: &Near) -> f64;

    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    fn remember(
        this: &Near,
        keep: bool,
        key: &JsValue,
        kind: u8,
        value: &JsValue,
        json: &JsValue,
        tags: &str,
        version: f64,
        stored_at: f64,
        fresh_until: f64,
        want_entry: bool,
    ) -> JsValue;

    /// Drops the entry of `key`.
    #[wasm_bindgen(method)]
    fn forget(this: &Near, key: &JsValue);

    /// Drops everything.
    #[wasm_bindgen(method)]
    fn clear(this: &Near);

    /// `{ value, status, tags, version, storedAt, freshUntil }` and what `Shown` adds, in one call.
    #[wasm_bindgen(js_name = makeEntry)]
    #[allow(clippy::too_many_arguments)]
    fn make_entry(
        value: &JsValue,
        tags: &str,
        version: f64,
        stored_at: f64,
        fresh_until: f64,
        reason: u8,
        source: u8,
        not_stored: Option<String>,
        serve: Option<bool>,
    ) -> JsValue;
}

/// How long a remembered entry is served before the core sees the key again. Only the memory
/// store's recency order depends on it (writes and purges drop entries at once): a hot key
/// touches the store at least this often, far more often than an LRU of megabytes turns over.
const RECHECK_MS: f64 = 10_000.0;

/// The memo as Rust drives it: the JS side holds the entries; the write generation (a lookup
/// that started before a write must not remember what it read) and whether the JS side may hold
/// anything are kept here, so a write crosses into JS only when there is something to drop.
pub struct Memo {
    near: Near,
    generation: Cell<u32>,
    /// False until something is remembered, and again after `clear`.
    holds: Cell<bool>,
}

impl Memo {
    /// A memo for a memory store of `max_bytes`: at most a quarter of that in remembered text.
    pub fn for_memory_store(max_bytes: usize) -> Self {
        let near = Near::new(16_384, (max_bytes / 4) as f64, RECHECK_MS);
        Self { near, generation: Cell::new(0), holds: Cell::new(false) }
    }

    /// A `Promise` of a remembered fresh value (of its entry when `entry`), else `undefined`.
    pub fn get(&self, key: &JsValue, entry: bool) -> JsValue {
        self.near.get(key, entry)
    }

    /// Hits answered in JS (the core never counted them).
    pub fn hits(&self) -> f64 {
        self.near.hits()
    }

    pub fn generation(&self) -> u32 {
        self.generation.get()
    }

    /// Drops what a write to `key` may change.
    pub fn forget(&self, key: &JsValue) {
        self.generation.set(self.generation.get().wrapping_add(1));
        if self.holds.get() {
            self.near.forget(key);
        }
    }

    /// Drops everything (an invalidation by tag, prefix or everything).
    pub fn clear(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        if self.holds.replace(false) {
            self.near.clear();
        }
    }
}

/// The tags, each followed by NUL (see `splitTags` in near.js).
fn tags_of(hit: &Hit) -> String {
    let mut joined = String::new();
    for tag in &hit.meta.tags {
        joined.push_str(tag);
        joined.push('\0');
    }
    joined
}

/// Where a `getOrSet` answer came from (`source` of near.js's `makeEntry`).
#[derive(Debug, Clone, Copy, Default)]
pub enum Origin {
    /// Not a `getOrSet` answer.
    #[default]
    None = 0,
    Cached = 1,
    Loaded = 2,
    Coalesced = 3,
    Stale = 4,
}

/// What an entry object says besides the hit itself.
#[derive(Debug, Default)]
pub struct Shown {
    /// Why it is stale (status "stale"); fresh when `None`.
    pub stale: Option<StaleReason>,
    pub source: Origin,
    /// Why a loaded value was not stored.
    pub not_stored: Option<String>,
    /// Whether a stale value may be served while refreshing (`getEntry` of a stale value).
    pub serve: Option<bool>,
}

/// The entry object of a hit, with `value` as JS already has it (else decoded from the hit).
pub fn entry_object(hit: &Hit, value: Option<JsValue>, shown: Shown) -> Result<JsValue, JsValue> {
    let value = match value {
        Some(value) => value,
        None => value::decode(&hit.value)?,
    };
    let reason = match shown.stale {
        None => 0,
        Some(StaleReason::SoftInvalidated) => 2,
        Some(_) => 1,
    };
    let meta = &hit.meta;
    Ok(make_entry(
        &value,
        &tags_of(hit),
        meta.version as f64,
        meta.stored_at as f64,
        meta.fresh_until as f64,
        reason,
        shown.source as u8,
        shown.not_stored,
        shown.serve,
    ))
}

/// The value of a fresh hit (its entry object when `entry`), remembered in `memo` unless a
/// write happened since `generation` was read.
pub fn remember(memo: &Memo, generation: u32, key: &JsValue, hit: &Hit, entry: bool) -> Result<JsValue, JsValue> {
    let meta = &hit.meta;
    let value = value::decode(&hit.value)?;
    let json = value::json_text(&hit.value).map_or(JsValue::UNDEFINED, JsValue::from_str);
    let keep = generation == memo.generation();
    memo.holds.set(memo.holds.get() | keep);
    Ok(memo.near.remember(
        keep,
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
