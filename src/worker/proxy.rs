//! The caching reverse proxy: GET and HEAD through the cache (what to look up, which variant,
//! answering a fresh hit, serving stale, filling from the origin and answering the fill).

use std::cell::RefCell;
use std::rc::Rc;

use worker::Context;

use super::convert::{header_list, respond_error, Answer};
use super::origin::{origin_failed, origin_fill, Outcome, Revalidate};
use super::pass::{forward, pass_through};
use super::prepared::Prepared;
use super::serve::{age_secs, answers_not_modified, secs_until, serve, serve_not_modified};
use super::state::State;
use crate::core::http::{cache_key, header, CacheStatus, HeaderList, StoredResponse};
use crate::core::{
    CacheError, EntryMeta, Fetched, Hit, LoadErrorKind, Lookup, MissReason, SetOptions, Source, StaleUse,
};

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
    let scheme = scheme_of(&url);
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
    let fresh_miss = match (&lookup, prepared) {
        (Ok(Lookup::Fresh(hit)), Some(prepared)) => match answer_fresh(hit, &prepared, &raw_headers, fallback, head) {
            Some(answer) => return answer,
            None => "vary-miss",
        },
        _ => "miss",
    };
    let client = header_list(&raw_headers);
    let mut kv_failed = false;
    // The entry found there, whatever its state: the fill fences its tags (no second read).
    let found_meta = match (&lookup, &found) {
        (Ok(Lookup::Fresh(hit) | Lookup::Stale(hit, ..)), _) | (_, Some(hit)) => Some(hit.meta.clone()),
        _ => None,
    };
    // A stored response past its windows, with validators, that this request selects.
    // A stored response past its windows (expired, never purged) that this request selects:
    // revalidated when it has validators; served if the origin cannot be reached, unless it
    // must be revalidated (RFC 9111 §4.2.4: a disconnected cache may serve stale).
    let past = match (&lookup, found) {
        (Ok(Lookup::Miss(MissReason::Expired)), Some(hit)) => {
            decode(&hit).filter(|stored| stored.matches(&client)).map(|stored| (stored, hit.meta))
        }
        _ => None,
    };
    let expired = past.as_ref().map(|(stored, _)| stored).filter(|stored| !stored.validators().is_empty());
    let (stale, fwd) = match lookup {
        Ok(Lookup::Fresh(_)) => (None, fresh_miss),
        Ok(Lookup::Stale(hit, _, usable)) => match decode(&hit) {
            Some(stored) if stored.matches(&client) && usable == StaleUse::WhileRevalidating => {
                // Serve stale now; refresh after the response, outliving this request.
                let status = CacheStatus::hit(secs_until(hit.meta.fresh_until))
                    .and_forward("stale")
                    .detail("stale-while-revalidate");
                let refresh = refresh(
                    state.clone(),
                    key.clone(),
                    version,
                    scheme,
                    client.clone(),
                    stored.clone(),
                    hit.meta.clone(),
                );
                ctx.wait_until(refresh);
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
            origin_fill(&state, &key, scheme, &client, revalidate, &outcome)
        })
        .await;
    let mut outcome = outcome.into_inner();
    if let Some(response) = outcome.passthrough.take() {
        let status = CacheStatus::forward(fwd).fwd_status(response.status_code()).detail("too-large");
        return forward(response, &status);
    }
    match result {
        Ok(fetched) => {
            noted(&state, &fetched);
            let revalidated = outcome.fwd_status == Some(304) && revalidating;
            let status = fill_status(&fetched, if revalidated { "stale" } else { fwd }, outcome, kv_failed, fallback);
            match decode(&fetched.hit) {
                Some(stored) => serve(&stored, &fetched.hit.meta, status, &client, head),
                None => respond_error(502, "corrupt_fill", "the origin response could not be decoded"),
            }
        }
        Err(CacheError::Load(error)) => {
            let disconnected = matches!(error.kind(), LoadErrorKind::Unreachable | LoadErrorKind::Timeout);
            let (standing_in, detail) = match (stale, past) {
                (Some(stale), _) => (Some(stale), "stale-if-error"),
                (None, Some(past)) if disconnected && !past.0.must_revalidate => (Some(past), "stale-disconnected"),
                _ => (None, ""),
            };
            match standing_in {
                Some((stored, meta)) => {
                    let mut status = CacheStatus::hit(secs_until(meta.fresh_until)).and_forward("stale").detail(detail);
                    if let Some(s) = outcome.fwd_status {
                        status = status.fwd_status(s);
                    }
                    serve(&stored, &meta, status, &client, head)
                }
                None => origin_failed(&error),
            }
        }
        // The cache refused (key too long, KV trouble before the load): plain proxying.
        Err(other) => pass_through(worker::Request::from(request), state, &format!("cache-error: {other}")).await,
    }
}

