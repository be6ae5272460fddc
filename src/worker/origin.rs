//! The origin fetch behind a cache fill: conditional when it revalidates a stored response
//! (a 304 freshens it), timed out, and turned into what to store and for how long; and the
//! answer when the origin could not answer.

use std::cell::RefCell;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{select, Either};
use worker::{Delay, Fetch, Response};

use super::convert::{body_or_stream, header_list, origin_request, respond_error, Answer};
use super::state::State;
use crate::core::http::{
    decide, end_to_end, fill_headers, header, set_header, Decision, HeaderList, StoredResponse, EDGE_ONLY,
};
use crate::core::{Clock, LoadError, LoadErrorKind, Loaded, SetOptions};
use crate::platform::JsClock;

/// What the origin fetch learnt, for `Cache-Status`.
#[derive(Default)]
pub struct Outcome {
    pub fwd_status: Option<u16>,
    pub detail: Option<String>,
    /// A response too large to store, kept to stream to this client.
    pub passthrough: Option<Response>,
}

/// What an origin fetch revalidates.
#[derive(Clone, Copy)]
pub enum Revalidate<'a> {
    /// Nothing: a plain fetch.
    No,
    /// A stale response that may still stand in if the origin fails.
    Stale(&'a StoredResponse),
    /// A response past every window: revalidated if the origin can, never served on failure.
    Expired(&'a StoredResponse),
}

/// Fetches the resource from the origin for the cache — conditionally when revalidating a
/// stored response, which a 304 freshens — and says how to store it.
pub async fn origin_fill(
    state: &State,
    path: &str,
    scheme: &str,
    client: &HeaderList,
    revalidate: Revalidate<'_>,
    outcome: &RefCell<Outcome>,
) -> Result<Loaded, LoadError> {
    let stored = match revalidate {
        Revalidate::No => None,
        Revalidate::Stale(stored) | Revalidate::Expired(stored) => Some(stored),
    };
    let mut headers = fill_headers(client, scheme);
    for (name, value) in stored.map(StoredResponse::validators).unwrap_or_default() {
        set_header(&mut headers, &name, value);
    }
    let url = format!("{}{}", state.config.origin, path);
    let request =
        origin_request(&url, "GET", &headers, None).map_err(|e| LoadError::new(format!("bad origin request: {e}")))?;
    // A connection failure is tried once more: the origin may have closed a kept-alive
    // connection just as it was reused (measured in the soak: "Network connection lost" on a
    // healthy origin). A timeout is not retried.
    let first = request.clone().map_err(|e| LoadError::new(format!("bad origin request: {e}")))?;
    let response = match fetch_with_timeout(first, state.config.origin_timeout).await {
        Err(e) if e.kind() == LoadErrorKind::Unreachable => {
            fetch_with_timeout(request, state.config.origin_timeout).await?
        }
        other => other?,
    };
    let status = response.status_code();
    outcome.borrow_mut().fwd_status = Some(status);
    let response_headers = header_list(response.headers());
    let now = JsClock.now_ms();
    if status == 304 {
        if let Some(stored) = stored {
            let merged = stored.freshened(&response_headers);
            let all_headers: HeaderList = merged.headers.iter().cloned().chain(edge_only(&response_headers)).collect();
            return store_as(state, client, 200.max(merged.status), &all_headers, merged, now, outcome);
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
    // Read up to the limit: a body without a declared length that runs past it streams to this
    // client as it comes (only the part read so far was held), never read whole into memory.
    let read = body_or_stream(&web_sys::Response::from(response), state.config.max_body_bytes)
        .await
        .map_err(|e| LoadError::of(LoadErrorKind::Unreachable, format!("origin body failed: {e:?}")))?;
    let body = match read {
        Ok(bytes) => bytes,
        Err(streaming) => {
            outcome.borrow_mut().passthrough = Some(Response::from(streaming));
            return Ok(Loaded::uncacheable(Bytes::new()));
        }
    };
    let stored = StoredResponse {
        status,
        headers: end_to_end(&response_headers),
        vary: StoredResponse::vary_of(client, &response_headers),
        age_ms: 0,
        must_revalidate: false,
        body,
    };
    store_as(state, client, status, &response_headers, stored, now, outcome)
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
) -> Result<Loaded, LoadError> {
    Ok(match decide(client, status, all_headers, now, &state.policy) {
        Decision::Store(life) => {
            stored.age_ms = life.age_ms;
            stored.must_revalidate = life.must_revalidate;
            let options = SetOptions::new()
                .ttl(Duration::from_millis(life.fresh_ms))
                .stale_while_revalidate(Duration::from_millis(life.swr_ms))
                .stale_if_error(Duration::from_millis(life.sie_ms))
                .tags(life.tags);
            Loaded::new(encoded(&stored)?).with(options)
        }
        Decision::Bypass(reason) => {
            outcome.borrow_mut().detail = Some(reason.to_owned());
            Loaded::uncacheable(encoded(&stored)?)
        }
    })
}

/// `stored` encoded for the cache; a head that cannot be encoded fails the fill (502), never
/// an empty head stored silently.
fn encoded(stored: &StoredResponse) -> Result<Bytes, LoadError> {
    stored.encode().map_err(|e| LoadError::of(LoadErrorKind::Refused, e.to_string()))
}

fn edge_only(headers: &HeaderList) -> impl Iterator<Item = (String, String)> + '_ {
    headers.iter().filter(|(n, _)| EDGE_ONLY.contains(&n.as_str())).cloned()
}

pub async fn fetch_with_timeout(request: worker::Request, timeout: Duration) -> Result<Response, LoadError> {
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

/// The answer when the origin could not answer, by the kind of failure: 504 for a timeout, else
/// 502.
pub fn origin_failed(error: &LoadError) -> worker::Result<Answer> {
    match error.kind() {
        LoadErrorKind::Timeout => respond_error(504, "origin_timeout", &error.to_string()),
        LoadErrorKind::Refused => respond_error(502, "origin_error", &error.to_string()),
        _ => respond_error(502, "origin_unreachable", &error.to_string()),
    }
}
