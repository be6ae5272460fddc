//! Revalidating a stored response with the origin (RFC 9111 §4.3): the conditional request it
//! makes, and the stored response a `304 Not Modified` freshens (§4.3.4, §3.2).

use super::headers::{end_to_end, header, set_header, HeaderList};
use super::stored::StoredResponse;

/// Stored headers a 304 does not replace: `Content-Length` (RFC 9111 §3.2 forbids it), and the
/// fields that describe the stored bytes themselves, which a 304 cannot change
/// (`Content-Encoding`, `Content-Range`; §3.2 allows keeping those for integrity).
const KEPT_ON_304: [&str; 3] = ["content-length", "content-encoding", "content-range"];

impl StoredResponse {
    /// The validators a revalidation of this response sends (RFC 9111 §4.3.1): `If-None-Match`
    /// with its entity tag, strong or weak; else `If-Modified-Since` with its `Last-Modified`.
    /// Empty when it has neither: then it can only be fetched again.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use edgecache::core::http::StoredResponse;
    /// let h = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    /// let stored = |headers| StoredResponse { status: 200, headers, vary: vec![], age_ms: 0, must_revalidate: false, body: Bytes::new() };
    /// let both = stored(h(&[("etag", "W/\"v1\""), ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")]));
    /// assert_eq!(both.validators(), h(&[("if-none-match", "W/\"v1\"")]));
    /// let dated = stored(h(&[("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")]));
    /// assert_eq!(dated.validators(), h(&[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]));
    /// assert!(stored(h(&[])).validators().is_empty());
    /// ```
    #[must_use]
    pub fn validators(&self) -> HeaderList {
        if let Some(etag) = header(&self.headers, "etag") {
            return vec![("if-none-match".to_owned(), etag.to_owned())];
        }
        header(&self.headers, "last-modified")
            .map(|modified| vec![("if-modified-since".to_owned(), modified.to_owned())])
            .unwrap_or_default()
    }

    /// This response freshened by a 304 whose headers are `not_modified` (RFC 9111 §4.3.4): each
    /// end-to-end header the 304 carries replaces the stored one, except `Content-Length`,
    /// `Content-Encoding` and `Content-Range`, which describe the stored bytes; status and body
    /// stay.
    #[must_use]
    pub fn freshened(&self, not_modified: &[(String, String)]) -> StoredResponse {
        let mut merged = self.clone();
        for (name, value) in end_to_end(not_modified) {
            if !KEPT_ON_304.iter().any(|kept| name.eq_ignore_ascii_case(kept)) {
                set_header(&mut merged.headers, &name, value);
            }
        }
        merged
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn h(v: &[(&str, &str)]) -> HeaderList {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn stored(headers: HeaderList) -> StoredResponse {
        StoredResponse {
            status: 200,
            headers,
            vary: vec![],
            age_ms: 5_000,
            must_revalidate: false,
            body: Bytes::from_static(b"body"),
        }
    }

    #[test]
    fn strong_and_weak_etags_are_sent_as_stored() {
        assert_eq!(stored(h(&[("ETag", "\"a\"")])).validators(), h(&[("if-none-match", "\"a\"")]));
        assert_eq!(stored(h(&[("etag", "W/\"a\"")])).validators(), h(&[("if-none-match", "W/\"a\"")]));
    }

    #[test]
    fn a_304_replaces_every_end_to_end_header_but_the_ones_describing_the_bytes() {
        let before = stored(h(&[
            ("content-type", "text/html"),
            ("content-length", "4"),
            ("content-encoding", "gzip"),
            ("cache-control", "max-age=1"),
            ("etag", "\"a\""),
            ("x-kept", "old"),
        ]));
        let after = before.freshened(&h(&[
            ("Cache-Control", "max-age=60"),
            ("content-length", "0"),
            ("content-encoding", "br"),
            ("x-new", "1"),
            ("content-type", "text/plain"),
            ("connection", "close"),
            ("cache-tag", "t"),
        ]));
        assert_eq!(header(&after.headers, "cache-control"), Some("max-age=60"));
        assert_eq!(header(&after.headers, "content-type"), Some("text/plain"), "RFC 9111 §3.2 updates it");
        assert_eq!(header(&after.headers, "x-new"), Some("1"));
        assert_eq!(header(&after.headers, "x-kept"), Some("old"), "absent from the 304: kept");
        assert_eq!(header(&after.headers, "content-length"), Some("4"));
        assert_eq!(header(&after.headers, "content-encoding"), Some("gzip"));
        assert_eq!(header(&after.headers, "connection"), None, "hop-by-hop: never stored");
        assert_eq!(header(&after.headers, "cache-tag"), None, "edge-only: never stored");
        assert_eq!((after.status, &after.body[..]), (200, &b"body"[..]));
    }
}
