//! The control endpoints under `/_edgecache/`: purge (signed), log (signed), stats, tags.

use std::rc::Rc;

use super::convert::{
    body_at_most, header_list, page_of, raw_method, respond_error, respond_json, Answer, PlatformUrl,
};
use super::feed::AuthorityLink;
use super::purge::purge_answer;
use super::state::State;
use super::store::EdgeStore;
use crate::core::http::{header, HeaderList};
use crate::core::purge::{SignedHeaders, VerifyLimits};
use crate::core::{Cache, Clock};
use crate::platform::JsClock;

/// The header carrying a signed read's target (what its signature signs) from an isolate to the
/// purge authority.
pub(super) const READ_HEADER: &str = "edgecache-read";

/// The size of this isolate's wasm linear memory (it only grows: its high-water mark).
fn wasm_memory_bytes() -> u32 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

/// Answers a request under `/_edgecache/`.
pub async fn handle(mut request: worker::Request, state: Rc<State>) -> worker::Result<Answer> {
    let url = PlatformUrl::of(request.inner())?;
    let method = raw_method(request.inner());
    match (method.as_str(), url.path().as_str()) {
        ("POST", "/_edgecache/purge") => purge(&mut request, &state).await,
        ("GET", "/_edgecache/log") => log(&request, &state, &url).await,
        ("GET", "/_edgecache/tagged") => tagged(&request, &state, &url).await,
        ("GET", "/_edgecache/stats") => {
            let stats = state.cache.stats();
            let link = state.authority.as_ref().map(|link| link.stats(&state.cache));
            respond_json(
                200,
                &serde_json::json!({
                    "stats": stats,
                    "memory_bytes": state.cache.store().memory_bytes(),
                    "wasm_memory_bytes": wasm_memory_bytes(),
                    "namespace": state.config.namespace,
                    "deploy_version": state.config.deploy_version,
                    "stamps": link.as_ref().map_or("kv", |l| l.stamps),
                    "authority": link,
                    "staleness_bound_ms": state.staleness_bound().as_millis() as u64,
                }),
            )
        }
        ("GET", "/_edgecache/tags") if state.config.tags_endpoint => tags(&state, &url).await,
        (_, "/_edgecache/purge" | "/_edgecache/log" | "/_edgecache/tagged" | "/_edgecache/stats") => {
            respond_error(405, "method_not_allowed", "see the README for the control endpoints")
        }
        _ => respond_error(404, "not_found", "unknown control endpoint"),
    }
}

async fn purge(request: &mut worker::Request, state: &State) -> worker::Result<Answer> {
    let headers = header_list(request.headers());
    // Refuse an announced oversized body before reading it.
    let limit = VerifyLimits::default().max_body_bytes;
    if let Some(len) =
        header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok()).filter(|len| *len > limit)
    {
        return respond_error(413, "body_too_large", &format!("body of {len} bytes exceeds {limit}"));
    }
    // Read at most the limit, whatever the body declares (a chunked body declares nothing).
    let Ok(Some(body)) = body_at_most(request.inner(), limit).await else {
        return respond_error(413, "body_too_large", &format!("body exceeds {limit} bytes"));
    };
    if let Some(link) = &state.authority {
        // The authority verifies, orders, applies and remembers it; this isolate reads the
        // feed before answering, so that its own answers reflect the purge at once.
        let forwarded: HeaderList =
            headers.iter().filter(|(n, _)| n.starts_with("webhook-") || n == "content-type").cloned().collect();
        let request = AuthorityLink::request("/purge", &forwarded, Some(&body))?;
        return match link.call(request).await {
            Ok(response) => {
                link.read(&state.cache).await;
                Ok(response.into())
            }
            Err(e) => respond_error(503, "authority_unavailable", &format!("{e}; nothing was applied, retry")),
        };
    }
    let signed = SignedHeaders::from_list(&headers);
    purge_answer(state.purge.handle(&state.cache, &signed, &body, JsClock.now_ms()).await)
}

/// Refuses a read of the log or the tag index (they reveal keys) unless signed like a purge over
/// its method and target (`GET /_edgecache/log?limit=10`) with an id not used before (see
/// `PurgeEndpoint::admit_read`). With the purge authority, it checks (its replay set is the one
/// that counts); the answer is then the authority's.
async fn admitted(request: &worker::Request, state: &State, url: &PlatformUrl) -> Option<worker::Result<Answer>> {
    if state.authority.is_some() {
        return None;
    }
    let headers = header_list(request.headers());
    let signed = SignedHeaders::from_list(&headers);
    let admitted = state.purge.admit_read(&signed, "GET", &url.target(), JsClock.now_ms()).await;
    admitted.err().map(|e| respond_error(e.http_status(), e.code(), &e.to_string()))
}

