//! The stored envelope: a value plus what the cache needs to judge it, in a compact versioned
//! binary encoding. Decoding never panics; anything truncated, corrupt or foreign is an error,
//! which the cache treats as a miss.
//!
//! Layout (format 1): `"EC" 0x01`, then LEB128 integers and length-prefixed UTF-8 strings:
//! key, version, stored_at, fresh_until, stale-while-revalidate ms, stale-if-error ms,
//! etag?, last_modified?, content_type?, captured scopes (count, then kind byte, text, hard
//! stamp, any stamp each), value length and value bytes, and nothing after.

use bytes::Bytes;

use crate::core::clock::Millis;
use crate::core::keys::Scope;

const MAGIC: &[u8; 2] = b"EC";
const FORMAT: u8 = 1;
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
    /// A validator for conditional requests.
    pub etag: Option<String>,
    /// A validator for conditional requests (an HTTP date, kept as given).
    pub last_modified: Option<String>,
    /// The media type of the value.
    pub content_type: Option<String>,
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

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub meta: EntryMeta,
    pub captured: Vec<Captured>,
    pub value: Bytes,
}

/// Why a stored value could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not an edgecache envelope (other bytes under our key).
    #[error("not an edgecache entry")]
    Foreign,
    /// An envelope from a newer (or unknown) format.
    #[error("unknown entry format {0}")]
    UnknownFormat(u8),
    /// Shorter than its own lengths say.
    #[error("entry is truncated")]
    Truncated,
    /// Structurally invalid (bad UTF-8, absurd counts, trailing bytes, unknown scope kind).
    #[error("entry is corrupt")]
    Corrupt,
}

impl Envelope {
    pub(crate) fn encode(&self) -> Bytes {
        let m = &self.meta;
        let mut out = Vec::with_capacity(64 + self.value.len() + m.key.len() + self.captured.len() * 48);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT);
        put_str(&mut out, &m.key);
        for n in [m.version, m.stored_at, m.fresh_until, m.stale_while_revalidate_ms, m.stale_if_error_ms] {
            put_uint(&mut out, n);
        }
        for text in [&m.etag, &m.last_modified, &m.content_type] {
            match text {
                Some(t) => {
                    out.push(1);
                    put_str(&mut out, t);
                }
                None => out.push(0),
            }
        }
        put_uint(&mut out, self.captured.len() as u64);
        for c in &self.captured {
            let (kind, text) = match &c.scope {
                Scope::Everything => (0u8, ""),
                Scope::Key(k) => (1, k.as_str()),
                Scope::Tag(t) => (2, t.as_str()),
                Scope::Prefix(p) => (3, p.as_str()),
            };
            out.push(kind);
            put_str(&mut out, text);
            put_str(&mut out, &c.hard);
            put_str(&mut out, &c.any);
        }
        put_uint(&mut out, self.value.len() as u64);
        out.extend_from_slice(&self.value);
        out.into()
    }

    pub(crate) fn decode(bytes: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(2).map_err(|_| DecodeError::Foreign)? != MAGIC {
            return Err(DecodeError::Foreign);
        }
        let format = r.byte()?;
        if format != FORMAT {
            return Err(DecodeError::UnknownFormat(format));
        }
        let mut meta = EntryMeta { key: r.string()?, ..EntryMeta::default() };
        meta.version = r.uint()?;
        meta.stored_at = r.uint()?;
        meta.fresh_until = r.uint()?;
        meta.stale_while_revalidate_ms = r.uint()?;
        meta.stale_if_error_ms = r.uint()?;
        meta.etag = r.optional_string()?;
        meta.last_modified = r.optional_string()?;
        meta.content_type = r.optional_string()?;
        let count = r.uint()?;
        if count > MAX_SCOPES {
            return Err(DecodeError::Corrupt);
        }
        let mut captured = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let kind = r.byte()?;
            let text = r.string()?;
            let scope = match kind {
                0 if text.is_empty() => Scope::Everything,
                1 => Scope::Key(text),
                2 => {
                    meta.tags.push(text.clone());
                    Scope::Tag(text)
                }
                3 => Scope::Prefix(text),
                _ => return Err(DecodeError::Corrupt),
            };
            captured.push(Captured { scope, hard: r.string()?, any: r.string()? });
        }
        let len = r.len()?;
        let value = bytes.slice(r.at..r.at + len);
        r.at += len;
        if r.at != bytes.len() {
            return Err(DecodeError::Corrupt);
        }
        Ok(Self { meta, captured, value })
    }
}

fn put_uint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(DecodeError::Truncated)?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn uint(&mut self) -> Result<u64, DecodeError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(DecodeError::Corrupt);
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError::Corrupt)
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.uint()?).map_err(|_| DecodeError::Corrupt)?;
        if n > self.bytes.len() - self.at {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let raw = self.take(n)?;
        std::str::from_utf8(raw).map(str::to_owned).map_err(|_| DecodeError::Corrupt)
    }

    fn optional_string(&mut self) -> Result<Option<String>, DecodeError> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err(DecodeError::Corrupt),
        }
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
                etag: Some("\"abc\"".into()),
                last_modified: None,
                content_type: Some("text/html".into()),
            },
            captured: vec![
                Captured { scope: Scope::Everything, hard: "h0".into(), any: "a0".into() },
                Captured { scope: Scope::Tag("articles".into()), hard: "h1".into(), any: "a1".into() },
            ],
            value: Bytes::from_static(b"<p>hello</p>"),
        }
    }

    #[test]
    fn round_trips() {
        let e = sample();
        assert_eq!(Envelope::decode(&e.encode()).unwrap(), e);
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
