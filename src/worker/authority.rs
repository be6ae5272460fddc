//! The purge authority as a Durable Object (class `PurgeAuthority`, bound as `PURGES`): one
//! instance, named `purges`, applies every purge in order, keeps stamps, feed, log and replay
//! set in its SQLite storage and mirrors stamps to the `CACHE` KV namespace. Isolates reach it
//! through internal routes: `POST /purge` (the signed request, forwarded as received),
//! `POST /invalidate` (an isolate's own invalidation, in the record codec), `GET /feed?since=`
//! (a page in the record codec; a `POST` also carries the tag memberships of the isolate's
//! fills, for the tag index), `GET /tagged?tag=&limit=&cursor=` and `GET /log?limit=&cursor=`.
//!
//! Exported with wasm-bindgen directly rather than workers-rs' `#[durable_object]`, whose
//! generated glue cost ~10 KB gzipped of bundle for the one `fetch` method used here.

use std::cell::OnceCell;
use std::rc::Rc;

use bytes::Bytes;
use futures_util::lock::Mutex;
use wasm_bindgen::prelude::*;
use worker::{Env, Request};

use super::config::{Config, ConfigError};
use super::control::{log_answer, tagged_answer, READ_HEADER};
use super::convert::{header_list, raw_method, respond, respond_error, respond_json, Answer, PlatformUrl};
use super::kv::WorkerKv;
use super::purge::{purge_answer, url_key};
use super::sql_store::SqlStore;
use super::store::EdgeStore;
use crate::core::http::header;
use crate::core::purge::{Apply, Authority, KvReplayGuard, Membership, PurgeEndpoint, SignedHeaders};
use crate::core::{duration_ms, CacheBuilder, Clock, Invalidation, Mirrored};
use crate::platform::{random_seed, JsClock};

/// The authority's state, built on its first request.
struct Inner {
    authority: Authority<EdgeStore>,
    endpoint: PurgeEndpoint<KvReplayGuard<EdgeStore>>,
    store: SqlStore,
    /// Purges are handled one at a time, replay check to receipt, so that two deliveries of
    /// one id never both apply.
    turn: Mutex<()>,
}

/// The purge authority: one Durable Object that orders every purge (the module docs say how).
#[wasm_bindgen]
pub struct PurgeAuthority {
    state: worker::State,
    env: Env,
    inner: OnceCell<Rc<Inner>>,
}

#[wasm_bindgen]
impl PurgeAuthority {
    /// Called by the runtime with the object's state and the worker's bindings.
    #[wasm_bindgen(constructor)]
    pub fn new(state: worker::worker_sys::DurableObjectState, env: Env) -> Self {
        Self { state: worker::State::from(state), env, inner: OnceCell::new() }
    }

    /// Answers an isolate's request (never fails: errors become clean responses).
    pub fn fetch(&self, request: web_sys::Request) -> js_sys::Promise {
        let inner = self.inner();
        crate::platform::promise::settled_or_spawned(async move {
            let answer = match inner {
                Ok(inner) => route(&inner, Request::from(request)).await,
                Err(e) => respond_error(500, "config", &e),
            };
            answer.map(JsValue::from).map_err(JsValue::from)
        })
    }

    fn inner(&self) -> Result<Rc<Inner>, String> {
        if let Some(inner) = self.inner.get() {
            return Ok(inner.clone());
        }
        let config = Config::from_env(&self.env).map_err(|e| e.to_string())?;
        let kv = self.env.kv("CACHE").map_err(|e| format!("CACHE: KV binding missing: {e}"))?;
        let sql = self.state.storage().sql();
        let store = SqlStore::open(sql).map_err(|e| e.to_string())?;
        // Stamps are written pinned, so they (and nothing else) are mirrored to KV.
        let mirrored = || EdgeStore::Authority(Mirrored::new(store.clone(), WorkerKv(kv.clone())));
        let builder = CacheBuilder::new(mirrored(), JsClock)
            .namespace(config.namespace.clone())
            .generation(config.deploy_version.clone())
            .seed(random_seed());
        let authority = Authority::new(builder, config.kv_propagation).map_err(|e| ConfigError::from(e).to_string())?;
        let guard = KvReplayGuard::new(mirrored(), authority.cache().key_space().clone());
        let endpoint = PurgeEndpoint::new(config.secrets.clone(), guard)
            .staleness_bound_ms(duration_ms(config.staleness_bound(true)))
            .url_key(url_key);
        let inner = Rc::new(Inner { authority, endpoint, store, turn: Mutex::new(()) });
        Ok(self.inner.get_or_init(|| inner).clone())
    }
}

async fn route(inner: &Inner, mut request: Request) -> worker::Result<Answer> {
    let url = PlatformUrl::of(request.inner())?;
    let headers = header_list(request.headers());
    let method = raw_method(request.inner());
    let body = match method.as_str() {
        "POST" => Bytes::from(request.bytes().await.unwrap_or_default()),
        _ => Bytes::new(),
    };
    match (method.as_str(), url.path().as_str()) {
        ("POST", "/purge") => {
            let signed = SignedHeaders::from_list(&headers);
            let result = {
                let _turn = inner.turn.lock().await;
                inner.endpoint.handle(&inner.authority, &signed, &body, JsClock.now_ms()).await
            };
            let _ = inner.store.expire();
            purge_answer(result)
        }
        ("POST", "/invalidate") => {
            // From an isolate whose unsafe request succeeded (not reachable from outside).
            let Ok(invalidation) = Invalidation::decode(&body) else {
                return respond_error(400, "invalid_invalidation", "not an encoded invalidation");
            };
            let applied = {
                let _turn = inner.turn.lock().await;
                inner.authority.apply(invalidation).await
            };
            match applied {
                Ok(applied) => respond_json(200, &serde_json::json!({ "seq": applied.seq })),
                Err(e) => respond_error(503, "apply_failed", &e.to_string()),
            }
        }
        ("GET", route @ ("/tagged" | "/log")) => {
            // A signed read, forwarded by an isolate with the target it signed.
            let signed = SignedHeaders::from_list(&headers);
            let target = header(&headers, READ_HEADER).unwrap_or_default();
            let admitted = {
                let _turn = inner.turn.lock().await;
                inner.endpoint.admit_read(&signed, "GET", target, JsClock.now_ms()).await
            };
            if let Err(e) = admitted {
                return respond_error(e.http_status(), e.code(), &e.to_string());
            }
            match route {
                "/log" => log_answer(inner.authority.cache(), &url, "storage_unavailable").await,
                _ => tagged_answer(inner.authority.cache(), &url).await,
            }
        }
        (method @ ("GET" | "POST"), "/feed") => {
            // A POST carries the memberships of the isolate's fills since its last read.
            if method == "POST" {
                match Membership::decode_all(&body) {
                    Ok(members) => {
                        if let Err(e) = inner.authority.index(&members).await {
                            worker::console_error!("edgecache authority: tag index not updated: {e}");
                        }
                    }
                    Err(e) => return respond_error(400, "invalid_members", &e.to_string()),
                }
            }
            let since = url.param("since").and_then(|s| s.parse().ok());
            match inner.authority.feed(since).await {
                Ok(page) => respond(200, &Vec::new(), Some(Bytes::from(page.encode()))),
                Err(e) => respond_error(503, "storage_unavailable", &e.to_string()),
            }
        }
        _ => respond_error(404, "not_found", "unknown authority route"),
    }
}
