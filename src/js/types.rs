//! The objects that cross the package's boundary, defined once: tsify-next writes their
//! TypeScript declarations into `edgecache.d.ts` from these definitions and their doc comments;
//! what goes out is converted by serde-wasm-bindgen; what comes in (options) is read into these
//! structs by [`Options`] — one JS call per object, unknown fields refused by name.
//!
//! Why options are not deserialized by serde: measured, serde's derived visitors over
//! serde-wasm-bindgen cost 23 KB of the 100 KB gzipped npm wasm for these small objects (11 KB
//! of it Rust's float formatting, pulled in by serde's type-error messages; still 7 KB with that
//! patched out: `bench/findings.md`); its struct walk asks JS twice for every field a type knows,
//! present or not, on every `set`, and never sees an unknown field, so a typo is not refused.
//!
//! Two shapes stay declared by hand in `mod.rs`: the entry objects (`Entry`, `Fetched`), built in
//! one JS call on the hot path, and the generic methods of `EdgeCache` (wasm-bindgen cannot
//! declare a type parameter).

use std::time::Duration;

use serde::Serialize;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

use super::options::{Fields, Options};
use crate::core::{LogRecord as CoreLogRecord, Stats as CacheStats};

/// Options of `new EdgeCache(options)`.
#[derive(Tsify)]
#[serde(rename_all = "camelCase")]
pub struct EdgeCacheOptions {
    /// 1-32 of [A-Za-z0-9_-]; caches with different namespaces share nothing. Default: edgecache.
    #[tsify(optional)]
    pub namespace: Option<String>,
    /// How long a value stays fresh when set without a ttl. Default: 5 minutes.
    #[tsify(optional, type = "Duration")]
    pub default_ttl: Option<Duration>,
    /// Default stale-while-revalidate window. Default 0.
    #[tsify(optional, type = "Duration")]
    pub stale_while_revalidate: Option<Duration>,
    /// Default stale-if-error window. Default 0.
    #[tsify(optional, type = "Duration")]
    pub stale_if_error: Option<Duration>,
    /// The store. Default: memory.
    #[tsify(optional, type = "StoreOption")]
    pub store: JsValue,
    /// Budget of the memory store in bytes (least recently used out first), 1024 to 2^32-1.
    /// Default 16 MiB.
    #[tsify(optional)]
    pub max_bytes: Option<f64>,
    /// How long tag stamps are reused before re-reading a shared store. Default: 1 s; not used
    /// over the memory store, whose stamps this cache alone writes and keeps.
    #[tsify(optional, type = "Duration")]
    pub stamp_memo: Option<Duration>,
}

/// Options of `set` and `getOrSet`.
#[derive(Tsify)]
#[serde(rename_all = "camelCase")]
pub struct SetOptions {
    /// How long the value is fresh.
    #[tsify(optional, type = "Duration")]
    pub ttl: Option<Duration>,
    /// How long after that it is served stale while a getOrSet refreshes it.
    #[tsify(optional, type = "Duration")]
    pub stale_while_revalidate: Option<Duration>,
    /// How long after freshness it stands in when a loader of a getOrSet fails.
    #[tsify(optional, type = "Duration")]
    pub stale_if_error: Option<Duration>,
    /// Tags to invalidate it by (`invalidateTag`).
    #[tsify(optional)]
    pub tags: Vec<String>,
    /// Explicit version (a whole number): reads must ask for the same one. Default 0.
    #[tsify(optional, type = "number")]
    pub version: u64,
}

/// Options of `get`, `getEntry` and `has`.
#[derive(Tsify)]
pub struct GetOptions {
    /// The version asked for (of a key set with an explicit `version`). Default 0.
    #[tsify(optional, type = "number")]
    pub version: u64,
}

