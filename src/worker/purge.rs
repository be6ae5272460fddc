//! Signed purges as the worker answers them, in the isolates (KV-only mode) and in the purge
//! authority: which cache key a purged URL names, and the receipt or refusal as a response.

use super::convert::{respond_error, respond_json, Answer};
use crate::core::http::cache_key;
use crate::core::purge::{PurgeError, Receipt};

/// Purge URLs name cache keys: absolute URLs by their path and query, paths as they are.
pub fn url_key(url: &str) -> Result<String, String> {
    if url.starts_with('/') {
        return Ok(url.split('#').next().unwrap_or(url).to_owned());
    }
    cache_key(url).ok_or_else(|| format!("{url:?} is neither an absolute URL nor a path"))
}

/// The answer to a signed purge, logged to the console.
pub fn purge_answer(result: Result<Receipt, PurgeError>) -> worker::Result<Answer> {
    match result {
        Ok(receipt) => {
            worker::console_log!("edgecache purge applied: {}", serde_json::to_string(&receipt).unwrap_or_default());
            respond_json(200, &serde_json::to_value(&receipt).unwrap_or_default())
        }
        Err(e) => {
            worker::console_log!("edgecache purge refused: {} ({})", e.code(), e);
            respond_error(e.http_status(), e.code(), &e.to_string())
        }
    }
}
