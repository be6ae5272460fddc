//! The caching reverse proxy: GET and HEAD through the cache, everything else passed through
//! (and, when it succeeds, invalidating what it changed — RFC 9111 §4.4).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{select, Either};
use worker::{Context, Delay, Fetch, Response, ResponseBuilder};

use super::http::{
    fill_headers, header_list, origin_request, path_of, platform_headers, respond_error, Answer, PlatformUrl,
};
use super::prepared::Prepared;
use super::serve::{age_secs, answers_not_modified, secs_until, serve, serve_not_modified};
use super::state::State;
use crate::core::http::{
    cache_key, decide, end_to_end, header, set_header, CacheStatus, Decision, HeaderList, StoredResponse, EDGE_ONLY,
};
use crate::core::{
    CacheError, Clock, Fetched, Hit, Invalidation, LoadError, LoadErrorKind, Loaded, Lookup, MissReason, SetOptions,
    Source, StaleUse,
};
use crate::js_clock::JsClock;

/// What the origin fetch learnt, for `Cache-Status`.
#[derive(Default)]
struct Outcome {
    fwd_status: Option<u16>,
    detail: Option<String>,
    /// A response too large to store, kept to stream to this client.
    passthrough: Option<Response>,
}

/// Answers a GET or HEAD through the cache.
pub async fn cached(
    request: web_sys::Request,
    url: String,
    state: Rc<State>,
    ctx: &Context,
    head: bool,
) -> worker::Result<Answer> {
    if let Some(link) = &state.authority {
        link.keep_up(&state.cache).await;
    }
    // Judged on KV stamps because the authority could not be reached: said in Cache-Status.
    let fallback = state.authority.as_ref().and_then(|link| link.fallback()).map(|_| "authority-unreachable");
    let key = cache_key(&url).unwrap_or_else(|| "/".to_owned());
    let raw_headers = worker::Headers(request.headers());
    // An entry found but not servable comes back too: its validators make the fetch a
    // revalidation, and the fill fences its tags.
    let mut version = 0;
    let mut location = state.cache.key_space().entry(&key, version);
    let (mut lookup, mut found) = look(&state, &key, version, &location).await;
    let mut prepared = prepared_hit(&state, &location, &lookup);
    // A servable response that varies and that this request does not select: the request's own
    // variant is kept under a version of the same key (core::http::variants).
    if let Some(variant) = variant_version(prepared.as_deref(), &lookup, &raw_headers) {
        version = variant;
        location = state.cache.key_space().entry(&key, version);
        (lookup, found) = look(&state, &key, version, &location).await;
        prepared = prepared_hit(&state, &location, &lookup);
    }
    // A fresh hit is answered here, reading only the request headers it depends on, by name
    // (listing them all costs a hit more than the lookup). One that is not served is a miss.
    let mut fresh_miss = "miss";
    if let Ok(Lookup::Fresh(hit)) = &lookup {
        if let Some(prepared) = prepared {
            let stored = &prepared.stored;
            let client: HeaderList = stored
                .request_headers_read()
                .filter_map(|name| raw_headers.get(name).ok().flatten().map(|value| (name.to_owned(), value)))
                .collect();
            if stored.matches(&client) {
                let mut status = CacheStatus::hit(secs_until(hit.meta.fresh_until));
                if let Some(detail) = fallback {
                    status = status.detail(detail);
                }
                if header(&client, "range").is_some() {
                    return serve(stored, &hit.meta, status, &client, head);
                }
                if answers_not_modified(stored, &client) {
                    return serve_not_modified(stored, &hit.meta, &status);
                }
                return prepared.answer(age_secs(stored, &hit.meta), &status.header(), head);
            }
            fresh_miss = "vary-miss";
        }
    }
    let client = header_list(&raw_headers);
    let mut kv_failed = false;
    // The entry found there, whatever its state: the fill fences its tags (no second read).
    let found_meta = match (&lookup, &found) {
        (Ok(Lookup::Fresh(hit) | Lookup::Stale(hit, ..)), _) | (_, Some(hit)) => Some(hit.meta.clone()),
        _ => None,
    };
    // A stored response past its windows, with validators, that this request selects.
    let expired = match (&lookup, found) {
        (Ok(Lookup::Miss(MissReason::Expired)), Some(hit)) => {
            decode(&hit).filter(|stored| stored.matches(&client) && !stored.validators().is_empty())
        }
        _ => None,
    };
    let (stale, fwd) = match lookup {
        Ok(Lookup::Fresh(_)) => (None, fresh_miss),
        Ok(Lookup::Stale(hit, _, usable)) => match decode(&hit) {
            Some(stored) if stored.matches(&client) && usable == StaleUse::WhileRevalidating => {
                // Serve stale now; refresh after the response, outliving this request.
                let status = CacheStatus::hit(secs_until(hit.meta.fresh_until))
                    .and_forward("stale")
                    .detail("stale-while-revalidate");
                let refresh = (state.clone(), key.clone(), client.clone(), stored.clone(), hit.meta.clone());
                ctx.wait_until(async move {
                    let (state, key, client, stored, meta) = refresh;
                    let outcome = RefCell::new(Outcome::default());
                    let refreshed = state
                        .cache
                        .load(&key, SetOptions::new().version(version), Some(&meta), || {
                            origin_fill(&state, &key, &client, Revalidate::Stale(&stored), &outcome)
                        })
                        .await;
                    if let (Some(link), Ok(Fetched { hit, source: Source::Loaded { not_stored: None } })) =
                        (&state.authority, &refreshed)
                    {
                        link.note_stored(&hit.meta);
                    }
                });
                return serve(&stored, &hit.meta, status, &client, head);
            }
            Some(stored) if stored.matches(&client) => (Some((stored, hit.meta)), "stale"),
            _ => (None, "vary-miss"),
        },
        // Absent at a variant's version: the URL has responses, none for this request.
        Ok(Lookup::Miss(MissReason::Absent)) => (None, if version == 0 { "uri-miss" } else { "vary-miss" }),
        Ok(Lookup::Miss(MissReason::Expired)) if expired.is_some() => (None, "stale"),
        Ok(Lookup::Miss(_)) => (None, "miss"),
        Err(_) => {
            // KV failed: answer from the origin; the fill below will not store either.
            kv_failed = true;
            (None, "miss")
        }
    };
    let outcome = RefCell::new(Outcome::default());
    let revalidate = match (&stale, &expired) {
        (Some((stored, _)), _) => Revalidate::Stale(stored),
        (None, Some(stored)) => Revalidate::Expired(stored),
        (None, None) => Revalidate::No,
    };
    let revalidating = !matches!(revalidate, Revalidate::No);
    let result = state
        .cache
        .load(&key, SetOptions::new().version(version), found_meta.as_ref(), || {
            origin_fill(&state, &key, &client, revalidate, &outcome)
        })
        .await;
    let mut outcome = outcome.into_inner();
    if let Some(response) = outcome.passthrough.take() {
        let status = CacheStatus::forward(fwd).fwd_status(response.status_code()).detail("too-large");
        return forward(response, &status);
    }
    match result {
        Ok(Fetched { hit, source }) => {
            let Some(stored) = decode(&hit) else {
                return respond_error(502, "corrupt_fill", "the origin response could not be decoded");
            };
            let stored_ok = matches!(source, Source::Loaded { not_stored: None } | Source::Coalesced);
            if let (Some(link), Source::Loaded { not_stored: None }) = (&state.authority, &source) {
                link.note_stored(&hit.meta);
            }
            let revalidated = outcome.fwd_status == Some(304) && revalidating;
            let mut status = CacheStatus::forward(if revalidated { "stale" } else { fwd })
                .stored(stored_ok && !matches!(source, Source::Coalesced))
                .collapsed(matches!(source, Source::Coalesced));
            if let Some(s) = outcome.fwd_status {
                status = status.fwd_status(s);
            }
            if stored_ok {
                status = status.ttl(secs_until(hit.meta.fresh_until));
            }
            let detail = match (&source, outcome.detail, kv_failed) {
                (_, _, true) => Some("kv-unavailable".to_owned()),
                (_, Some(reason), _) => Some(reason),
                (Source::Loaded { not_stored: Some(e) }, None, _) => Some(not_stored_detail(e).to_owned()),
                _ => fallback.map(str::to_owned),
            };
            if let Some(detail) = detail {
                status = status.detail(detail);
            }
            serve(&stored, &hit.meta, status, &client, head)
        }
        Err(CacheError::Load(error)) => match stale {
            Some((stored, meta)) => {
                let mut status =
                    CacheStatus::hit(secs_until(meta.fresh_until)).and_forward("stale").detail("stale-if-error");
                if let Some(s) = outcome.fwd_status {
                    status = status.fwd_status(s);
                }
                serve(&stored, &meta, status, &client, head)
            }
            None => origin_failed(&error),
        },
        // The cache refused (key too long, KV trouble before the load): plain proxying.
        Err(other) => pass_through(worker::Request::from(request), state, &format!("cache-error: {other}")).await,
    }
}