/// The invalidation log, newest first (signed).
async fn log(request: &worker::Request, state: &State, url: &PlatformUrl) -> worker::Result<Answer> {
    if let Some(refused) = admitted(request, state, url).await {
        return refused;
    }
    match &state.authority {
        Some(link) => from_authority(link, request, "/log", url, &["limit", "cursor"]).await,
        None => log_answer(&state.cache, url, "kv_unavailable").await,
    }
}

/// A page of `cache`'s log for `?limit=&cursor=` (`unavailable`: the code when its store fails).
pub(super) async fn log_answer(
    cache: &Cache<EdgeStore>,
    url: &PlatformUrl,
    unavailable: &str,
) -> worker::Result<Answer> {
    let (limit, cursor) = match page_of(url) {
        Ok(page) => page,
        Err(refused) => return refused,
    };
    match cache.log(limit, cursor).await {
        Ok(page) => respond_json(200, &serde_json::json!({ "records": page.records, "cursor": page.cursor })),
        Err(e) => respond_error(503, unavailable, &e.to_string()),
    }
}

/// A signed listing answered by the purge authority's `route`, with this request's query
/// parameters `names`; its signature headers and its target go along for the authority to
/// admit (header `edgecache-read`).
async fn from_authority(
    link: &AuthorityLink,
    request: &worker::Request,
    route: &str,
    url: &PlatformUrl,
    names: &[&str],
) -> worker::Result<Answer> {
    let mut target = format!("{route}?");
    for name in names {
        if let Some(value) = url.param(name) {
            target.push_str(&format!("{name}={}&", js_sys::encode_uri_component(&value)));
        }
    }
    let mut headers: HeaderList =
        header_list(request.headers()).into_iter().filter(|(n, _)| n.starts_with("webhook-")).collect();
    headers.push((READ_HEADER.into(), url.target()));
    let request = AuthorityLink::request(&target, &headers, None)?;
    match link.call(request).await {
        Ok(response) => Ok(response.into()),
        Err(e) => respond_error(503, "authority_unavailable", &e),
    }
}

/// The keys stored with `?tag=` (signed), from the tag index: the purge authority's, or the
/// KV one (`TAG_INDEX=on`).
async fn tagged(request: &worker::Request, state: &State, url: &PlatformUrl) -> worker::Result<Answer> {
    if let Some(refused) = admitted(request, state, url).await {
        return refused;
    }
    if let Some(link) = &state.authority {
        // This isolate's own fills are reported with a feed read: list them too.
        link.read(&state.cache).await;
        return from_authority(link, request, "/tagged", url, &["tag", "limit", "cursor"]).await;
    }
    if !state.config.tag_index {
        return respond_error(409, "tag_index_off", "no tag index is kept: set TAG_INDEX = \"on\" to keep one");
    }
    tagged_answer(&state.cache, url).await
}

/// A page of a tag's keys from `cache`'s index, for `?tag=&limit=&cursor=`.
pub(super) async fn tagged_answer(cache: &Cache<EdgeStore>, url: &PlatformUrl) -> worker::Result<Answer> {
    let Some(tag) = url.param("tag") else {
        return respond_error(400, "missing_tag", "name the tag: ?tag=");
    };
    let (limit, cursor) = match page_of(url) {
        Ok(page) => page,
        Err(refused) => return refused,
    };
    match cache.tagged(&tag, limit, cursor).await {
        Ok(page) => {
            let keys: Vec<_> =
                page.keys.iter().map(|(key, version)| serde_json::json!({ "key": key, "version": version })).collect();
            respond_json(200, &serde_json::json!({ "tag": tag, "keys": keys, "cursor": page.cursor }))
        }
        Err(crate::core::CacheError::Store(e)) => respond_error(503, "kv_unavailable", &e.to_string()),
        Err(e) => respond_error(400, "invalid_tag", &e.to_string()),
    }
}

/// Public: the current stamps of the named tags, so browsers can notice purges.
async fn tags(state: &State, url: &PlatformUrl) -> worker::Result<Answer> {
    if let Some(link) = &state.authority {
        link.keep_up(&state.cache).await;
    }
    let names: Vec<String> = url
        .params("t")
        .iter()
        .flat_map(|v| v.split(',').map(|t| t.trim().to_owned()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty())
        .collect();
    if names.is_empty() || names.len() > 100 || names.iter().any(|t| t.len() > 128) {
        return respond_error(400, "invalid_tags", "give 1-100 tags as ?t=a,b (each at most 128 bytes)");
    }
    match state.cache.tag_stamps(&names).await {
        Ok(stamps) => {
            let map: serde_json::Map<String, serde_json::Value> = names
                .into_iter()
                .zip(stamps)
                .map(|(n, s)| (n, s.map_or(serde_json::Value::Null, Into::into)))
                .collect();
            respond_json(200, &serde_json::json!({ "tags": map, "at": JsClock.now_ms() }))
        }
        Err(e) => respond_error(503, "kv_unavailable", &e.to_string()),
    }
}
