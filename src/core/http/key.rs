//! Cache keys for HTTP requests: the path and query of the URL, so keys read like the site's
//! own URLs and prefix purges (`/blog/`) work on them. The host is the worker's own.

/// The cache key of a request URL: its path (never empty) and query. Fragments are dropped;
/// nothing else is rewritten, so two spellings of one resource are two entries (safe, merely
/// less shared).
///
/// ```
/// use edgecache::core::http::cache_key;
/// assert_eq!(cache_key("https://example.com/blog/a?x=1#top"), Some("/blog/a?x=1".to_owned()));
/// assert_eq!(cache_key("https://example.com"), Some("/".to_owned()));
/// assert_eq!(cache_key("/relative"), None);
/// ```
#[must_use]
pub fn cache_key(url: &str) -> Option<String> {
    let rest = after_scheme(url)?;
    let path_and_query = match rest.find('/') {
        Some(i) => &rest[i..],
        None => match rest.find('?') {
            Some(i) => return Some(format!("/{}", rest[i..].split('#').next().unwrap_or(""))),
            None => "/",
        },
    };
    let without_fragment = path_and_query.split('#').next().unwrap_or("/");
    Some(if without_fragment.is_empty() { "/".to_owned() } else { without_fragment.to_owned() })
}

/// What follows `scheme://` in an absolute URL, if it is one. A byte search, not a substring
/// search: it runs on every request.
///
/// ```
/// use edgecache::core::http::after_scheme;
/// assert_eq!(after_scheme("https://example.com/a?b"), Some("example.com/a?b"));
/// assert_eq!(after_scheme("/a"), None);
/// ```
#[must_use]
pub fn after_scheme(url: &str) -> Option<&str> {
    let at = url.as_bytes().windows(3).position(|w| w == b"://")?;
    url.get(at + 3..)
}