/// What the cache holds for `key` at `version`, stored at `location` (the entry found too when
/// it is not servable).
async fn look(state: &State, key: &str, version: u64, location: &str) -> (Result<Lookup, CacheError>, Option<Hit>) {
    match state.cache.look(key, version, location).await {
        Ok((lookup, found)) => (Ok(lookup), found),
        Err(e) => (Err(e), None),
    }
}

/// A fresh hit `lookup` found at `location`, prepared for the platform (decoded once per
/// stored value).
fn prepared_hit(state: &State, location: &str, lookup: &Result<Lookup, CacheError>) -> Option<Rc<Prepared>> {
    match lookup {
        Ok(Lookup::Fresh(hit)) => state.prepared.prepare(location, &hit.value),
        _ => None,
    }
}

/// The version this request's variant is kept under, when the servable response `lookup`
/// found (`prepared` when fresh) varies and does not answer it.
fn variant_version(
    prepared: Option<&Prepared>,
    lookup: &Result<Lookup, CacheError>,
    raw: &worker::Headers,
) -> Option<u64> {
    let decoded;
    let stored: &StoredResponse = match (prepared, lookup) {
        (Some(prepared), _) => &prepared.stored,
        (None, Ok(Lookup::Stale(hit, ..))) => {
            decoded = decode(hit)?;
            &decoded
        }
        _ => return None,
    };
    if stored.vary.is_empty() {
        return None;
    }
    let selecting: HeaderList = stored
        .vary
        .iter()
        .filter_map(|(name, _)| raw.get(name).ok().flatten().map(|value| (name.clone(), value)))
        .collect();
    stored.variant_for(&selecting)
}