/// Options of the `invalidate…` methods.
#[derive(Tsify)]
pub struct InvalidateOptions {
    /// Keep what is invalidated servable as stale (while a getOrSet refreshes it). Default false.
    #[tsify(optional)]
    pub soft: bool,
    /// Who invalidated, for the log. Default: js.
    #[tsify(optional)]
    pub by: Option<String>,
}

/// Options of `log`.
#[derive(Tsify)]
pub struct LogOptions {
    /// Records a page, 1-1000. Default 100.
    #[tsify(optional)]
    pub limit: Option<f64>,
    /// The `cursor` of the previous page.
    #[tsify(optional)]
    pub cursor: Option<String>,
}

/// Options of `followEdge`.
#[derive(Tsify)]
pub struct FollowOptions {
    /// The tags to follow, 1-100.
    pub tags: Vec<String>,
    /// Between polls. Default: 5 s; at least 50 ms.
    #[tsify(optional, type = "Duration")]
    pub interval: Option<Duration>,
}

/// Options of `signPurge`.
#[derive(Tsify)]
pub struct SignOptions {
    /// The message id (`webhook-id`). Default: a random `msg_…`.
    #[tsify(optional)]
    pub id: Option<String>,
    /// Unix seconds (`webhook-timestamp`). Default: now.
    #[tsify(optional)]
    pub timestamp: Option<f64>,
}

/// Options of `verifyPurge`.
#[derive(Tsify)]
pub struct VerifyOptions {
    /// Unix seconds to judge the timestamp against. Default: now.
    #[tsify(optional)]
    pub now: Option<f64>,
    /// How far the timestamp may be from `now`, in seconds. Default 300.
    #[tsify(optional)]
    pub tolerance: Option<f64>,
}

impl EdgeCacheOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&[
            "namespace",
            "defaultTtl",
            "staleWhileRevalidate",
            "staleIfError",
            "store",
            "maxBytes",
            "stampMemo",
        ]);
        let o = Options::read(value, "EdgeCache options", &FIELDS)?;
        Ok(Self {
            namespace: o.string("namespace")?,
            default_ttl: o.duration("defaultTtl")?,
            stale_while_revalidate: o.duration("staleWhileRevalidate")?,
            stale_if_error: o.duration("staleIfError")?,
            store: o.value("store"),
            max_bytes: o.number("maxBytes")?,
            stamp_memo: o.duration("stampMemo")?,
        })
    }
}

impl SetOptions {
    pub fn read(value: &JsValue, what: &'static str) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["ttl", "staleWhileRevalidate", "staleIfError", "tags", "version"]);
        let o = Options::read(value, what, &FIELDS)?;
        Ok(Self {
            ttl: o.duration("ttl")?,
            stale_while_revalidate: o.duration("staleWhileRevalidate")?,
            stale_if_error: o.duration("staleIfError")?,
            tags: o.strings("tags")?,
            version: o.version()?,
        })
    }
}

impl GetOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["version"]);
        Ok(Self { version: Options::read(value, "get options", &FIELDS)?.version()? })
    }
}

impl InvalidateOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["soft", "by"]);
        let o = Options::read(value, "invalidate options", &FIELDS)?;
        Ok(Self { soft: o.boolean("soft")?, by: o.string("by")? })
    }
}

impl LogOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["limit", "cursor"]);
        let o = Options::read(value, "log options", &FIELDS)?;
        Ok(Self { limit: o.number("limit")?, cursor: o.string("cursor")? })
    }
}

impl FollowOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["tags", "interval"]);
        let o = Options::read(value, "followEdge options", &FIELDS)?;
        Ok(Self { tags: o.strings("tags")?, interval: o.duration("interval")? })
    }
}

impl SignOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["id", "timestamp"]);
        let o = Options::read(value, "signPurge options", &FIELDS)?;
        Ok(Self { id: o.string("id")?, timestamp: o.number("timestamp")? })
    }
}

