//! The KV key scheme. Every key lives under `{namespace}:{generation}/`, followed by a one-letter
//! kind, so user keys can never meet internal ones:
//!
//! | kind | key | value |
//! |---|---|---|
//! | entry | `e/{key}@v{version}` | the envelope |
//! | stamps | `s/{scope}/h`, `s/{scope}/a` | hard and any-purge stamps of a scope |
//! | index | `i/{tag}/{key}@v{version}` | empty: "this entry carries this tag" |
//! | log | `l/{inverted time}-{random}` | one invalidation record |
//! | replay | `r/{request id}` | the receipt of an applied purge |
//! | feed | `f/{sequence}`, `f/head` | a purge authority's changes, its last sequence |
//!
//! Scopes are `*` (everything), `k:{key}`, `t:{tag}` and `p:{prefix}`. User text is escaped
//! byte-wise (`%`, `/`, `@`, `~`, `*` and control characters become `%XX`), which preserves
//! prefixes, so listing `e/{escaped prefix}` finds every entry under a key prefix. Text too long
//! for KV's 512-byte keys keeps a readable head and ends in `~` plus the SHA-256 of the whole
//! escaped text; `~` never appears unescaped otherwise, so a shortened key cannot equal another.

use std::borrow::Cow;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::core::store::MAX_KEY_BYTES;

/// What an invalidation covers, and what an entry records stamps for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
#[non_exhaustive]
pub enum Scope {
    /// Every entry of the key space.
    Everything,
    /// Every version of one key.
    Key(String),
    /// Every entry carrying a tag.
    Tag(String),
    /// Every key starting with a prefix that ends at a segment separator (`/` or `:`).
    Prefix(String),
}

impl Scope {
    /// The kind's name as serialized: `everything`, `key`, `tag` or `prefix`.
    ///
    /// ```
    /// use edgecache::core::Scope;
    /// assert_eq!(Scope::Tag("a".into()).kind(), "tag");
    /// assert_eq!(Scope::Everything.text(), None);
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Everything => "everything",
            Self::Key(_) => "key",
            Self::Tag(_) => "tag",
            Self::Prefix(_) => "prefix",
        }
    }

    /// The key, tag or prefix as an owned string; empty for [`Scope::Everything`].
    pub(crate) fn into_text(self) -> String {
        match self {
            Self::Everything => String::new(),
            Self::Key(text) | Self::Tag(text) | Self::Prefix(text) => text,
        }
    }

    /// The key, tag or prefix; `None` for [`Scope::Everything`].
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Everything => None,
            Self::Key(text) | Self::Tag(text) | Self::Prefix(text) => Some(text),
        }
    }
}

/// `everything`, or the kind and the text in quotes: `tag "articles"`.
impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text() {
            Some(text) => write!(f, "{} \"{text}\"", self.kind()),
            None => f.write_str(self.kind()),
        }
    }
}

/// Characters that end a key segment; prefix purges must end on one. ASCII: [`segment_prefixes`]
/// finds them byte-wise.
pub(crate) const SEGMENT_SEPARATORS: [char; 2] = ['/', ':'];
const _: () = assert!(SEGMENT_SEPARATORS[0].is_ascii() && SEGMENT_SEPARATORS[1].is_ascii());
/// How many leading segments of a key get a prefix scope.
pub(crate) const MAX_PREFIX_DEPTH: usize = 8;

/// The prefixes of `key` that a prefix purge can name: each ends just after a separator
/// (`a/b/c` → `a/`, `a/b/`), at most [`MAX_PREFIX_DEPTH`]. A key that ends with a separator is
/// one of its own prefixes (`/blog/` → `/`, `/blog/`): purging the prefix `/blog/` reaches the
/// page `/blog/` too, as it reaches every key starting with it.
pub(crate) fn segment_prefixes(key: &str) -> impl Iterator<Item = &str> {
    // Byte-wise (the separators are ASCII, which UTF-8 never uses inside another character), not
    // by a `char` pattern, which decodes every character. `get`, not indexing: the end is
    // always a char boundary, and indexing would link the str-slicing panic's formatting (char
    // and range `Debug`) into the wasm.
    let separators = SEGMENT_SEPARATORS.map(|c| c as u8);
    let ends = key.bytes().enumerate().filter(move |(_, b)| separators.contains(b)).map(|(i, _)| i + 1);
    ends.filter_map(|end| key.get(..end)).take(MAX_PREFIX_DEPTH)
}

