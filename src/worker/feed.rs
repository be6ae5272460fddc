//! An isolate's link to the purge authority (the `PURGES` Durable Object): purges and unsafe
//! methods' invalidations go to it, and the isolate reads its feed at most once per
//! `PURGE_FEED_MS`, which keeps the cache's stamp memo exact (see `core::cache::feed`).
//!
//! The first request after the interval waits for the read (a DO round trip), so an isolate
//! that was idle never answers from what it knew before; requests arriving meanwhile are judged
//! on the previous read, at most the interval and one authority timeout old. That is the bound
//! receipts report. A read that fails or outlasts the timeout makes the isolate fall back to
//! KV stamps (the authority mirrors them), which `Cache-Status` and `/_edgecache/stats` say,
//! with the KV bound, until a later read succeeds.

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{select, Either};
use worker::{Delay, ObjectNamespace, Request, Response};

use super::config::{AUTHORITY_NAME, AUTHORITY_TIMEOUT};
use super::convert::origin_request;
use super::store::EdgeStore;
use crate::core::http::HeaderList;
use crate::core::purge::Membership;
use crate::core::{duration_ms, Cache, Clock, EntryMeta, FeedPage, Millis};
use crate::platform::JsClock;

/// Feed pages read at most per feed read (each up to 200 purges).
const MAX_PAGES: usize = 10;
/// Memberships held for the next feed read at most (more are dropped: the index is for
/// looking things up, correctness never depends on it).
const MAX_PENDING: usize = 2_000;

#[derive(Debug, Default)]
struct LinkState {
    /// When the last feed read started.
    sent_at: Option<Millis>,
    in_flight: bool,
    /// Why the last feed read failed (the isolate is on KV stamps), if it did.
    failure: Option<String>,
    reads: u64,
    failures: u64,
}

/// What `/_edgecache/stats` reports of the link.
#[derive(Debug, serde::Serialize)]
pub struct LinkStats {
    /// `authority` while following the feed, else `kv`.
    pub stamps: &'static str,
    pub feed_position: Option<u64>,
    pub feed_reads: u64,
    pub feed_failures: u64,
    pub fallback_reason: Option<String>,
}

/// The isolate's side of the purge authority.
pub struct AuthorityLink {
    namespace: ObjectNamespace,
    interval_ms: u64,
    state: RefCell<LinkState>,
    /// Tag memberships of this isolate's fills, sent with the next feed read.
    pending: RefCell<Vec<Membership>>,
}

impl AuthorityLink {
    /// A link to the authority in `namespace`, read every `interval`.
    pub fn new(namespace: ObjectNamespace, interval: Duration) -> Self {
        Self { namespace, interval_ms: duration_ms(interval), state: RefCell::default(), pending: RefCell::default() }
    }

    /// Sends `request` to the authority: its answer, or an error when it cannot be reached in
    /// time.
    pub async fn call(&self, request: Request) -> Result<Response, String> {
        let stub = self
            .namespace
            .id_from_name(AUTHORITY_NAME)
            .and_then(|id| id.get_stub())
            .map_err(|e| format!("purge authority: {e}"))?;
        let call = Box::pin(stub.fetch_with_request(request));
        let answer = match select(call, Delay::from(AUTHORITY_TIMEOUT)).await {
            Either::Left((Ok(response), _)) => Ok(response),
            Either::Left((Err(e), _)) => Err(format!("purge authority: {e}")),
            Either::Right(_) => Err(format!("purge authority: no answer within {} ms", AUTHORITY_TIMEOUT.as_millis())),
        };
        answer
    }

    /// A request to the authority's internal `route` (a POST with `body`, else a GET), with
    /// `headers`.
    pub fn request(route: &str, headers: &HeaderList, body: Option<&[u8]>) -> worker::Result<Request> {
        let method = if body.is_some() { "POST" } else { "GET" };
        let body = body.map(|b| js_sys::Uint8Array::from(b).into());
        origin_request(&format!("https://authority{route}"), method, headers, body)
    }

