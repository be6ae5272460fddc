//! The purge body: a JSON object naming what to invalidate.
//!
//! ```json
//! {"tags": ["articles", "article:hello"], "keys": ["/"], "urls": ["https://example.com/a"],
//!  "prefixes": ["/blog/"], "everything": false, "mode": "soft"}
//! ```
//! Every field is optional, but at least one must name something; lists present must be
//! non-empty; unknown fields are refused (a typo must not silently purge less).

use serde_json::{Map, Value};

use super::rejection::PurgeError;
use crate::core::cache::Mode;
use crate::core::keys::Scope;

/// Size limits of a purge body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestLimits {
    /// Most items in one list (default 100).
    pub max_items: usize,
    /// Longest key, URL or prefix, in bytes (default 2048).
    pub max_key_bytes: usize,
    /// Longest tag, in bytes (default 128).
    pub max_tag_bytes: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self { max_items: 100, max_key_bytes: 2048, max_tag_bytes: 128 }
    }
}

/// A parsed purge request.
///
/// ```
/// use edgecache::core::purge::{PurgeRequest, RequestLimits};
/// let req = PurgeRequest::new().tag("articles").tag("article:hello").soft();
/// let parsed = PurgeRequest::parse(req.to_json().as_bytes(), &RequestLimits::default()).unwrap();
/// assert_eq!(parsed, req);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct PurgeRequest {
    /// Cache keys.
    pub keys: Vec<String>,
    /// URLs, mapped to cache keys by the front that serves them.
    pub urls: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Key prefixes ending in `/` or `:`.
    pub prefixes: Vec<String>,
    /// Everything in the cache's key space.
    pub everything: bool,
    /// Hard (default) or soft.
    pub mode: Mode,
}

const LISTS: [&str; 4] = ["keys", "urls", "tags", "prefixes"];

impl PurgeRequest {
    /// An empty request; add to it.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }
    /// Adds a URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.urls.push(url.into());
        self
    }
    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
    /// Adds a prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }
    /// Purges everything.
    pub fn everything(mut self) -> Self {
        self.everything = true;
        self
    }
    /// Makes it soft.
    pub fn soft(mut self) -> Self {
        self.mode = Mode::Soft;
        self
    }

    /// The canonical JSON body (empty lists and defaults left out).
    #[must_use]
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// [`to_json`](Self::to_json) as a JSON value (a receipt's `purged`).
    pub(crate) fn to_value(&self) -> Value {
        let mut object = Map::new();
        for (name, list) in LISTS.iter().zip([&self.keys, &self.urls, &self.tags, &self.prefixes]) {
            if !list.is_empty() {
                object.insert((*name).into(), Value::from(list.clone()));
            }
        }
        if self.everything {
            object.insert("everything".into(), Value::Bool(true));
        }
        if self.mode == Mode::Soft {
            object.insert("mode".into(), Value::from("soft"));
        }
        Value::Object(object)
    }

    /// Parses and checks a body (already verified: parsing never happens before the signature
    /// check).
    pub fn parse(body: &[u8], limits: &RequestLimits) -> Result<Self, PurgeError> {
        let text = std::str::from_utf8(body).map_err(|_| PurgeError::BodyNotJson)?;
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
            return Err(PurgeError::BodyNotJson);
        };
        let mut request = Self::default();
        for (field, value) in object {
            match field.as_str() {
                "keys" | "urls" | "tags" | "prefixes" => {
                    let max_len = if field == "tags" { limits.max_tag_bytes } else { limits.max_key_bytes };
                    let list = string_list(&field, value, limits.max_items, max_len)?;
                    *request.list_mut(&field) = list;
                }
                "everything" => request.everything = value.as_bool().ok_or(PurgeError::WrongType(field))?,
                "mode" => {
                    request.mode = match value.as_str() {
                        Some("hard") => Mode::Hard,
                        Some("soft") => Mode::Soft,
                        _ => return Err(PurgeError::WrongType(field)),
                    }
                }
                _ => return Err(PurgeError::UnknownField(field)),
            }
        }
        if request.is_empty() {
            return Err(PurgeError::EmptyRequest);
        }
        Ok(request)
    }

    fn list_mut(&mut self, field: &str) -> &mut Vec<String> {
        match field {
            "keys" => &mut self.keys,
            "urls" => &mut self.urls,
            "tags" => &mut self.tags,
            _ => &mut self.prefixes,
        }
    }

    fn scope_count(&self) -> usize {
        self.keys.len() + self.urls.len() + self.tags.len() + self.prefixes.len() + usize::from(self.everything)
    }

    /// Whether it names nothing to purge (the endpoint refuses it: `empty_request`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scope_count() == 0
    }

    /// The scopes to invalidate; `url_key` maps a URL to its cache key.
    pub fn scopes(&self, url_key: impl Fn(&str) -> Result<String, String>) -> Result<Vec<Scope>, PurgeError> {
        let mut scopes = Vec::with_capacity(self.scope_count());
        if self.everything {
            scopes.push(Scope::Everything);
        }
        scopes.extend(self.keys.iter().cloned().map(Scope::Key));
        for url in &self.urls {
            let key = url_key(url).map_err(|reason| PurgeError::InvalidItem { field: "urls".into(), reason })?;
            scopes.push(Scope::Key(key));
        }
        scopes.extend(self.tags.iter().cloned().map(Scope::Tag));
        scopes.extend(self.prefixes.iter().cloned().map(Scope::Prefix));
        Ok(scopes)
    }
}

fn string_list(field: &str, value: Value, max_items: usize, max_len: usize) -> Result<Vec<String>, PurgeError> {
    let Value::Array(items) = value else {
        return Err(PurgeError::WrongType(field.into()));
    };
    if items.is_empty() {
        return Err(PurgeError::EmptyList(field.into()));
    }
    if items.len() > max_items {
        return Err(PurgeError::ListTooLong { field: field.into(), len: items.len(), max: max_items });
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) if !s.is_empty() && s.len() <= max_len => Ok(s),
            Value::String(_) => Err(PurgeError::ItemTooLong { field: field.into(), max: max_len }),
            _ => Err(PurgeError::WrongType(field.into())),
        })
        .collect()
}
