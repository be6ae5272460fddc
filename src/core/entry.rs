//! The stored envelope: a value plus what the cache needs to judge it, in a compact versioned
//! binary encoding. Decoding never panics; anything truncated, corrupt or foreign is an error,
//! which the cache treats as a miss.
//!
//! Layout (format 2): `"EC" 0x02`, then LEB128 integers and length-prefixed UTF-8 strings:
//! key, version, stored_at, fresh_until, stale-while-revalidate ms, stale-if-error ms,
//! captured scopes (count, then kind byte, text, hard stamp, any stamp each), value length and
//! value bytes, and nothing after.
//!
//! Format 1 had three optional strings after stale-if-error ms (an ETag, a Last-Modified date
//! and a media type) that nothing ever read: the worker takes validators from the stored
//! response itself. Entries stored in format 1 are still read (the three skipped), so a
//! deployment keeps its cache across the upgrade; they are rewritten in format 2 when refilled.

use bytes::Bytes;

use crate::core::clock::Millis;
pub use crate::core::codec::DecodeError;
use crate::core::codec::{string_len, uint_len, Reader, Writer};
use crate::core::keys::Scope;

const MAGIC: &[u8; 2] = b"EC";
const FORMAT: u8 = 2;
/// The oldest format still read.
const OLDEST_FORMAT: u8 = 1;
const MAX_SCOPES: u64 = 256;

/// What the cache knows about a stored value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EntryMeta {
    /// The user key.
    pub key: String,
    /// The explicit version the entry was stored under (0 when none was given).
    pub version: u64,
    /// When it was stored.
    pub stored_at: Millis,
    /// Fresh strictly before this instant.
    pub fresh_until: Millis,
    /// After `fresh_until`, how long it may be served stale while it is refreshed.
    pub stale_while_revalidate_ms: u64,
    /// After `fresh_until`, how long it may be served stale when the loader fails.
    pub stale_if_error_ms: u64,
    /// Its tags.
    pub tags: Vec<String>,
}

impl EntryMeta {
    /// When nothing at all may be served from it any more; the KV TTL covers at least this.
    #[must_use]
    pub fn usable_until(&self) -> Millis {
        self.fresh_until.saturating_add(self.stale_while_revalidate_ms.max(self.stale_if_error_ms))
    }
}

/// The stamps of one scope as recorded when the entry was filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Captured {
    pub scope: Scope,
    pub hard: String,
    pub any: String,
}

impl Captured {
    /// `scope` with its stamps still to be read.
    pub fn of(scope: Scope) -> Self {
        Self { scope, hard: String::new(), any: String::new() }
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub meta: EntryMeta,
    pub captured: Vec<Captured>,
    pub value: Bytes,
}

impl Envelope {
    /// Bytes of the encoding after the magic and format.
    fn encoded_len(&self) -> usize {
        let m = &self.meta;
        let mut len = string_len(&m.key) + uint_len(self.captured.len() as u64);
        for n in [m.version, m.stored_at, m.fresh_until, m.stale_while_revalidate_ms, m.stale_if_error_ms] {
            len += uint_len(n);
        }
        for c in &self.captured {
            len += 1 + string_len(c.scope.text().unwrap_or_default()) + string_len(&c.hard) + string_len(&c.any);
        }
        len + uint_len(self.value.len() as u64) + self.value.len()
    }

    pub(crate) fn encode(&self) -> Bytes {
        let m = &self.meta;
        let mut w = Writer::new(MAGIC, FORMAT, self.encoded_len());
        w.string(&m.key);
        for n in [m.version, m.stored_at, m.fresh_until, m.stale_while_revalidate_ms, m.stale_if_error_ms] {
            w.uint(n);
        }
        w.uint(self.captured.len() as u64);
        for c in &self.captured {
            w.scope(&c.scope);
            w.string(&c.hard);
            w.string(&c.any);
        }
        w.uint(self.value.len() as u64);
        w.out.extend_from_slice(&self.value);
        w.out.into()
    }

