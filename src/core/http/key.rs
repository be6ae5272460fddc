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
    let (_, rest) = url.split_once("://")?;
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
