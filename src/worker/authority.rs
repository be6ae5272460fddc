//! The purge authority as a Durable Object (class `PurgeAuthority`, bound as `PURGES`): one
//! instance, named `purges`, applies every purge in order, keeps stamps, feed, log and replay
//! set in its SQLite storage and mirrors stamps to the `CACHE` KV namespace. Isolates reach it
//! through three internal routes: `POST /purge` (the signed request, forwarded as received),
//! `GET /feed?since=` and `GET /log?limit=&cursor=`.

use std::cell::OnceCell;
use std::rc::Rc;

use bytes::Bytes;
use futures_util::lock::Mutex;
use worker::{durable_object, DurableObject, Env, Request, Response};

use super::config::Config;
use super::control::{page_of, param, purge_answer};
use super::http::{header_list, respond_error, respond_json};
use super::kv::WorkerKv;
use super::sql_store::SqlStore;
use super::state::url_key;
use crate::core::purge::{Apply, Authority, KvReplayGuard, PurgeEndpoint, SignedHeaders};
use crate::core::{duration_ms, CacheBuilder, Clock, Invalidation, Mirrored, Scope};
use crate::js_clock::{random_seed, JsClock};

/// The one authority instance's name.
pub const AUTHORITY_NAME: &str = "purges";

/// The authority's state, built on its first request.
struct Inner {
    authority: Authority<Mirrored<SqlStore, WorkerKv>>,
    endpoint: PurgeEndpoint<KvReplayGuard<SqlStore>>,
    store: SqlStore,
    /// Signed purges are handled one at a time, replay check to receipt, so that two
    /// deliveries of one id never both apply.
    turn: Mutex<()>,
}

/// The purge authority (see the [module docs](self)).
#[durable_object]
pub struct PurgeAuthority {
    state: worker::State,
    env: Env,
    inner: OnceCell<Rc<Inner>>,
}

impl PurgeAuthority {
    fn inner(&self) -> Result<Rc<Inner>, String> {
        if let Some(inner) = self.inner.get() {
            return Ok(inner.clone());
        }
        let config = Config::from_env(&self.env).map_err(|e| e.to_string())?;
        let kv = self.env.kv("CACHE").map_err(|e| format!("CACHE: KV binding missing: {e}"))?;
        let store = SqlStore::open(self.state.storage().sql()).map_err(|e| e.to_string())?;
        let builder = CacheBuilder::new(Mirrored::new(store.clone(), WorkerKv(kv)), JsClock)
            .namespace(config.namespace.clone())
            .generation(config.deploy_version.clone())
            .seed(random_seed());
        let authority = Authority::new(builder, config.kv_propagation).map_err(|e| e.to_string())?;
        let guard = KvReplayGuard::new(store.clone(), authority.cache().key_space().clone());
        let endpoint = PurgeEndpoint::new(config.secrets.clone(), guard)
            .staleness_bound_ms(duration_ms(config.staleness_bound(true)))
            .url_key(url_key);
        let inner = Rc::new(Inner { authority, endpoint, store, turn: Mutex::new(()) });
        Ok(self.inner.get_or_init(|| inner).clone())
    }
}

impl DurableObject for PurgeAuthority {
    fn new(state: worker::State, env: Env) -> Self {
        Self { state, env, inner: OnceCell::new() }
    }

    async fn fetch(&self, mut request: Request) -> worker::Result<Response> {
        let inner = match self.inner() {
            Ok(inner) => inner,
            Err(e) => return respond_error(500, "config", &e).map(Response::from),
        };
        let url = request.url()?;
        let answer = match (request.method().as_ref(), url.path()) {
            ("POST", "/purge") => {
                let headers = header_list(request.headers());
                let body = Bytes::from(request.bytes().await.unwrap_or_default());
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
                #[derive(serde::Deserialize)]
                struct Asked {
                    scopes: Vec<Scope>,
                    actor: String,
                }
                match serde_json::from_slice::<Asked>(&request.bytes().await.unwrap_or_default()) {
                    Ok(asked) => {
                        let invalidation = Invalidation::of(asked.scopes).by(asked.actor);
                        let applied = {
                            let _turn = inner.turn.lock().await;
                            inner.authority.apply(invalidation).await
                        };
                        match applied {
                            Ok(applied) => respond_json(200, &serde_json::json!({ "seq": applied.seq })),
                            Err(e) => respond_error(503, "apply_failed", &e.to_string()),
                        }
                    }
                    Err(e) => respond_error(400, "invalid_invalidation", &e.to_string()),
                }
            }
            ("GET", "/feed") => {
                let since = param(&url, "since").and_then(|s| s.parse().ok());
                match (inner.authority.feed(since).await, inner.authority.head().await) {
                    (Ok(page), Ok(latest)) => {
                        let mut json = serde_json::to_value(&page).unwrap_or_default();
                        json["latest"] = latest.into();
                        respond_json(200, &json)
                    }
                    (Err(e), _) | (_, Err(e)) => respond_error(503, "storage_unavailable", &e.to_string()),
                }
            }
            ("GET", "/log") => {
                let (limit, cursor) = page_of(&url);
                match inner.authority.cache().log(limit, cursor).await {
                    Ok(page) => {
                        respond_json(200, &serde_json::json!({ "records": page.records, "cursor": page.cursor }))
                    }
                    Err(e) => respond_error(503, "storage_unavailable", &e.to_string()),
                }
            }
            _ => respond_error(404, "not_found", "unknown authority route"),
        };
        answer.map(Response::from)
    }
}