    pub(crate) fn decode(bytes: &Bytes) -> Result<Self, DecodeError> {
        let (mut r, format) = Reader::open_any(bytes, MAGIC, OLDEST_FORMAT..=FORMAT)?;
        let mut meta = EntryMeta { key: r.string()?, ..EntryMeta::default() };
        meta.version = r.uint()?;
        meta.stored_at = r.uint()?;
        meta.fresh_until = r.uint()?;
        meta.stale_while_revalidate_ms = r.uint()?;
        meta.stale_if_error_ms = r.uint()?;
        if format == 1 {
            for _etag_last_modified_content_type in 0..3 {
                r.optional_string()?;
            }
        }
        let count = r.uint()?;
        if count > MAX_SCOPES {
            return Err(DecodeError::Corrupt);
        }
        let mut captured = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let scope = r.scope()?;
            if let Scope::Tag(tag) = &scope {
                meta.tags.push(tag.clone());
            }
            captured.push(Captured { scope, hard: r.string()?, any: r.string()? });
        }
        let len = r.len()?;
        let start = r.at;
        r.take(len)?;
        r.finish()?;
        Ok(Self { meta, captured, value: bytes.slice(start..start + len) })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Envelope {
        Envelope {
            meta: EntryMeta {
                key: "article:1".into(),
                version: 3,
                stored_at: 1_700_000_000_000,
                fresh_until: 1_700_000_060_000,
                stale_while_revalidate_ms: 30_000,
                stale_if_error_ms: 86_400_000,
                tags: vec!["articles".into()],
            },
            captured: vec![
                Captured { scope: Scope::Everything, hard: "h0".into(), any: "a0".into() },
                Captured { scope: Scope::Tag("articles".into()), hard: "h1".into(), any: "a1".into() },
            ],
            value: Bytes::from_static(b"<p>hello</p>"),
        }
    }

    #[test]
    fn round_trips_in_exactly_the_bytes_it_reserves() {
        let e = sample();
        let bytes = e.encode();
        assert_eq!(bytes.len(), 3 + e.encoded_len());
        assert_eq!(Envelope::decode(&bytes).unwrap(), e);
    }

    /// An entry as format 1 stored it: format 2's bytes with the three unread fields after
    /// stale-if-error ms.
    fn format_1(e: &Envelope, etag: Option<&str>, last_modified: Option<&str>, media: Option<&str>) -> Bytes {
        let new = e.encode();
        let mut r = Reader::open(&new, MAGIC, FORMAT).unwrap();
        r.string().unwrap();
        for _times in 0..5 {
            r.uint().unwrap();
        }
        let mut w = Writer::new(MAGIC, 1, new.len() + 64);
        w.out.extend_from_slice(&new[3..r.at]);
        for text in [etag, last_modified, media] {
            w.optional_string(text);
        }
        w.out.extend_from_slice(&new[r.at..]);
        w.out.into()
    }

    #[test]
    fn format_1_entries_are_still_read_and_rewritten_as_format_2() {
        let e = sample();
        for old in [
            format_1(&e, Some("\"abc\""), None, Some("text/html")),
            format_1(&e, None, Some("Tue, 01 Dec 2026 10:00:00 GMT"), None),
            format_1(&e, None, None, None),
        ] {
            assert_eq!(Envelope::decode(&old), Ok(e.clone()));
            for n in 0..old.len() {
                assert!(Envelope::decode(&old.slice(..n)).is_err(), "format 1 cut at {n} decoded");
            }
        }
        let new = e.encode();
        assert_eq!(new[2], FORMAT);
        assert!(new.len() < format_1(&e, None, None, None).len(), "format 2 drops the three fields");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(Envelope::decode(&bytes.slice(..n)).is_err(), "prefix of {n} bytes decoded");
        }
    }

    #[test]
    fn foreign_and_future_values_are_named() {
        assert_eq!(Envelope::decode(&Bytes::from_static(b"{\"json\":1}")), Err(DecodeError::Foreign));
        assert_eq!(Envelope::decode(&Bytes::from_static(b"EC\x09")), Err(DecodeError::UnknownFormat(9)));
        let mut trailing = sample().encode().to_vec();
        trailing.push(0);
        assert_eq!(Envelope::decode(&trailing.into()), Err(DecodeError::Corrupt));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Envelope::decode(&Bytes::from(bytes));
        }

        #[test]
        fn mutated_envelopes_never_panic(pos in 0usize..200, byte in any::<u8>()) {
            let mut bytes = sample().encode().to_vec();
            let at = pos % bytes.len();
            bytes[at] = byte;
            let _ = Envelope::decode(&Bytes::from(bytes));
        }
    }
}
