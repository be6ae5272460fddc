//! Requests that bypass the cache: proxied as they are, and, for unsafe methods that succeed,
//! invalidating what they changed (RFC 9111 §4.4).

use std::rc::Rc;

use worker::{Response, ResponseBuilder};

use super::convert::{header_list, origin_request, path_of, platform_headers, respond_error, Answer, PlatformUrl};
use super::origin::{fetch_with_timeout, origin_failed};
use super::state::State;
use crate::core::http::{cache_key, end_to_end, header, CacheStatus};
use crate::core::Invalidation;

/// Proxies any request without the cache. Unsafe methods that succeed invalidate the URL and
/// the `Location` / `Content-Location` they name on this host.
pub async fn pass_through(request: worker::Request, state: Rc<State>, detail: &str) -> worker::Result<Answer> {
    let method = super::convert::raw_method(request.inner());
    let url = request.inner().url();
    let client = header_list(request.headers());
    let path = cache_key(&url).unwrap_or_else(|| "/".into());
    let body = request.inner().body().map(Into::into);
    let origin = origin_request(&format!("{}{}", state.config.origin, path), &method, &client, body)?;
    let response = match fetch_with_timeout(origin, state.config.origin_timeout).await {
        Ok(response) => response,
        Err(e) => return origin_failed(&e),
    };
    let safe = matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE");
    let mut status = CacheStatus::forward(if safe { "bypass" } else { "method" }).fwd_status(response.status_code());
    if !detail.is_empty() {
        status = status.detail(detail.to_owned());
    }
    if !safe && response.status_code() < 400 {
        let host = PlatformUrl::parse(&url).map(|u| u.host_name()).unwrap_or_default();
        let response_headers = header_list(response.headers());
        let mut request =
            Invalidation::key(path.clone()).by(format!("{method} {}", path_of(&url).split('?').next().unwrap_or("/")));
        for name in ["location", "content-location"] {
            let Some(target) = header(&response_headers, name) else {
                continue;
            };
            let same_host =
                target.starts_with('/') || PlatformUrl::parse(target).is_some_and(|t| t.host_name() == host);
            let key = if target.starts_with('/') { Some(target.to_owned()) } else { cache_key(target) };
            if let (true, Some(key)) = (same_host, key) {
                request = request.and_key(key);
            }
        }
        status = match state.invalidate(request).await {
            Ok(()) => status.detail("invalidated"),
            Err(e) => {
                worker::console_error!("edgecache: invalidation after {method} failed: {e}");
                status.detail("invalidation-failed")
            }
        };
    }
    forward(response, &status)
}

/// A streamed origin response with edge-only and hop-by-hop headers removed.
pub fn forward(response: Response, status: &CacheStatus) -> worker::Result<Answer> {
    let code = response.status_code();
    if !(200..=599).contains(&code) {
        return respond_error(502, "bad_origin_status", &format!("origin answered status {code}"));
    }
    let cache_status = status.header();
    let kept = end_to_end(&header_list(response.headers()));
    let headers = platform_headers(
        kept.iter()
            .filter(|(name, _)| name != "cache-status")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain([("cache-status", cache_status.as_str())]),
    )?;
    let (_, body) = response.into_parts();
    Ok(ResponseBuilder::new().with_status(code).with_headers(headers).body(body).into())
}
