//! Errors as `EdgeCacheError` (an `Error` subclass with a `code`), so JS callers can branch on
//! `error.code` instead of parsing messages.

use wasm_bindgen::prelude::*;

use crate::core::purge::PurgeError;
use crate::core::CacheError;

#[wasm_bindgen(inline_js = r#"
export class EdgeCacheError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "EdgeCacheError";
    this.code = code;
  }
}
export function makeError(code, message) { return new EdgeCacheError(code, message); }
export function withCause(error, cause) {
  Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true });
  return error;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str) -> JsValue;
    /// `error` with `cause` (what a loader threw) as its `cause`, as `new Error(m, { cause })`
    /// sets it.
    #[wasm_bindgen(js_name = withCause)]
    pub fn with_cause(error: &JsValue, cause: &JsValue) -> JsValue;
}

/// An `EdgeCacheError` with `code` and `message`.
pub fn error(code: &str, message: impl std::fmt::Display) -> JsValue {
    make_error(code, &message.to_string())
}

/// The JS error for a core error.
pub fn cache_error(e: &CacheError) -> JsValue {
    let code = match e {
        CacheError::Store(_) | CacheError::InvalidationIncomplete { .. } => "store_unavailable",
        CacheError::Load(_) => "load_failed",
        CacheError::KeyLength { .. } => "invalid_key",
        CacheError::TooManyTags { .. } => "too_many_tags",
        CacheError::InvalidTag { .. } => "invalid_tag",
        CacheError::ValueTooLarge { .. } => "value_too_large",
        CacheError::InvalidPrefix(_) => "invalid_prefix",
        CacheError::EmptyInvalidation => "empty_invalidation",
        _ => "cache_error",
    };
    error(code, e)
}

/// The JS error for a purge error (its reason code as `code`).
pub fn purge_error(e: &PurgeError) -> JsValue {
    error(e.code(), e)
}
