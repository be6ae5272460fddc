//! Fresh hits prepared for the platform once per stored value: the response decoded and its
//! headers and body already JS values, so a hit skips the JSON decode, the header
//! serialisation and the copy out of wasm memory it would otherwise repeat on every request —
//! from the isolate's memory or from KV alike, since a stored value is recognised by its bytes.
//! The cache still judges every hit; this only shortens the way from its verdict to the
//! `Response`.

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::rc::Rc;

use bytes::Bytes;
use lru::LruCache;
use wasm_bindgen::prelude::*;

use super::convert::{header_pairs, Answer};
use crate::core::http::StoredResponse;

/// Prepared responses kept (least recently used dropped first).
const CAPACITY: NonZeroUsize = NonZeroUsize::new(256).expect("non-zero");
/// Larger bodies are prepared for the request at hand but not kept: the JS copy would double
/// their memory for little gain (a big body's cost is its bytes, not the preparation).
const MAX_KEPT_BODY: usize = 32 * 1024;

/// A stored response as the platform takes it.
pub struct Prepared {
    /// The stored value this was made from. A value with the same bytes is the same stored
    /// response, whether it is this allocation (the isolate's memory) or a fresh read from KV;
    /// comparing bytes costs a fraction of decoding them.
    value: Bytes,
    /// The decoded response.
    pub stored: StoredResponse,
    /// `[name, value]` pairs of its headers, less `age` and `cache-status` (set per answer).
    headers: js_sys::Array,
    body: js_sys::Uint8Array,
}

impl Prepared {
    fn new(value: &Bytes) -> Option<Self> {
        let stored = StoredResponse::decode(value).ok()?;
        let kept = stored.headers.iter().filter(|(name, _)| name != "age" && name != "cache-status");
        let headers = header_pairs(kept.map(|(n, v)| (n.as_str(), v.as_str()))).ok()?.into();
        let body = js_sys::Uint8Array::from(&stored.body[..]);
        Some(Self { value: value.clone(), stored, headers, body })
    }

    fn is_made_from(&self, value: &Bytes) -> bool {
        self.value == *value
    }

    /// The response with its `Age` and `Cache-Status`; without a body for HEAD (and for the
    /// statuses that have none).
    pub fn answer(&self, age_secs: u64, cache_status: &str, head: bool) -> worker::Result<Answer> {
        let body = if head || matches!(self.stored.status, 204 | 205 | 304) {
            JsValue::NULL
        } else {
            self.body.clone().into()
        };
        Ok(respond_prepared(&body, self.stored.status, &self.headers, age_secs as f64, cache_status)?)
    }
}

// The answer built in one crossing: copying the kept header pairs, adding two and constructing
// the `Response` took seven calls across the boundary from Rust.
#[wasm_bindgen(inline_js = r#"
export function respondPrepared(body, status, headers, age, cacheStatus) {
  const all = headers.slice();
  all.push(["age", String(age)], ["cache-status", cacheStatus]);
  return new Response(body, { status, headers: all });
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = respondPrepared, catch)]
    fn respond_prepared(
        body: &JsValue,
        status: u16,
        headers: &js_sys::Array,
        age: f64,
        cache_status: &str,
    ) -> Result<web_sys::Response, JsValue>;
}

/// The prepared responses of recent fresh hits, by cache key.
pub struct PreparedHits(RefCell<LruCache<String, Rc<Prepared>>>);

impl Default for PreparedHits {
    fn default() -> Self {
        Self(RefCell::new(LruCache::new(CAPACITY)))
    }
}

impl PreparedHits {
    /// `value` (stored at `key`) prepared: as kept if it was prepared before, else now.
    /// `None` if it is not a stored response.
    pub fn prepare(&self, key: &str, value: &Bytes) -> Option<Rc<Prepared>> {
        let mut kept = self.0.borrow_mut();
        if let Some(prepared) = kept.get(key).filter(|p| p.is_made_from(value)) {
            return Some(prepared.clone());
        }
        let prepared = Rc::new(Prepared::new(value)?);
        if prepared.stored.body.len() <= MAX_KEPT_BODY {
            kept.put(key.to_owned(), prepared.clone());
        } else {
            kept.pop(key);
        }
        Some(prepared)
    }
}
