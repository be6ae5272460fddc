//! Cache-Control-style directive lists (`Cache-Control`, `CDN-Cache-Control`,
//! `Surrogate-Control`): comma-separated `name[=value]`, values possibly quoted.

/// Parsed directives, names lower-cased, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives(Vec<(String, Option<String>)>);

impl Directives {
    /// Parses a header value (repeated headers arrive joined with ", ", which parses the same).
    ///
    /// ```
    /// use edgecache::core::http::Directives;
    /// let d = Directives::parse(r#"public, max-age=60, no-cache="set-cookie""#);
    /// assert_eq!(d.seconds("max-age"), Some(60));
    /// assert!(d.has("no-cache"));
    /// ```
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let mut out = Vec::new();
        let mut rest = value;
        while !rest.is_empty() {
            let (item, tail) = split_item(rest);
            rest = tail;
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim(), Some(unquote(v.trim()))),
                None => (item, None),
            };
            if !name.is_empty() {
                out.push((name.to_ascii_lowercase(), value));
            }
        }
        Self(out)
    }

    /// A targeted cache-control field (`CDN-Cache-Control`, RFC 9213), which must be a
    /// Structured Field Dictionary (RFC 9651): `None` when it is not one, or when a directive
    /// that takes delta-seconds (`max-age`, `s-maxage`, `stale-while-revalidate`,
    /// `stale-if-error`) has anything but a non-negative integer. RFC 9213 §2.1 has the field
    /// ignored whole when it does not parse; a mistyped lifetime is treated the same way here,
    /// so a malformed field can never override the origin's `Cache-Control` (a `no-store`
    /// there, say). A flag set to `?0` is absent.
    ///
    /// ```
    /// use edgecache::core::http::Directives;
    /// let d = Directives::parse_targeted("max-age=600, stale-while-revalidate=30").unwrap();
    /// assert_eq!((d.seconds("max-age"), d.seconds("stale-while-revalidate")), (Some(600), Some(30)));
    /// assert!(Directives::parse_targeted("max-age=10000, &&&&&").is_none());
    /// assert!(Directives::parse_targeted(r#"max-age="60""#).is_none());
    /// ```
    #[must_use]
    pub fn parse_targeted(value: &str) -> Option<Self> {
        const DELTA_SECONDS: [&str; 4] = ["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"];
        let dictionary = sfv::Parser::new(value).parse::<sfv::Dictionary>().ok()?;
        let mut out = Vec::with_capacity(dictionary.len());
        for (name, member) in &dictionary {
            let name = name.as_str();
            let bare = match member {
                sfv::ListEntry::Item(item) => Some(&item.bare_item),
                sfv::ListEntry::InnerList(_) => None,
            };
            let value = match bare {
                Some(sfv::BareItem::Integer(n)) if i64::from(*n) >= 0 => Some(i64::from(*n).to_string()),
                _ if DELTA_SECONDS.contains(&name) => return None,
                Some(sfv::BareItem::Boolean(false)) => continue,
                Some(sfv::BareItem::String(text)) => Some(text.as_str().to_owned()),
                Some(sfv::BareItem::Token(token)) => Some(token.as_str().to_owned()),
                _ => None,
            };
            out.push((name.to_owned(), value));
        }
        Some(Self(out))
    }

    /// Whether the directive is present.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// A delta-seconds directive's value; the first occurrence wins. Anything but plain digits
    /// reads as 0 (RFC 9111 §1.2.2: an invalid value is treated as stale); absurd values are
    /// capped at 2^31 seconds.
    #[must_use]
    pub fn seconds(&self, name: &str) -> Option<u64> {
        let (_, value) = self.0.iter().find(|(n, _)| n == name)?;
        let value = value.as_deref().unwrap_or("");
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Some(0);
        }
        Some(value.parse::<u64>().unwrap_or(u64::MAX).min(1 << 31))
    }

    /// Whether no directive was given.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn split_item(text: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return (&text[..i], &text[i + 1..]),
            _ => {}
        }
    }
    (text, "")
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_usual_shapes() {
        let d = Directives::parse("Public, S-MaxAge=300 , max-age=\"60\", private=\"a, b\", stale-if-error=86400");
        assert!(d.has("public"));
        assert_eq!(d.seconds("s-maxage"), Some(300));
        assert_eq!(d.seconds("max-age"), Some(60));
        assert_eq!(d.seconds("stale-if-error"), Some(86_400));
        assert!(d.has("private"));
        assert_eq!(d.seconds("no-such"), None);
        assert_eq!(Directives::parse("max-age=-1").seconds("max-age"), Some(0));
        assert_eq!(Directives::parse("max-age=1e3").seconds("max-age"), Some(0));
        assert_eq!(Directives::parse("max-age=99999999999999999999").seconds("max-age"), Some(1 << 31));
        assert_eq!(Directives::parse("max-age=5, max-age=10").seconds("max-age"), Some(5));
        assert!(Directives::parse(" , ,").is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,200}") {
            let d = Directives::parse(&text);
            let _ = d.seconds("max-age");
        }
    }
}