/// Builds the KV keys of one key space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpace {
    root: String,
}

const HASH_SUFFIX_BYTES: usize = 1 + 64;
/// Room kept for the fixed parts around user text (kind, separators, `@v` and a u64).
const TAG_BUDGET: usize = 160;

impl KeySpace {
    /// The key space `{namespace}:{generation}/`. Both are checked by the builder to be short
    /// `[A-Za-z0-9_-]` words.
    #[must_use]
    pub fn new(namespace: &str, generation: &str) -> Self {
        Self { root: format!("{namespace}:{generation}/") }
    }

    /// Where the entry for `key` at `version` lives.
    #[must_use]
    pub fn entry(&self, key: &str, version: u64) -> String {
        let budget = MAX_KEY_BYTES - self.root.len() - "e/@v".len() - 20;
        // Escaped straight into the key (one allocation); cut only when too long.
        let mut out = self.under("e/", "", key.len() + 32);
        let start = out.len();
        escape_into(&mut out, key);
        if out.len() - start > budget {
            let cut = fit(out.get(start..).unwrap_or_default(), budget).into_owned();
            out.truncate(start);
            out.push_str(&cut);
        }
        // Version 0, the key set without one, spares the formatter (2 % of a `set`).
        match version {
            0 => out.push_str("@v0"),
            _ => drop(write!(out, "@v{version}")),
        }
        out
    }

    /// `{root}{area}{name}`, with room for `extra` more bytes (keys are built on every call:
    /// one allocation each, not a `format!` per part).
    fn under(&self, area: &str, name: &str, extra: usize) -> String {
        let mut out = String::with_capacity(self.root.len() + area.len() + name.len() + extra);
        out.push_str(&self.root);
        out.push_str(area);
        out.push_str(name);
        out
    }

    /// Every entry key starts with this.
    #[must_use]
    pub fn entries(&self) -> String {
        format!("{}e/", self.root)
    }

    /// Every entry whose key starts with `prefix` has a KV key starting with this (for keys
    /// short enough not to be hashed, which is all but the pathological).
    #[must_use]
    pub fn entries_under(&self, prefix: &str) -> String {
        format!("{}e/{}", self.root, escape(prefix))
    }

    /// The hard and any-purge stamp keys of `scope`.
    #[must_use]
    pub fn stamps(&self, scope: &Scope) -> [String; 2] {
        let (kind, text) = match scope {
            Scope::Everything => ("*", ""),
            Scope::Key(k) => ("k:", k.as_str()),
            Scope::Tag(t) => ("t:", t.as_str()),
            Scope::Prefix(p) => ("p:", p.as_str()),
        };
        let escaped = escape(text);
        let budget = MAX_KEY_BYTES - self.root.len() - "s//h".len();
        let mut hard = if kind.len() + escaped.len() <= budget {
            // The usual case, in one allocation: `{root}s/{kind}{escaped}`.
            let mut out = self.under("s/", kind, escaped.len() + 2);
            out.push_str(&escaped);
            out
        } else {
            self.under("s/", &fit(&format!("{kind}{escaped}"), budget), 2)
        };
        let mut any = hard.clone();
        hard.push_str("/h");
        any.push_str("/a");
        [hard, any]
    }

    /// The membership-index key saying the entry `key@v{version}` carries `tag`.
    #[must_use]
    pub fn index(&self, tag: &str, key: &str, version: u64) -> String {
        let budget = MAX_KEY_BYTES - self.root.len() - TAG_BUDGET - "i//@v".len() - 20;
        format!("{}{}@v{version}", self.index_of(tag), fit(&escape(key), budget))
    }

