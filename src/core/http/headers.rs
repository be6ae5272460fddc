//! Header lists as plain data (name, value) — the fronts copy platform headers into these, so the
//! core never touches a platform type.

/// Response or request headers, in order; names compared case-insensitively.
pub type HeaderList = Vec<(String, String)>;

/// The first value of `name`.
#[must_use]
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Hop-by-hop headers (RFC 9110 §7.6.1), never stored or forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Request headers a cache must not forward when it fetches for itself: the client's own
/// conditions and ranges would make the origin answer something other than the full response.
const CLIENT_CONDITIONS: [&str; 6] =
    ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"];

/// Request headers that frameworks read as the request's host, URL, scheme or method, none of
/// which is in the cache key: what one client sends in them would shape the response stored for
/// everyone (the inputs of web cache poisoning). A fill never forwards them as the client sent
/// them; `x-forwarded-proto` is set to the scheme the request came with instead.
const UNKEYED_OVERRIDES: [&str; 13] = [
    "forwarded",
    "x-forwarded-host",
    "x-forwarded-server",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-forwarded-scheme",
    "x-forwarded-proto",
    "x-host",
    "x-original-url",
    "x-rewrite-url",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// `value` whitespace-normalised, as `Vary`'s selecting values are compared and stored (RFC 9111
/// §4.1): runs of spaces and tabs become one space, none kept around commas or at the ends.
pub(super) fn normalized(value: &str) -> String {
    value
        .split(',')
        .map(|item| item.split([' ', '\t']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(",")
}

/// The headers of a cache fill for a client request that came with `scheme` ("https"): the
/// client's, minus its conditions and ranges and the headers that override its host, URL,
/// scheme or method (`x-forwarded-host`, `x-original-url`, `forwarded`, …), plus
/// `x-forwarded-proto: {scheme}`.
///
/// ```
/// use edgecache::core::http::{fill_headers, header};
/// let client = [("x-forwarded-host".to_owned(), "evil.example".to_owned()), ("range".to_owned(), "bytes=0-1".to_owned()), ("accept".to_owned(), "text/html".to_owned())];
/// let sent = fill_headers(&client, "https");
/// assert_eq!(header(&sent, "accept"), Some("text/html"));
/// assert_eq!((header(&sent, "x-forwarded-host"), header(&sent, "range")), (None, None));
/// assert_eq!(header(&sent, "x-forwarded-proto"), Some("https"));
/// ```
#[must_use]
pub fn fill_headers(client: &[(String, String)], scheme: &str) -> HeaderList {
    let mut sent: HeaderList = client
        .iter()
        .filter(|(n, _)| !CLIENT_CONDITIONS.iter().chain(&UNKEYED_OVERRIDES).any(|h| n.eq_ignore_ascii_case(h)))
        .cloned()
        .collect();
    sent.push(("x-forwarded-proto".to_owned(), scheme.to_owned()));
    sent
}

/// Headers meant for the edge only: read by edgecache, never passed to clients.
pub const EDGE_ONLY: [&str; 4] = ["cache-tag", "surrogate-key", "surrogate-control", "cdn-cache-control"];

/// `headers` without hop-by-hop headers (including those named in `Connection`), edge-only
/// headers, `Age` (recomputed on the way out), and fields that are not valid HTTP: a value with
/// a control character other than tab (RFC 9110 §5.5; clients refuse the whole response), or a
/// name that is not a token. An origin's malformed header is dropped, so it cannot turn a
/// stored response into one no client can read for its whole lifetime.
#[must_use]
pub fn end_to_end(headers: &[(String, String)]) -> HeaderList {
    let listed: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    headers
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&n.as_str()) && !EDGE_ONLY.contains(&n.as_str()) && n != "age" && !listed.contains(&n)
        })
        .filter(|(n, v)| is_token(n) && !v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f))
        .cloned()
        .collect()
}

/// Whether `name` is an RFC 9110 token (what a field name must be).
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Replaces (or adds) `name`.
pub fn set_header(headers: &mut HeaderList, name: &str, value: impl Into<String>) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_ascii_lowercase(), value.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pairs: &[(&str, &str)]) -> HeaderList {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn end_to_end_drops_hop_by_hop_edge_only_and_malformed_fields() {
        let kept = end_to_end(&list(&[
            ("content-type", "text/plain"),
            ("connection", "x-hop"),
            ("x-hop", "1"),
            ("keep-alive", "5"),
            ("cache-tag", "a"),
            ("age", "3"),
            ("x-bad", "a\u{1}b"),
            ("x-nul", "a\0b"),
            ("x-del", "a\u{7f}"),
            ("bad name", "v"),
            ("x-tab", "a\tb"),
            ("x-utf8", "café"),
        ]));
        assert_eq!(kept, list(&[("content-type", "text/plain"), ("x-tab", "a\tb"), ("x-utf8", "café")]));
    }
}