/// The answer when the origin could not answer, by the kind of failure: 504 for a timeout, else
/// 502.
fn origin_failed(error: &LoadError) -> worker::Result<Answer> {
    match error.kind() {
        LoadErrorKind::Timeout => respond_error(504, "origin_timeout", &error.to_string()),
        LoadErrorKind::Refused => respond_error(502, "origin_error", &error.to_string()),
        _ => respond_error(502, "origin_unreachable", &error.to_string()),
    }
}

fn not_stored_detail(error: &CacheError) -> &'static str {
    match error {
        CacheError::Uncacheable => "not-cacheable",
        CacheError::RacedInvalidation(_) => "raced-purge",
        CacheError::ValueTooLarge { .. } => "too-large",
        CacheError::Store(_) => "kv-unavailable",
        _ => "not-stored",
    }
}

/// What an origin fetch revalidates.
#[derive(Clone, Copy)]
enum Revalidate<'a> {
    /// Nothing: a plain fetch.
    No,
    /// A stale response that may still stand in if the origin fails.
    Stale(&'a StoredResponse),
    /// A response past every window: revalidated if the origin can, never served on failure.
    Expired(&'a StoredResponse),
}

/// Fetches the resource from the origin for the cache — conditionally when revalidating a
/// stored response, which a 304 freshens — and says how to store it.
async fn origin_fill(
    state: &State,
    path: &str,
    client: &HeaderList,
    revalidate: Revalidate<'_>,
    outcome: &RefCell<Outcome>,
) -> Result<Loaded, LoadError> {
    let stored = match revalidate {
        Revalidate::No => None,
        Revalidate::Stale(stored) | Revalidate::Expired(stored) => Some(stored),
    };
    let mut headers = fill_headers(client);
    for (name, value) in stored.map(StoredResponse::validators).unwrap_or_default() {
        set_header(&mut headers, &name, value);
    }
    let url = format!("{}{}", state.config.origin, path);
    let request =
        origin_request(&url, "GET", &headers, None).map_err(|e| LoadError::new(format!("bad origin request: {e}")))?;
    let mut response = fetch_with_timeout(request, state.config.origin_timeout).await?;
    let status = response.status_code();
    outcome.borrow_mut().fwd_status = Some(status);
    let response_headers = header_list(response.headers());
    let now = JsClock.now_ms();
    if status == 304 {
        if let Some(stored) = stored {
            let merged = stored.freshened(&response_headers);
            let all_headers: HeaderList = merged.headers.iter().cloned().chain(edge_only(&response_headers)).collect();
            return Ok(store_as(state, client, 200.max(merged.status), &all_headers, merged, now, outcome));
        }
    }
    if status >= 500 && matches!(revalidate, Revalidate::Stale(_)) {
        return Err(LoadError::of(LoadErrorKind::Refused, format!("origin answered {status}")));
    }
    let declared = header(&response_headers, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.config.max_body_bytes) {
        outcome.borrow_mut().passthrough = Some(response);
        return Ok(Loaded::uncacheable(Bytes::new()));
    }
    let body = response.bytes().await;
    let body =
        Bytes::from(body.map_err(|e| LoadError::of(LoadErrorKind::Unreachable, format!("origin body failed: {e}")))?);
    let stored = StoredResponse {
        status,
        headers: end_to_end(&response_headers),
        vary: StoredResponse::vary_of(client, &response_headers),
        age_ms: 0,
        body,
    };
    if stored.body.len() > state.config.max_body_bytes {
        outcome.borrow_mut().detail = Some("too-large".into());
        return Ok(Loaded::uncacheable(stored.encode()));
    }
    Ok(store_as(state, client, status, &response_headers, stored, now, outcome))
}

/// Decides whether to store `stored` (whose origin headers are `all_headers`) and for how long.
fn store_as(
    state: &State,
    client: &HeaderList,
    status: u16,
    all_headers: &HeaderList,
    mut stored: StoredResponse,
    now: u64,
    outcome: &RefCell<Outcome>,
) -> Loaded {
    match decide(client, status, all_headers, now, &state.policy) {
        Decision::Store(life) => {
            stored.age_ms = life.age_ms;
            let mut options = SetOptions::new()
                .ttl(Duration::from_millis(life.fresh_ms))
                .stale_while_revalidate(Duration::from_millis(life.swr_ms))
                .stale_if_error(Duration::from_millis(life.sie_ms))
                .tags(life.tags);
            if let Some(etag) = header(&stored.headers, "etag") {
                options = options.etag(etag);
            }
            if let Some(modified) = header(&stored.headers, "last-modified") {
                options = options.last_modified(modified);
            }
            if let Some(media) = header(&stored.headers, "content-type") {
                options = options.content_type(media);
            }
            Loaded::new(stored.encode()).with(options)
        }
        Decision::Bypass(reason) => {
            outcome.borrow_mut().detail = Some(reason.to_owned());
            Loaded::uncacheable(stored.encode())
        }
    }
}

fn edge_only(headers: &HeaderList) -> impl Iterator<Item = (String, String)> + '_ {
    headers.iter().filter(|(n, _)| EDGE_ONLY.contains(&n.as_str())).cloned()
}

async fn fetch_with_timeout(request: worker::Request, timeout: Duration) -> Result<Response, LoadError> {
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send());
    let outcome = match select(send, Delay::from(timeout)).await {
        Either::Left((Ok(response), _)) => Ok(response),
        Either::Left((Err(e), _)) => Err(LoadError::of(LoadErrorKind::Unreachable, format!("origin unreachable: {e}"))),
        Either::Right(_) => {
            Err(LoadError::of(LoadErrorKind::Timeout, format!("origin timed out after {} ms", timeout.as_millis())))
        }
    };
    outcome
}

fn decode(hit: &Hit) -> Option<StoredResponse> {
    StoredResponse::decode(&hit.value).ok()
}

/// A streamed origin response with edge-only and hop-by-hop headers removed.
fn forward(response: Response, status: &CacheStatus) -> worker::Result<Answer> {
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

/// Proxies any request without the cache. Unsafe methods that succeed invalidate the URL and
/// the `Location` / `Content-Location` they name on this host.
pub async fn pass_through(request: worker::Request, state: Rc<State>, detail: &str) -> worker::Result<Answer> {
    let method = super::http::raw_method(request.inner());
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