    /// Every membership-index key of `tag` starts with this.
    #[must_use]
    pub fn index_of(&self, tag: &str) -> String {
        format!("{}i/{}/", self.root, fit(&escape(tag), TAG_BUDGET))
    }

    /// The key and version an index key (under [`index_of`](Self::index_of)) records: the key
    /// unescaped, or as stored when it was too long for KV (a readable head, `~` and a hash).
    #[must_use]
    pub fn member_of_index(&self, tag: &str, index_key: &str) -> Option<(String, u64)> {
        let member = index_key.strip_prefix(&self.index_of(tag))?;
        let (key, version) = member.rsplit_once("@v")?;
        Some((unescape(key), version.parse().ok()?))
    }

    /// The entry an index key (under [`index_of`](Self::index_of)) points at.
    #[must_use]
    pub fn entry_of_index(&self, tag: &str, index_key: &str) -> Option<String> {
        let member = index_key.strip_prefix(&self.index_of(tag))?;
        Some(format!("{}e/{member}", self.root))
    }

    /// A log record key; newer records sort first (by time, then by `seq` within one writer).
    #[must_use]
    pub fn log(&self, at: u64, seq: u64, random: u64) -> String {
        format!("{}l/{:016x}{:016x}-{random:016x}", self.root, u64::MAX - at, u64::MAX - seq)
    }

    /// Where a purge request id is remembered (ids are short printable ASCII, but are escaped
    /// anyway).
    #[must_use]
    pub fn replay(&self, id: &str) -> String {
        format!("{}r/{}", self.root, fit(&escape(id), 128))
    }

    /// The feed record of a purge authority's change number `seq` (in sequence order).
    #[must_use]
    pub fn feed(&self, seq: u64) -> String {
        format!("{}f/{seq:020}", self.root)
    }

    /// Where a purge authority keeps its last sequence number.
    #[must_use]
    pub fn feed_head(&self) -> String {
        format!("{}f/head", self.root)
    }

    /// Every log key starts with this.
    #[must_use]
    pub fn log_records(&self) -> String {
        format!("{}l/", self.root)
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Escapes user text byte-wise; the result contains none of `% / @ ~ *` unescaped.
#[must_use]
pub fn escape(text: &str) -> Cow<'_, str> {
    if next_escaped(text.as_bytes(), 0).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(&mut out, text);
    Cow::Owned(out)
}

/// Whether a character to escape may start with `b`: `% / @ ~ *`, a C0 control or DEL, or
/// 0xC2, the first byte of the C1 controls (and of other characters: [`escaped_len`] decides).
const fn may_start_escaped(b: u8) -> bool {
    matches!(b, b'%' | b'/' | b'@' | b'~' | b'*' | 0..=0x1f | 0x7f | 0xc2)
}

/// How many bytes from `i` on are one character to escape (`% / @ ~ *` or a control character,
/// C0, DEL or C1 — the last two bytes long in UTF-8), else 0.
fn escaped_len(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i) {
        Some(b'%' | b'/' | b'@' | b'~' | b'*' | 0..=0x1f | 0x7f) => 1,
        Some(0xc2) if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => 2,
        _ => 0,
    }
}

/// The first character to escape at or after `from`: where it starts and its length in bytes.
fn next_escaped(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| may_start_escaped(b))?;
        match escaped_len(bytes, at) {
            0 => at += 1,
            n => return Some((at, n)),
        }
    }
}

/// [`escape`] appended to `out`: runs of plain text copied whole, each byte of a character to
/// escape written as `%XX`.
fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut plain = 0;
    while let Some((at, n)) = next_escaped(bytes, plain) {
        // Both ends are char boundaries (an escaped character starts with an ASCII or lead
        // byte); `get` rather than indexing keeps the str-slicing panic out of the wasm.
        out.push_str(text.get(plain..at).unwrap_or_default());
        for &b in bytes.iter().skip(at).take(n) {
            out.push('%');
            out.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(b & 0xf)]));
        }
        plain = at + n;
    }
    out.push_str(text.get(plain..).unwrap_or_default());
}

