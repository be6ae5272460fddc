//! The invalidation log: one KV record per applied invalidation, listed newest first, each
//! expiring after the log TTL.

use base64ct::{Base64, Encoding as _};

use crate::core::clock::Millis;
use crate::core::codec::{DecodeError, Reader, Writer};
use crate::core::keys::Scope;

/// Hard: covered entries are gone. Soft: they are only served stale while being refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Gone at once.
    #[default]
    Hard,
    /// Stale from now on (within each entry's stale-while-revalidate window).
    Soft,
}

impl Mode {
    /// Its byte in the record codec.
    pub(crate) fn byte(self) -> u8 {
        u8::from(self == Self::Soft)
    }

    /// A mode the record codec wrote.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.byte()? {
            0 => Ok(Self::Hard),
            1 => Ok(Self::Soft),
            _ => Err(DecodeError::Corrupt),
        }
    }

    /// The name as serialized: `hard` or `soft`.
    ///
    /// ```
    /// assert_eq!(edgecache::core::Mode::Soft.name(), "soft");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Soft => "soft",
        }
    }
}

/// An invalidation to apply: what, how hard, who asked.
///
/// ```
/// use edgecache::core::{Invalidation, Mode};
/// let purge = Invalidation::tag("articles").and_key("home").soft().by("django").id("msg_1");
/// assert_eq!(purge.mode(), Mode::Soft);
/// assert_eq!(purge.scopes().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Invalidation {
    pub(crate) scopes: Vec<Scope>,
    pub(crate) mode: Mode,
    pub(crate) actor: String,
    pub(crate) request_id: Option<String>,
}

impl Invalidation {
    /// Invalidates the given scopes.
    pub fn of(scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self { scopes: scopes.into_iter().collect(), mode: Mode::Hard, actor: "api".into(), request_id: None }
    }
    /// Every version of one key.
    pub fn key(key: impl Into<String>) -> Self {
        Self::of([Scope::Key(key.into())])
    }
    /// Every entry with a tag.
    pub fn tag(tag: impl Into<String>) -> Self {
        Self::of([Scope::Tag(tag.into())])
    }
    /// Every key under a prefix ending in `/` or `:`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self::of([Scope::Prefix(prefix.into())])
    }
    /// Everything in the key space.
    pub fn everything() -> Self {
        Self::of([Scope::Everything])
    }
    /// Adds a key.
    pub fn and_key(mut self, key: impl Into<String>) -> Self {
        self.scopes.push(Scope::Key(key.into()));
        self
    }
    /// Adds a tag.
    pub fn and_tag(mut self, tag: impl Into<String>) -> Self {
        self.scopes.push(Scope::Tag(tag.into()));
        self
    }
    /// Adds a prefix.
    pub fn and_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.scopes.push(Scope::Prefix(prefix.into()));
        self
    }
    /// Makes it soft.
    pub fn soft(mut self) -> Self {
        self.mode = Mode::Soft;
        self
    }
    /// Sets the mode.
    pub fn mode_of(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }
    /// Who asked (logged).
    pub fn by(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }
    /// The request's id (a `webhook-id`; logged).
    pub fn id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }
    /// The scopes.
    #[must_use]
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }
    /// The mode.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }
    const MAGIC: &'static [u8; 2] = b"EI";

    /// The invalidation as one instance hands it to a purge authority (the record codec,
    /// format 1: mode, actor, request id?, scope count, scopes).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(Self::MAGIC, 1, 16 + self.actor.len() + self.scopes.len() * 24);
        w.out.push(self.mode.byte());
        w.string(&self.actor);
        w.optional_string(self.request_id.as_deref());
        w.uint(self.scopes.len() as u64);
        for scope in &self.scopes {
            w.scope(scope);
        }
        w.out
    }

    /// An invalidation [`encode`](Self::encode) made.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(bytes, Self::MAGIC, 1)?;
        let mode = Mode::read(&mut r)?;
        let actor = r.string()?;
        let request_id = r.optional_string()?;
        let count = r.len()?;
        let scopes = (0..count).map(|_| r.scope()).collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(Self { scopes, mode, actor, request_id })
    }
}

/// What the log keeps of one applied invalidation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct LogRecord {
    /// When it was applied.
    pub at: Millis,
    /// What it covered.
    pub scopes: Vec<Scope>,
    /// Hard or soft.
    pub mode: Mode,
    /// Who asked.
    pub actor: String,
    /// The request's id, if it had one.
    pub request_id: Option<String>,
    /// For version bumps: the new managed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<u64>,
}

impl LogRecord {
    const MAGIC: &'static [u8; 2] = b"EL";
    const FORMAT: u8 = 1;

