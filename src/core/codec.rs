//! The byte encoding edgecache's stored records share: a two-byte magic and a format byte, then
//! LEB128 integers, length-prefixed UTF-8 strings, optional strings (a 0/1 byte first) and
//! scopes (a kind byte and a string). Reading never panics: anything truncated, corrupt or
//! foreign is a [`DecodeError`].
//!
//! Hand-written rather than serde: a serde deserializer was a fifth of the npm wasm, and these
//! records have a handful of fields that never change shape within a format.

use crate::core::keys::Scope;

/// Why a stored value could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not an edgecache record (other bytes under our key).
    #[error("not an edgecache entry")]
    Foreign,
    /// A record from a newer (or unknown) format.
    #[error("unknown entry format {0}")]
    UnknownFormat(u8),
    /// Shorter than its own lengths say.
    #[error("entry is truncated")]
    Truncated,
    /// Structurally invalid (bad UTF-8, absurd counts, trailing bytes, unknown scope kind).
    #[error("entry is corrupt")]
    Corrupt,
}

/// Appends one record's fields.
pub(crate) struct Writer {
    pub out: Vec<u8>,
}

impl Writer {
    /// A record of `capacity` bytes after the magic and format (its exact size keeps a stored
    /// record from holding unused capacity).
    pub fn new(magic: &[u8; 2], format: u8, capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity + 3);
        out.extend_from_slice(magic);
        out.push(format);
        Self { out }
    }

    pub fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.out.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.out.push(n as u8);
    }

    pub fn string(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    pub fn optional_string(&mut self, s: Option<&str>) {
        match s {
            Some(text) => {
                self.out.push(1);
                self.string(text);
            }
            None => self.out.push(0),
        }
    }

    pub fn scope(&mut self, scope: &Scope) {
        let (kind, text) = match scope {
            Scope::Everything => (0u8, ""),
            Scope::Key(k) => (1, k.as_str()),
            Scope::Tag(t) => (2, t.as_str()),
            Scope::Prefix(p) => (3, p.as_str()),
        };
        self.out.push(kind);
        self.string(text);
    }
}

/// Bytes [`Writer::uint`] takes for `n`.
pub(crate) fn uint_len(n: u64) -> usize {
    (64 - (n | 1).leading_zeros() as usize).div_ceil(7)
}

/// Bytes [`Writer::string`] takes for `s`.
pub(crate) fn string_len(s: &str) -> usize {
    uint_len(s.len() as u64) + s.len()
}

/// Reads one record's fields in the order they were written.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    /// Checks the magic and the format; the reader then stands on the first field.
    pub fn open(bytes: &'a [u8], magic: &[u8; 2], format: u8) -> Result<Self, DecodeError> {
        Self::open_any(bytes, magic, format..=format).map(|(reader, _)| reader)
    }

    /// [`open`](Self::open) for a record whose older formats are still read: the format found.
    pub fn open_any(
        bytes: &'a [u8],
        magic: &[u8; 2],
        formats: std::ops::RangeInclusive<u8>,
    ) -> Result<(Self, u8), DecodeError> {
        let mut reader = Self { bytes, at: 0 };
        if reader.take(2).map_err(|_| DecodeError::Foreign)? != magic {
            return Err(DecodeError::Foreign);
        }
        let found = reader.byte()?;
        if !formats.contains(&found) {
            return Err(DecodeError::UnknownFormat(found));
        }
        Ok((reader, found))
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(DecodeError::Truncated)?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    pub fn uint(&mut self) -> Result<u64, DecodeError> {
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

    /// A length or count no larger than the bytes left (each item takes at least one byte).
    pub fn len(&mut self) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.uint()?).map_err(|_| DecodeError::Corrupt)?;
        if n > self.bytes.len() - self.at {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    pub fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let raw = self.take(n)?;
        std::str::from_utf8(raw).map(str::to_owned).map_err(|_| DecodeError::Corrupt)
    }

    pub fn optional_string(&mut self) -> Result<Option<String>, DecodeError> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err(DecodeError::Corrupt),
        }
    }

    pub fn scope(&mut self) -> Result<Scope, DecodeError> {
        let kind = self.byte()?;
        let text = self.string()?;
        Ok(match kind {
            0 if text.is_empty() => Scope::Everything,
            1 => Scope::Key(text),
            2 => Scope::Tag(text),
            3 => Scope::Prefix(text),
            _ => return Err(DecodeError::Corrupt),
        })
    }

    /// Nothing may follow the last field.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(DecodeError::Corrupt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_what_the_writer_writes() {
        for n in [0, 1, 127, 128, 16_383, 16_384, 1 << 35, u64::MAX - 1, u64::MAX] {
            let mut w = Writer { out: Vec::new() };
            w.uint(n);
            assert_eq!(w.out.len(), uint_len(n), "{n}");
        }
        let mut w = Writer { out: Vec::new() };
        w.string(&"é".repeat(100));
        assert_eq!(w.out.len(), string_len(&"é".repeat(100)));
    }
}
