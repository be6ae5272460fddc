//! What lives for the life of an isolate: the configuration, the cache (its stamp memo,
//! single-flight table and in-memory entries), the purge endpoint, the edge policy. Bindings are
//! fixed for an isolate's life (a deploy or a settings change starts new isolates), so they are
//! read once, not on every request.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use worker::Env;

use super::config::{Config, ConfigError};
use super::feed::AuthorityLink;
use super::kv::WorkerKv;
use super::prepared::PreparedHits;
use super::purge::url_key;
use super::store::EdgeStore;
use crate::core::defaults::POLL_INTERVAL;
use crate::core::http::EdgePolicy;
use crate::core::purge::{KvReplayGuard, PurgeEndpoint};
use crate::core::{duration_ms, Cache, CacheBuilder, Invalidation, StampSource, Tiered};
use crate::platform::{random_seed, JsClock};

/// Isolate-wide state.
pub struct State {
    /// The settings it was built from.
    pub config: Config,
    /// The cache.
    pub cache: Cache<EdgeStore>,
    /// The signed purge endpoint.
    pub purge: PurgeEndpoint<KvReplayGuard<EdgeStore>>,
    /// How responses are judged.
    pub policy: EdgePolicy,
    /// Recent fresh hits, ready for the platform.
    pub prepared: PreparedHits,
    /// The purge authority, when the `PURGES` Durable Object is bound.
    pub authority: Option<AuthorityLink>,
}

impl State {
    /// The bound on serving purged content this isolate keeps now.
    pub fn staleness_bound(&self) -> Duration {
        let following = self.authority.as_ref().is_some_and(|link| link.following(&self.cache));
        self.config.staleness_bound(following)
    }

    /// Applies an invalidation this isolate decided on (an unsafe method succeeded): through
    /// the authority when there is one, so every isolate learns of it from the feed.
    pub async fn invalidate(&self, request: Invalidation) -> Result<(), String> {
        let Some(link) = &self.authority else {
            return self.cache.invalidate(request).await.map(drop).map_err(|e| e.to_string());
        };
        let call =
            AuthorityLink::request("/invalidate", &Vec::new(), Some(&request.encode())).map_err(|e| e.to_string())?;
        let response = link.call(call).await?;
        link.read(&self.cache).await;
        match response.status_code() {
            200 => Ok(()),
            status => Err(format!("purge authority answered {status}")),
        }
    }
}

thread_local! {
    static STATE: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
}

/// The isolate's state, built from `env` on first use (a configuration error is reported on
/// every request until it is fixed).
pub fn state(env: &Env) -> Result<Rc<State>, ConfigError> {
    if let Some(state) = STATE.with(|s| s.borrow().clone()) {
        return Ok(state);
    }
    let config = Config::from_env(env)?;
    let kv =
        env.kv("CACHE").map_err(|e| ConfigError { setting: "CACHE", reason: format!("KV binding missing: {e}") })?;
    let store = EdgeStore::Isolate(Tiered::new(WorkerKv(kv.clone()), config.memory_budget, JsClock));
    let seed = random_seed();
    // With the purge authority bound, stamps come from its feed.
    let authority = env.durable_object("PURGES").ok().map(|ns| AuthorityLink::new(ns, config.purge_feed));
    let source = if authority.is_some() { StampSource::Feed } else { StampSource::Store };
    let cache = CacheBuilder::new(store, JsClock)
        .stamp_source(source)
        .namespace(config.namespace.clone())
        .generation(config.deploy_version.clone())
        .seed(seed)
        .stamp_memo(config.stamp_memo)
        // With the authority, the tag index is kept there, at no KV write.
        .tag_index(config.tag_index && authority.is_none())
        // A waiter woken from the leader's request context would be cancelled with it: poll on
        // this request's own timer instead, and fetch for itself after the origin timeout.
        .wait_by_polling(
            |ms| Box::pin(worker::Delay::from(Duration::from_millis(ms))),
            POLL_INTERVAL,
            config.origin_timeout,
        )
        .build()?;
    let guard = KvReplayGuard::new(EdgeStore::Kv(WorkerKv(kv)), cache.key_space().clone());
    let purge = PurgeEndpoint::new(config.secrets.clone(), guard)
        .staleness_bound_ms(duration_ms(config.staleness_bound(false)))
        .url_key(url_key);
    let policy = EdgePolicy { default_ttl_ms: duration_ms(config.default_ttl), ..EdgePolicy::default() };
    let state = Rc::new(State { config, cache, purge, policy, prepared: PreparedHits::default(), authority });
    STATE.with(|s| *s.borrow_mut() = Some(state.clone()));
    Ok(state)
}