    /// Reads the feed if the interval has passed since the last read (see the module docs).
    pub async fn keep_up(&self, cache: &Cache<EdgeStore>) {
        let now = JsClock.now_ms();
        {
            let s = self.state.borrow();
            let since_sent = s.sent_at.map(|at| now.saturating_sub(at));
            // A read whose request was cancelled never clears `in_flight`: it expires.
            let busy =
                s.in_flight && since_sent.is_some_and(|ms| ms < self.interval_ms + duration_ms(AUTHORITY_TIMEOUT));
            if busy || since_sent.is_some_and(|ms| ms < self.interval_ms) {
                return;
            }
        }
        self.read(cache).await;
    }

    /// Reads the feed now, whatever the interval (after a purge sent through this isolate, so
    /// that its own answers reflect it at once).
    pub async fn read(&self, cache: &Cache<EdgeStore>) {
        {
            let mut s = self.state.borrow_mut();
            s.in_flight = true;
            s.sent_at = Some(JsClock.now_ms());
            s.reads += 1;
        }
        let result = self.read_feed(cache).await;
        let mut s = self.state.borrow_mut();
        s.in_flight = false;
        match result {
            Ok(()) => s.failure = None,
            Err(e) => {
                cache.unfollow();
                worker::console_error!("edgecache: falling back to KV stamps: {e}");
                s.failures += 1;
                s.failure = Some(e);
            }
        }
    }

    /// Notes the tags of an entry this isolate stored, for the authority's tag index.
    pub fn note_stored(&self, meta: &EntryMeta) {
        let mut pending = self.pending.borrow_mut();
        if pending.len() + meta.tags.len() <= MAX_PENDING {
            pending.extend(Membership::of(meta));
        }
    }

    async fn read_feed(&self, cache: &Cache<EdgeStore>) -> Result<(), String> {
        for _ in 0..MAX_PAGES {
            let route = match cache.feed_position() {
                Some(since) => format!("/feed?since={since}"),
                None => "/feed".to_owned(),
            };
            let members = std::mem::take(&mut *self.pending.borrow_mut());
            let body = (!members.is_empty()).then(|| Membership::encode_all(&members));
            let request = Self::request(&route, &HeaderList::new(), body.as_deref()).map_err(|e| e.to_string())?;
            let response = self.call(request).await;
            if response.is_err() {
                // Kept for the next read.
                let mut pending = self.pending.borrow_mut();
                if pending.len() + members.len() <= MAX_PENDING {
                    pending.extend(members);
                }
            }
            let mut response = response?;
            if response.status_code() != 200 {
                return Err(format!("purge authority feed answered {}", response.status_code()));
            }
            let bytes = response.bytes().await.map_err(|e| format!("purge authority feed: {e}"))?;
            let page = FeedPage::decode(&bytes).map_err(|e| format!("purge authority feed unreadable: {e}"))?;
            let latest = page.latest;
            if !cache.follow(page) {
                return Err("purge authority: too many purges within the KV propagation window to follow".into());
            }
            if cache.feed_position() >= Some(latest) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Why the isolate is on KV stamps, if the last feed read failed.
    pub fn fallback(&self) -> Option<String> {
        self.state.borrow().failure.clone()
    }

    /// Whether the isolate follows the feed (its bound is the authority's).
    pub fn following(&self, cache: &Cache<EdgeStore>) -> bool {
        self.state.borrow().failure.is_none() && cache.feed_position().is_some()
    }

    pub fn stats(&self, cache: &Cache<EdgeStore>) -> LinkStats {
        let s = self.state.borrow();
        LinkStats {
            stamps: if self.following(cache) { "authority" } else { "kv" },
            feed_position: cache.feed_position(),
            feed_reads: s.reads,
            feed_failures: s.failures,
            fallback_reason: s.failure.clone(),
        }
    }
}
