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

/// Headers meant for the edge only: read by edgecache, never passed to clients.
pub const EDGE_ONLY: [&str; 4] = ["cache-tag", "surrogate-key", "surrogate-control", "cdn-cache-control"];

/// `headers` without hop-by-hop headers (including those named in `Connection`), edge-only
/// headers, and `Age` (recomputed on the way out).
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
        .cloned()
        .collect()
}

/// Replaces (or adds) `name`.
pub fn set_header(headers: &mut HeaderList, name: &str, value: impl Into<String>) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_ascii_lowercase(), value.into()));
}
