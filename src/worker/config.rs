//! The worker's settings, read from `wrangler.toml` vars and secrets. A missing or invalid
//! required setting is an error naming it; every request is then answered 500 with that name.

use std::time::Duration;

use worker::Env;

use crate::core::defaults::{DEFAULT_GENERATION, DEFAULT_NAMESPACE, DEFAULT_STAMP_MEMO};
use crate::core::purge::Secrets;
use crate::core::{check_generation, check_namespace, duration_ms, BuildError};

/// A setting that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct ConfigError {
    /// The setting's name, as in `wrangler.toml`.
    pub setting: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// Everything the worker reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where misses go: `ORIGIN_URL` (required, http or https).
    pub origin: String,
    /// `PURGE_SECRETS` (required secret): one or more space-separated `whsec_` secrets.
    pub secrets: Secrets,
    /// `EDGECACHE_NAMESPACE` (default `edgecache`).
    pub namespace: String,
    /// `DEPLOY_VERSION` (default `0`): a new value starts an empty key space.
    pub deploy_version: String,
    /// `DEFAULT_TTL` seconds for cacheable responses that say nothing (default 0: not stored).
    pub default_ttl: Duration,
    /// `MEMORY_BUDGET` bytes of in-isolate entry cache (default 8 MiB; 0 turns it off).
    pub memory_budget: usize,
    /// `STAMP_MEMO_MS` (default 1000): how long tag stamps are reused in an isolate.
    pub stamp_memo: Duration,
    /// `MAX_BODY_BYTES` (default 1 MiB, at most 24 MiB): larger bodies stream through uncached.
    pub max_body_bytes: usize,
    /// `ORIGIN_TIMEOUT_MS` (default 30000).
    pub origin_timeout: Duration,
    /// `TAGS_ENDPOINT` (`on` or `off`, default `on`): the public `GET /_edgecache/tags`.
    pub tags_endpoint: bool,
    /// `TAG_INDEX` (`on` or `off`, default `off`): whether a fill also writes one KV key per tag,
    /// so `GET /_edgecache/tagged` can list a tag's keys. Off, a fill is one KV write.
    pub tag_index: bool,
    /// `KV_PROPAGATION_MS` (default 60000): the KV propagation delay the staleness bound assumes.
    pub kv_propagation: Duration,
    /// `PURGE_FEED_MS` (default 1000, 100 to 60000): how often an isolate reads the purge
    /// authority's feed (with the `PURGES` Durable Object bound).
    pub purge_feed: Duration,
}

/// The one purge authority instance's name (in the `PURGES` namespace).
pub const AUTHORITY_NAME: &str = "purges";

/// How long an isolate waits for the purge authority before falling back to KV stamps.
pub const AUTHORITY_TIMEOUT: Duration = Duration::from_millis(1_000);

impl Config {
    /// Reads and checks every setting.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let var = |name: &'static str| env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty());
        let origin = var("ORIGIN_URL").ok_or_else(|| missing("ORIGIN_URL"))?;
        let origin = origin.trim().trim_end_matches('/').to_owned();
        if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.contains(['?', '#']) {
            return Err(ConfigError {
                setting: "ORIGIN_URL",
                reason: "must be an http(s) URL without query or fragment".into(),
            });
        }
        let secrets_text = env
            .secret("PURGE_SECRETS")
            .map(|s| s.to_string())
            .ok()
            .or_else(|| var("PURGE_SECRETS"))
            .ok_or_else(|| missing("PURGE_SECRETS"))?;
        let secrets = Secrets::parse(&secrets_text)
            .map_err(|e| ConfigError { setting: "PURGE_SECRETS", reason: e.to_string() })?;
        // Checked by the core's own rule, so the error names the setting.
        let word = |name: &'static str, default: &str, check: fn(&str) -> Result<(), BuildError>| {
            let value = var(name).unwrap_or_else(|| default.to_owned());
            check(&value).map(|()| value).map_err(|e| ConfigError { setting: name, reason: e.to_string() })
        };
        let number = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| ConfigError {
                    setting: name,
                    reason: format!("must be a whole number from 0 to {max}"),
                }),
            }
        };
        let switch = |name: &'static str, default: bool| match var(name).as_deref() {
            None => Ok(default),
            Some("on") => Ok(true),
            Some("off") => Ok(false),
            Some(_) => Err(ConfigError { setting: name, reason: "must be on or off".into() }),
        };
        Ok(Self {
            origin,
            secrets,
            namespace: word("EDGECACHE_NAMESPACE", DEFAULT_NAMESPACE, check_namespace)?,
            deploy_version: word("DEPLOY_VERSION", DEFAULT_GENERATION, check_generation)?,
            default_ttl: Duration::from_secs(number("DEFAULT_TTL", 0, 365 * 86_400)?),
            memory_budget: number("MEMORY_BUDGET", 8 << 20, 64 << 20)? as usize,
            stamp_memo: Duration::from_millis(number("STAMP_MEMO_MS", duration_ms(DEFAULT_STAMP_MEMO), 60_000)?),
            max_body_bytes: number("MAX_BODY_BYTES", 1 << 20, 24 << 20)? as usize,
            origin_timeout: Duration::from_millis(number("ORIGIN_TIMEOUT_MS", 30_000, 300_000)?.max(1)),
            tags_endpoint: switch("TAGS_ENDPOINT", true)?,
            tag_index: switch("TAG_INDEX", false)?,
            kv_propagation: Duration::from_millis(number("KV_PROPAGATION_MS", 60_000, 600_000)?),
            purge_feed: Duration::from_millis(number("PURGE_FEED_MS", 1_000, 60_000)?.max(100)),
        })
    }

    /// The documented bound on serving purged content: with the purge authority followed, its
    /// feed interval and the longest wait for a feed read (after which the isolate falls back);
    /// otherwise KV propagation and the stamp memo.
    pub fn staleness_bound(&self, following: bool) -> Duration {
        if following {
            self.purge_feed + AUTHORITY_TIMEOUT
        } else {
            self.kv_propagation + self.stamp_memo
        }
    }
}

/// A cache that could not be built, named by the setting behind it. `from_env` checks the
/// namespace and the generation by the core's rules, and the worker's other builder settings are
/// fixed, so only those two can reach here from a deployment's configuration.
impl From<BuildError> for ConfigError {
    fn from(e: BuildError) -> Self {
        let setting = match e {
            BuildError::Namespace { .. } => "EDGECACHE_NAMESPACE",
            BuildError::Generation { .. } => "DEPLOY_VERSION",
            _ => "the worker's built-in cache settings",
        };
        ConfigError { setting, reason: e.to_string() }
    }
}

fn missing(setting: &'static str) -> ConfigError {
    ConfigError { setting, reason: "is not set".into() }
}