/// The text [`escape`] was given (`%XX` decoded; anything else kept as it is).
fn unescape(escaped: &str) -> String {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| escaped.to_owned())
}

/// `escaped` if it fits `budget` bytes, else a readable head, `~` and its SHA-256.
fn fit(escaped: &str, budget: usize) -> Cow<'_, str> {
    if escaped.len() <= budget {
        return Cow::Borrowed(escaped);
    }
    // Cut after whole units (a character or a %XX escape), never inside one.
    let limit = budget.saturating_sub(HASH_SUFFIX_BYTES);
    let (mut head, mut units) = (0, escaped.chars());
    while let Some(c) = units.next() {
        let unit = if c == '%' { 3 } else { c.len_utf8() };
        if head + unit > limit {
            break;
        }
        head += unit;
        if c == '%' {
            units.nth(1); // the escape's two hex digits
        }
    }
    let digest = Sha256::digest(escaped.as_bytes());
    let mut out = String::with_capacity(head + HASH_SUFFIX_BYTES);
    // `get` (head is a char boundary) rather than indexing: see `segment_prefixes`.
    out.push_str(escaped.get(..head).unwrap_or_default());
    out.push('~');
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    Cow::Owned(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout_is_as_documented() {
        let ks = KeySpace::new("site", "3");
        assert_eq!(ks.entry("article:1", 2), "site:3/e/article:1@v2");
        assert_eq!(ks.entry("a/b@c", 0), "site:3/e/a%2Fb%40c@v0");
        assert_eq!(ks.entry("k", 10), "site:3/e/k@v10");
        assert_eq!(ks.entry("k", u64::MAX), "site:3/e/k@v18446744073709551615");
        assert_eq!(ks.stamps(&Scope::Tag("x".into())), ["site:3/s/t:x/h".to_owned(), "site:3/s/t:x/a".to_owned()]);
        assert_eq!(ks.stamps(&Scope::Everything)[0], "site:3/s/*/h");
        assert_eq!(ks.index("t/1", "k", 0), "site:3/i/t%2F1/k@v0");
        assert_eq!(ks.entry_of_index("t/1", "site:3/i/t%2F1/k@v0").as_deref(), Some("site:3/e/k@v0"));
        assert!(ks.log(10, 1, 1) < ks.log(9, 1, 1), "newer log records sort first");
        assert!(ks.log(10, 2, 9) < ks.log(10, 1, 1), "and later ones of the same millisecond");
    }

    #[test]
    fn index_keys_give_back_their_key_and_version() {
        let keys = KeySpace::new("ns", "0");
        for key in ["/blog/2026/a?b=1", "article:7", "100%/~@*\u{1}é"] {
            let index = keys.index("t/1", key, 3);
            assert_eq!(keys.member_of_index("t/1", &index), Some((key.to_owned(), 3)));
        }
        let long = "x".repeat(600);
        let (shortened, _) = keys.member_of_index("t", &keys.index("t", &long, 0)).unwrap();
        assert!(shortened.contains('~') && shortened.len() < 600);
        assert_eq!(keys.member_of_index("t", &keys.index("u", "k", 0)), None, "another tag's index");
    }

    #[test]
    fn segment_prefixes_end_at_separators() {
        let prefixes = |key| segment_prefixes(key).collect::<Vec<_>>();
        assert_eq!(prefixes("article:42:v3"), ["article:", "article:42:"]);
        assert_eq!(prefixes("/blog/post/"), ["/", "/blog/", "/blog/post/"]);
        assert_eq!(prefixes("/"), ["/"]);
        assert!(prefixes("plain").is_empty());
        assert_eq!(prefixes(&"a/".repeat(20)).len(), MAX_PREFIX_DEPTH);
    }

    #[test]
    fn long_keys_are_hashed_within_the_kv_limit() {
        let ks = KeySpace::new("n".repeat(32).as_str(), "g".repeat(16).as_str());
        let long = "é/".repeat(400);
        let a = ks.entry(&long, u64::MAX);
        let b = ks.entry(&format!("{long}x"), u64::MAX);
        assert!(a.len() <= MAX_KEY_BYTES && b.len() <= MAX_KEY_BYTES);
        assert_ne!(a, b);
        assert!(a.contains('~'));
        assert!(ks.index(&"t".repeat(300), &long, u64::MAX).len() <= MAX_KEY_BYTES);
        assert!(ks.stamps(&Scope::Prefix(long)).iter().all(|k| k.len() <= MAX_KEY_BYTES));
    }

    proptest! {
        #[test]
        fn segment_prefixes_end_after_each_separator_character(key in "[a/:é𝄞]{0,40}") {
            let by_char: Vec<&str> = key
                .char_indices()
                .filter(|(_, c)| SEGMENT_SEPARATORS.contains(c))
                .map(|(i, c)| &key[..i + c.len_utf8()])
                .take(MAX_PREFIX_DEPTH)
                .collect();
            prop_assert_eq!(segment_prefixes(&key).collect::<Vec<_>>(), by_char);
        }

        #[test]
        fn distinct_keys_never_share_a_kv_key(a in ".{0,300}", b in ".{0,300}", va in 0u64..3, vb in 0u64..3) {
            let ks = KeySpace::new("ns", "0");
            prop_assume!((a.as_str(), va) != (b.as_str(), vb));
            prop_assert_ne!(ks.entry(&a, va), ks.entry(&b, vb));
            prop_assert!(ks.entry(&a, va).len() <= MAX_KEY_BYTES);
        }

        #[test]
        fn long_keys_are_cut_after_whole_units(text in "[a/é%~𝄞]{600,1500}", budget in 100usize..1000) {
            let escaped = escape(&text);
            let fitted = fit(&escaped, budget);
            let head = fitted.rsplit_once('~').map_or(&*fitted, |(head, _)| head);
            prop_assert!(fitted.len() <= budget);
            prop_assert!(escaped.starts_with(head));
            // Never inside a %XX escape: the last `%` of the head has its two digits.
            if let Some(at) = head.rfind('%') {
                prop_assert!(head.len() >= at + 3, "cut inside an escape: {head:?}");
            }
        }

        #[test]
        fn escaping_matches_the_character_wise_definition(text in "(.|[%/@~*\u{0}-\u{1f}\u{7f}-\u{a0}])*") {
            // Each character that is one of `% / @ ~ *` or a control character (Cc), every byte
            // of its UTF-8 as %XX; everything else as it is.
            let mut expected = String::new();
            for c in text.chars() {
                if matches!(c, '%' | '/' | '@' | '~' | '*') || c.is_control() {
                    for b in c.to_string().bytes() {
                        expected.push_str(&format!("%{b:02X}"));
                    }
                } else {
                    expected.push(c);
                }
            }
            prop_assert_eq!(&*escape(&text), expected.as_str());
            prop_assert_eq!(unescape(&expected), text);
        }

        #[test]
        fn escaping_preserves_prefixes(a in ".{0,40}", b in ".{0,40}") {
            let joined = format!("{a}{b}");
            prop_assert!(escape(&joined).starts_with(&*escape(&a)));
        }

        #[test]
        fn scopes_of_different_kinds_never_share_stamps(text in ".{0,50}") {
            let ks = KeySpace::new("ns", "0");
            let all = [Scope::Key(text.clone()), Scope::Tag(text.clone()), Scope::Prefix(text), Scope::Everything];
            let keys: std::collections::HashSet<_> = all.iter().map(|s| ks.stamps(s)[0].clone()).collect();
            prop_assert_eq!(keys.len(), 4);
        }
    }
}
