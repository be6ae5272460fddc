//! A response as the edge stores it: status, end-to-end headers, the request-header values its
//! `Vary` names, and the body. Encoded as a 4-byte head length, the head as JSON, the body.

use super::conditional::CONDITIONAL_HEADERS;
use super::range::RANGE_HEADERS;
use bytes::Bytes;

use super::headers::{header, normalized, HeaderList};

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredResponse {
    /// The status.
    pub status: u16,
    /// End-to-end headers as sent by the origin (edge-only and hop-by-hop headers removed).
    pub headers: HeaderList,
    /// For each header the response's `Vary` names, the value the request had (`None`: absent).
    pub vary: Vec<(String, Option<String>)>,
    /// The response's age when it arrived (from `Age` and `Date`), added to `Age` on the way out.
    #[serde(default)]
    pub age_ms: u64,
    /// Never to be served stale, not even when the origin cannot be reached
    /// ([`Lifetime::must_revalidate`](super::Lifetime::must_revalidate)).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_revalidate: bool,
    /// The body.
    #[serde(skip)]
    pub body: Bytes,
}

/// A stored value that is not a stored response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a stored response")]
pub struct NotAResponse;

/// A response whose head could not be encoded (it is then not stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the response head could not be encoded: {0}")]
pub struct UnencodableResponse(String);

impl StoredResponse {
    /// Captures the request-header values `Vary` names.
    #[must_use]
    pub fn vary_of(request: &[(String, String)], response: &[(String, String)]) -> Vec<(String, Option<String>)> {
        header(response, "vary")
            .map(|v| {
                v.split(',')
                    .map(|name| name.trim().to_ascii_lowercase())
                    .filter(|name| !name.is_empty())
                    .map(|name| {
                        let value = header(request, &name).map(normalized);
                        (name, value)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `request` selects this stored response under its `Vary`.
    #[must_use]
    pub fn matches(&self, request: &[(String, String)]) -> bool {
        self.vary.iter().all(|(name, value)| header(request, name).map(normalized) == *value)
    }

    /// The request headers that answering a request from this response reads: the conditional
    /// and range ones and those its `Vary` names. A front may fetch just these for a hit.
    pub fn request_headers_read(&self) -> impl Iterator<Item = &str> {
        CONDITIONAL_HEADERS
            .iter()
            .chain(RANGE_HEADERS.iter())
            .copied()
            .chain(self.vary.iter().map(|(name, _)| name.as_str()))
    }

    /// The stored form, or why the head could not be encoded (never silently an empty head,
    /// which would decode as no response at all).
    pub fn encode(&self) -> Result<Bytes, UnencodableResponse> {
        let head = serde_json::to_vec(self).map_err(|e| UnencodableResponse(e.to_string()))?;
        let head_len = u32::try_from(head.len()).map_err(|_| UnencodableResponse("head over 4 GiB".into()))?;
        let mut out = Vec::with_capacity(4 + head.len() + self.body.len());
        out.extend_from_slice(&head_len.to_be_bytes());
        out.extend_from_slice(&head);
        out.extend_from_slice(&self.body);
        Ok(out.into())
    }

    /// Decodes the stored form; anything else is [`NotAResponse`].
    pub fn decode(bytes: &Bytes) -> Result<Self, NotAResponse> {
        let len = bytes.get(..4).ok_or(NotAResponse)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        // Checked: the length is read from KV, and 4 + u32::MAX overflows a 32-bit usize.
        let end = len.checked_add(4).ok_or(NotAResponse)?;
        let head = bytes.get(4..end).ok_or(NotAResponse)?;
        let mut response: Self = serde_json::from_slice(head).map_err(|_| NotAResponse)?;
        response.body = bytes.slice(end..);
        Ok(response)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_and_matches_vary() {
        let request = vec![("Accept-Language".to_owned(), "de".to_owned())];
        let headers =
            vec![("vary".to_owned(), "Accept-Language, X-Absent".to_owned()), ("etag".to_owned(), "\"1\"".to_owned())];
        let stored = StoredResponse {
            status: 200,
            vary: StoredResponse::vary_of(&request, &headers),
            headers,
            age_ms: 3_000,
            must_revalidate: false,
            body: Bytes::from_static(b"\x00\xffbinary body"),
        };
        assert_eq!(StoredResponse::decode(&stored.encode().unwrap()).unwrap(), stored);
        // A head length past the end (the largest, too) is not a response.
        for len in [u32::MAX, 1_000] {
            let mut bytes = len.to_be_bytes().to_vec();
            bytes.extend_from_slice(b"{}");
            assert_eq!(StoredResponse::decode(&Bytes::from(bytes)), Err(NotAResponse));
        }
        assert!(stored.matches(&request));
        assert!(!stored.matches(&[("accept-language".to_owned(), "fr".to_owned())]));
        assert!(!stored.matches(&[]));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = StoredResponse::decode(&Bytes::from(bytes));
        }
    }
}
