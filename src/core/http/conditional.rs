//! Answering a client's conditional GET or HEAD from a stored response (RFC 9110 §13).

use super::date::parse_http_date;
use super::headers::header;

/// Whether the client's copy is current, so a 304 can answer: `If-None-Match` (weak comparison,
/// lists, `*`) when present, else `If-Modified-Since` against `Last-Modified`.
///
/// ```
/// use edgecache::core::http::not_modified;
/// let h = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
/// let stored = h(&[("etag", "W/\"v1\"")]);
/// assert!(not_modified(&h(&[("if-none-match", "\"v0\", \"v1\"")]), &stored));
/// assert!(!not_modified(&h(&[("if-none-match", "\"v2\"")]), &stored));
/// ```
#[must_use]
pub fn not_modified(request: &[(String, String)], stored: &[(String, String)]) -> bool {
    let [if_none_match, if_modified_since] = CONDITIONAL_HEADERS;
    if let Some(candidates) = header(request, if_none_match) {
        let Some(etag) = header(stored, "etag") else {
            return false;
        };
        let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
        return candidates.split(',').any(|c| c.trim() == "*" || opaque(c) == opaque(etag));
    }
    match (
        header(request, if_modified_since).and_then(parse_http_date),
        header(stored, "last-modified").and_then(parse_http_date),
    ) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// The request headers [`not_modified`] reads.
pub const CONDITIONAL_HEADERS: [&str; 2] = ["if-none-match", "if-modified-since"];

/// Headers a 304 carries from the stored response (RFC 9110 §15.4.5).
pub const NOT_MODIFIED_HEADERS: [&str; 6] = ["cache-control", "content-location", "date", "etag", "expires", "vary"];
