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
/// // An entity tag may hold a comma: the list is read tag by tag.
/// assert!(not_modified(&h(&[("if-none-match", "\"x\", \"a,b\"")]), &h(&[("etag", "\"a,b\"")])));
/// ```
#[must_use]
pub fn not_modified(request: &[(String, String)], stored: &[(String, String)]) -> bool {
    let [if_none_match, if_modified_since] = CONDITIONAL_HEADERS;
    if let Some(candidates) = header(request, if_none_match) {
        let Some(etag) = header(stored, "etag") else {
            return false;
        };
        if candidates.trim() == "*" {
            return true;
        }
        // Weak comparison: the opaque tags, whatever their `W/`.
        let stored_tag = entity_tags(etag).into_iter().next();
        return stored_tag.is_some_and(|(_, stored_tag)| entity_tags(candidates).iter().any(|(_, c)| *c == stored_tag));
    }
    match (
        header(request, if_modified_since).and_then(parse_http_date),
        header(stored, "last-modified").and_then(parse_http_date),
    ) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// The entity tags of a list (`If-None-Match`, or one `ETag`), each as (weak, opaque tag with its
/// quotes): `W/"a", "b,c"` → `[(true, "\"a\""), (false, "\"b,c\"")]`. A tag holds any visible
/// character but `"` (RFC 9110 §8.8.3), commas included, so the list is read tag by tag rather
/// than split at commas; reading stops at the first member that is not an entity tag.
///
/// ```
/// use edgecache::core::http::entity_tags;
/// assert_eq!(entity_tags(r#"W/"a", "b,c""#), [(true, r#""a""#), (false, r#""b,c""#)]);
/// assert_eq!(entity_tags(r#""a", junk, "b""#), [(false, r#""a""#)]);
/// ```
#[must_use]
pub fn entity_tags(list: &str) -> Vec<(bool, &str)> {
    let mut tags = Vec::new();
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return tags;
        }
        let weak = rest.starts_with("W/");
        let quoted = if weak { &rest[2..] } else { rest };
        let Some(body) = quoted.strip_prefix('"') else { return tags };
        let Some(end) = body.find('"') else { return tags };
        tags.push((weak, &quoted[..end + 2]));
        rest = &body[end + 1..];
        let next = rest.trim_start_matches([' ', '\t']);
        if !(next.is_empty() || next.starts_with(',')) {
            return tags;
        }
    }
}

/// The request headers [`not_modified`] reads.
pub const CONDITIONAL_HEADERS: [&str; 2] = ["if-none-match", "if-modified-since"];

/// Headers a 304 carries from the stored response (RFC 9110 §15.4.5).
pub const NOT_MODIFIED_HEADERS: [&str; 6] = ["cache-control", "content-location", "date", "etag", "expires", "vary"];