    /// The stored form: base64 (standard, padded) of the record codec's layout (format 1) —
    /// at, mode (0 hard, 1 soft), actor, request id?, new version? (a 0/1 byte, then the
    /// number), scope count, scopes. Base64 because the log is read with KV's bulk read, which
    /// returns text only.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(Self::MAGIC, Self::FORMAT, 32 + self.actor.len() + self.scopes.len() * 24);
        w.uint(self.at);
        w.out.push(self.mode.byte());
        w.string(&self.actor);
        w.optional_string(self.request_id.as_deref());
        w.out.push(u8::from(self.new_version.is_some()));
        if let Some(version) = self.new_version {
            w.uint(version);
        }
        w.uint(self.scopes.len() as u64);
        for scope in &self.scopes {
            w.scope(scope);
        }
        Base64::encode_string(&w.out).into_bytes()
    }

    pub(crate) fn decode(text: &[u8]) -> Result<Self, DecodeError> {
        let bytes = std::str::from_utf8(text)
            .ok()
            .and_then(|text| Base64::decode_vec(text).ok())
            .ok_or(DecodeError::Foreign)?;
        let mut r = Reader::open(&bytes, Self::MAGIC, Self::FORMAT)?;
        let at = r.uint()?;
        let mode = Mode::read(&mut r)?;
        let actor = r.string()?;
        let request_id = r.optional_string()?;
        let new_version = match r.byte()? {
            0 => None,
            1 => Some(r.uint()?),
            _ => return Err(DecodeError::Corrupt),
        };
        // Bounded by the bytes left, so a corrupt count cannot reserve much.
        let count = r.len()?;
        let scopes = (0..count).map(|_| r.scope()).collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(Self { at, scopes, mode, actor, request_id, new_version })
    }
}

/// The outcome of an applied invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The record as logged.
    pub record: LogRecord,
    /// KV writes the stamps took.
    pub writes: usize,
    /// Whether the log record was written (the invalidation holds either way).
    pub logged: bool,
    /// Its place in a purge authority's order (`None` when applied by a cache on its own).
    pub seq: Option<u64>,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogPage {
    /// Records, newest first.
    pub records: Vec<LogRecord>,
    /// Continue from here.
    pub cursor: Option<String>,
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> LogRecord {
        LogRecord {
            at: 1_764_000_000_123,
            scopes: vec![
                Scope::Everything,
                Scope::Key("post/1".into()),
                Scope::Tag("author:ünï".into()),
                Scope::Prefix("blog/".into()),
            ],
            mode: Mode::Soft,
            actor: "django".into(),
            request_id: Some("msg_1".into()),
            new_version: Some(300),
        }
    }

    #[test]
    fn invalidations_round_trip() {
        let asked = Invalidation::tag("a").and_key("k").soft().by("PUT /k").id("msg_1");
        assert_eq!(Invalidation::decode(&asked.encode()), Ok(asked.clone()));
        assert!(Invalidation::decode(&asked.encode()[..5]).is_err());
    }

    #[test]
    fn round_trips_with_and_without_the_optional_fields() {
        let full = sample();
        assert_eq!(LogRecord::decode(&full.encode()), Ok(full));
        let bare = LogRecord { request_id: None, new_version: None, mode: Mode::Hard, ..sample() };
        assert_eq!(LogRecord::decode(&bare.encode()), Ok(bare));
    }

    /// The record codec's bytes under a stored record's base64.
    fn raw(stored: &[u8]) -> Vec<u8> {
        Base64::decode_vec(std::str::from_utf8(stored).unwrap()).unwrap()
    }

    #[test]
    fn the_stored_form_is_text_for_kv_bulk_reads() {
        // Timestamps and long strings make LEB128 bytes above 0x7f, which are not UTF-8 alone.
        let record = LogRecord { actor: "x".repeat(300), ..sample() };
        let stored = record.encode();
        assert!(stored.iter().all(u8::is_ascii_graphic), "{stored:?}");
        let through_text = String::from_utf8_lossy(&stored).into_owned();
        assert_eq!(LogRecord::decode(through_text.as_bytes()), Ok(record));
    }

    #[test]
    fn every_truncation_and_any_trailing_byte_is_an_error() {
        let text = sample().encode();
        for end in 0..text.len() {
            assert!(LogRecord::decode(&text[..end]).is_err(), "decoded a record cut at {end}");
        }
        let mut longer = raw(&text);
        longer.push(0);
        assert_eq!(LogRecord::decode(Base64::encode_string(&longer).as_bytes()), Err(DecodeError::Corrupt));
    }

    #[test]
    fn json_records_of_earlier_builds_and_entries_are_foreign() {
        let json = br#"{"at":1,"scopes":[{"kind":"tag","value":"a"}],"mode":"hard","actor":"x","request_id":null}"#;
        assert_eq!(LogRecord::decode(json), Err(DecodeError::Foreign));
        let mut wrong_format = raw(&sample().encode());
        wrong_format[2] = 9;
        assert_eq!(
            LogRecord::decode(Base64::encode_string(&wrong_format).as_bytes()),
            Err(DecodeError::UnknownFormat(9))
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = LogRecord::decode(&bytes);
        }

        #[test]
        fn mutated_records_never_panic(pos in 0usize..64, byte in any::<u8>()) {
            let mut bytes = raw(&sample().encode());
            let at = pos % bytes.len();
            bytes[at] = byte;
            let _ = LogRecord::decode(Base64::encode_string(&bytes).as_bytes());
        }
    }
}