/// The answer to a request that the fresh hit `hit` (prepared) selects: the whole response, a
/// range of it, or a 304 to a conditional request; `None` when its `Vary` does not select it.
/// Reads only the request headers the answer depends on, by name (listing them all costs a hit
/// more than the lookup).
fn answer_fresh(
    hit: &Hit,
    prepared: &Prepared,
    raw: &worker::Headers,
    fallback: Option<&'static str>,
    head: bool,
) -> Option<worker::Result<Answer>> {
    let stored = &prepared.stored;
    let client: HeaderList = stored
        .request_headers_read()
        .filter_map(|name| raw.get(name).ok().flatten().map(|value| (name.to_owned(), value)))
        .collect();
    if !stored.matches(&client) {
        return None;
    }
    let mut status = CacheStatus::hit(secs_until(hit.meta.fresh_until));
    if let Some(detail) = fallback {
        status = status.detail(detail);
    }
    Some(if header(&client, "range").is_some() {
        serve(stored, &hit.meta, status, &client, head)
    } else if answers_not_modified(stored, &client) {
        serve_not_modified(stored, &hit.meta, &status)
    } else {
        prepared.answer(age_secs(stored, &hit.meta), &status.header(), head)
    })
}

/// Refreshes a stale response after the answer (stale-while-revalidate), revalidating it.
async fn refresh(
    state: Rc<State>,
    key: String,
    version: u64,
    scheme: &'static str,
    client: HeaderList,
    stored: StoredResponse,
    meta: EntryMeta,
) {
    let outcome = RefCell::new(Outcome::default());
    let refreshed = state
        .cache
        .load(&key, SetOptions::new().version(version), Some(&meta), || {
            origin_fill(&state, &key, scheme, &client, Revalidate::Stale(&stored), &outcome)
        })
        .await;
    if let Ok(fetched) = refreshed {
        noted(&state, &fetched);
    }
}

/// Reports a stored fill's tags to the purge authority's tag index.
fn noted(state: &State, fetched: &Fetched) {
    if let (Some(link), Source::Loaded { not_stored: None }) = (&state.authority, &fetched.source) {
        link.note_stored(&fetched.hit.meta);
    }
}

/// `Cache-Status` for an answer from a fill: why it went forward, what the origin answered,
/// whether it was stored (else why not) or collapsed into another request's fill. A failed KV
/// comes first; the authority's `fallback` is said when nothing more specific is.
fn fill_status(
    fetched: &Fetched,
    fwd: &'static str,
    outcome: Outcome,
    kv_failed: bool,
    fallback: Option<&'static str>,
) -> CacheStatus {
    let source = &fetched.source;
    let stored_ok = matches!(source, Source::Loaded { not_stored: None } | Source::Coalesced);
    let mut status = CacheStatus::forward(fwd)
        .stored(stored_ok && !matches!(source, Source::Coalesced))
        .collapsed(matches!(source, Source::Coalesced));
    if let Some(s) = outcome.fwd_status {
        status = status.fwd_status(s);
    }
    if stored_ok {
        status = status.ttl(secs_until(fetched.hit.meta.fresh_until));
    }
    let detail = match (source, outcome.detail, kv_failed) {
        (_, _, true) => Some("kv-unavailable".to_owned()),
        (_, Some(reason), _) => Some(reason),
        (Source::Loaded { not_stored: Some(e) }, None, _) => Some(not_stored_detail(e).to_owned()),
        _ => fallback.map(str::to_owned),
    };
    match detail {
        Some(detail) => status.detail(detail),
        None => status,
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

fn not_stored_detail(error: &CacheError) -> &'static str {
    match error {
        CacheError::Uncacheable => "not-cacheable",
        CacheError::RacedInvalidation(_) => "raced-purge",
        CacheError::ValueTooLarge { .. } => "too-large",
        CacheError::Store(_) => "kv-unavailable",
        _ => "not-stored",
    }
}

fn decode(hit: &Hit) -> Option<StoredResponse> {
    StoredResponse::decode(&hit.value).ok()
}

/// The scheme a request came with: "https" or "http" (all a worker receives).
fn scheme_of(url: &str) -> &'static str {
    if url.starts_with("https:") {
        "https"
    } else {
        "http"
    }
}