impl VerifyOptions {
    pub fn read(value: &JsValue) -> Result<Self, JsValue> {
        static FIELDS: Fields = Fields::new(&["now", "tolerance"]);
        let o = Options::read(value, "verifyPurge options", &FIELDS)?;
        Ok(Self { now: o.number("now")?, tolerance: o.number("tolerance")? })
    }
}

/// Counters of what this instance did.
#[derive(Tsify, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Fresh answers.
    pub hits: u64,
    /// Stale answers (while revalidating, or standing in for a failed load).
    pub stale_hits: u64,
    pub misses: u64,
    /// Loader runs.
    pub loads: u64,
    /// getOrSet calls that waited for the load of another call.
    pub coalesced: u64,
    pub invalidations: u64,
    /// Stored values that could not be read (dropped and treated as misses).
    pub corrupt: u64,
    /// Store operations that failed.
    pub store_errors: u64,
}

impl From<CacheStats> for Stats {
    fn from(s: CacheStats) -> Self {
        Self {
            hits: s.hits,
            stale_hits: s.stale_hits,
            misses: s.misses,
            loads: s.loads,
            coalesced: s.coalesced,
            invalidations: s.invalidations,
            corrupt: s.corrupt,
            store_errors: s.store_errors,
        }
    }
}

/// What an invalidation did.
#[derive(Tsify, Serialize)]
pub struct Invalidated {
    /// When, in milliseconds since the epoch.
    pub at: u64,
    /// Store writes it made.
    pub writes: u64,
    /// Whether it was recorded in the log.
    pub logged: bool,
}

/// One scope of an invalidation.
#[derive(Tsify, Serialize)]
pub struct Scope<'a> {
    #[tsify(type = "\"tag\" | \"key\" | \"prefix\" | \"everything\"")]
    pub kind: &'static str,
    /// The tag, key or prefix (none for everything).
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
}

/// One invalidation, as the log keeps it.
#[derive(Tsify, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord<'a> {
    /// When, in milliseconds since the epoch.
    pub at: u64,
    pub scopes: Vec<Scope<'a>>,
    #[tsify(type = "\"hard\" | \"soft\"")]
    pub mode: &'static str,
    /// Who invalidated (`by`).
    pub actor: &'a str,
    /// The message id of the signed purge it came from, if any.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// The new version of the key, for a version bump.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_version: Option<u64>,
}

impl<'a> From<&'a CoreLogRecord> for LogRecord<'a> {
    fn from(record: &'a CoreLogRecord) -> Self {
        Self {
            at: record.at,
            scopes: record.scopes.iter().map(|scope| Scope { kind: scope.kind(), value: scope.text() }).collect(),
            mode: record.mode.name(),
            actor: &record.actor,
            request_id: record.request_id.as_deref(),
            new_version: record.new_version,
        }
    }
}

/// A page of the invalidation log, newest first.
#[derive(Tsify, Serialize)]
pub struct LogPage<'a> {
    pub records: Vec<LogRecord<'a>>,
    /// Present when more records remain: pass it as `log({ cursor })`.
    #[tsify(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<&'a str>,
}

/// The headers of a signed purge (Standard Webhooks).
#[derive(Tsify, Serialize)]
pub struct PurgeHeaders {
    #[serde(rename = "webhook-id")]
    pub id: String,
    #[serde(rename = "webhook-timestamp")]
    pub timestamp: String,
    #[serde(rename = "webhook-signature")]
    pub signature: String,
}

/// A purge whose signature held.
#[derive(Tsify, Serialize)]
pub struct VerifiedPurge {
    /// Its message id (`webhook-id`): the key of replay checks.
    pub id: String,
    /// Its timestamp, Unix seconds.
    pub timestamp: u64,
}

/// `value` as a JS value: structs become plain objects, `None` fields are left out, numbers are
/// numbers (every `u64` here is a count or a time, inside the safe integer range).
pub fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    serde_wasm_bindgen::to_value(value).map_err(|e| super::error::error("internal", e))
}
